package org.knock.daemon.log;

import java.util.ArrayList;
import java.util.List;

/**
 * Kernel messages from the systemd journal, read from a {@code journalctl -k -f -o json} child
 * process (started directly, no shell). Each entry's MESSAGE is handed on; its cursor is kept, so
 * that when journalctl dies the listener hears {@code lost}, and the restart (after a backoff of
 * 0.25 s doubling up to 8 s) continues after the last entry handed on: nothing is lost or
 * repeated across restarts. The first start shows only new entries. close() kills the child.
 */
final class JournalSource extends ChildProcessSource {
  static final List<String> JOURNALCTL =
      List.of("journalctl", "-k", "-f", "-o", "json", "--output-fields=MESSAGE");

  private final List<String> command;
  private String cursor;

  JournalSource(SourceListener listener) {
    this(JOURNALCTL, listener);
  }

  /** @param command journalctl and its options; the source adds -n 0 or --after-cursor=C */
  JournalSource(List<String> command, SourceListener listener) {
    super("journalctl", listener);
    this.command = List.copyOf(command);
  }

  @Override
  public String name() {
    return "journal";
  }

  @Override
  List<String> command() {
    List<String> cmd = new ArrayList<>(command);
    if (cursor == null) {
      cmd.add("-n");
      cmd.add("0");
    } else {
      cmd.add("--after-cursor=" + cursor);
    }
    return cmd;
  }

  @Override
  void onOutput(String line, LineSink sink) {
    String message = JournalJson.field(line, "MESSAGE");
    String c = JournalJson.field(line, "__CURSOR");
    if (c != null) {
      cursor = c;
    }
    if (message != null) {
      int nl = message.indexOf('\n');
      sink.onLine(nl < 0 ? message : message.substring(0, nl));
    }
  }
}
