package org.knock.daemon.audit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One audited decision: its name ({@code knock-accepted}) and its fields in a fixed order. Fields
 * whose value is unknown (null) are left out. Never holds key material.
 *
 * @param name the event's name, e.g. {@code knock-rejected}
 * @param fields field names (lower case, '-' allowed) to values, in output order
 */
public record AuditEvent(String name, Map<String, String> fields) {
  public AuditEvent {
    Objects.requireNonNull(name, "name");
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** An event from alternating names and values; pairs with a null value are skipped. */
  public static AuditEvent of(String name, String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must come in pairs");
    }
    Map<String, String> f = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null) {
        f.put(namesAndValues[i], namesAndValues[i + 1]);
      }
    }
    return new AuditEvent(name, f);
  }

  /** A field's value, or null. */
  public String get(String field) {
    return fields.get(field);
  }

  /** The event as a text line without timestamp: {@code event=NAME k=v k="v w"}. */
  public String toText() {
    StringBuilder b = new StringBuilder("event=").append(name);
    for (Map.Entry<String, String> e : fields.entrySet()) {
      b.append(' ').append(e.getKey()).append('=');
      appendValue(b, e.getValue());
    }
    return b.toString();
  }

  /**
   * Appends a value, in double quotes when it is empty or holds a space, a quote, '=', a
   * backslash or a control character; inside quotes {@code \ "} and control characters are
   * escaped, so a value can never end the line or forge another field.
   */
  static void appendValue(StringBuilder b, String v) {
    boolean plain = !v.isEmpty();
    for (int i = 0; i < v.length() && plain; i++) {
      char c = v.charAt(i);
      plain = c > ' ' && c != '"' && c != '=' && c != '\\' && c != 0x7f;
    }
    if (plain) {
      b.append(v);
      return;
    }
    b.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"':
          b.append("\\\"");
          break;
        case '\\':
          b.append("\\\\");
          break;
        case '\n':
          b.append("\\n");
          break;
        case '\r':
          b.append("\\r");
          break;
        case '\t':
          b.append("\\t");
          break;
        default:
          if (c < ' ' || c == 0x7f) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    b.append('"');
  }
}
