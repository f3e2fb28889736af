package org.knock.daemon.audit;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.apache.logging.log4j.message.StringMapMessage;

/**
 * An audit event as a Log4j message: formatted as its text line ({@code event=... k=v}), and as a
 * map holding the fields plus {@code @timestamp} and {@code @event} for the JSON template.
 */
final class AuditMessage extends StringMapMessage {
  private static final long serialVersionUID = 1L;
  static final String TIMESTAMP = "@timestamp";
  static final String EVENT = "@event";
  /** Milliseconds, UTC, always the same width. */
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final String text;

  AuditMessage(Instant time, AuditEvent event) {
    super(event.fields().size() + 2);
    for (Map.Entry<String, String> f : event.fields().entrySet()) {
      with(f.getKey(), f.getValue());
    }
    with(TIMESTAMP, TIME.format(time));
    with(EVENT, event.name());
    this.text = event.toText();
  }

  @Override
  public String getFormattedMessage() {
    return text;
  }

  @Override
  public String getFormattedMessage(String[] formats) {
    return text;
  }

  @Override
  public void formatTo(StringBuilder buffer) {
    buffer.append(text);
  }

  @Override
  public void formatTo(String[] formats, StringBuilder buffer) {
    buffer.append(text);
  }
}
