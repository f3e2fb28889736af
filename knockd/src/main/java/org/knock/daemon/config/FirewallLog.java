package org.knock.daemon.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where knockd reads the firewall's LOG lines: a file (syslog's kern.log), {@code kmsg}
 * (/dev/kmsg), {@code journal} (journalctl -k) or {@code -} (standard input). "Automatic" is not a
 * value of this type: {@link Options#firewallLog()} is null then and the daemon decides.
 *
 * @param kind the kind of source
 * @param file the file for {@link Kind#FILE}, else null
 */
public record FirewallLog(Kind kind, Path file) {
  /** The kinds of log source. */
  public enum Kind { FILE, KMSG, JOURNAL, STDIN }

  public FirewallLog {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.FILE) != (file != null)) {
      throw new IllegalArgumentException("a file exactly when kind is FILE");
    }
  }

  @Override
  public String toString() {
    switch (kind) {
      case FILE:
        return file.toString();
      case KMSG:
        return "kmsg";
      case JOURNAL:
        return "journal";
      default:
        return "-";
    }
  }
}
