package org.knock.daemon.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where knockd reads the firewall's LOG lines: a file (syslog's kern.log), {@code kmsg}
 * (/dev/kmsg), {@code journal} (journalctl -k), {@code -} (standard input), or {@code nflog:GROUP}
 * (the kernel's NFLOG group 0-65535, read through a ulogd child; knockd's rules then log to that
 * group instead of the kernel log). "Automatic" is not a value of this type:
 * {@link Options#firewallLog()} is null then and the daemon decides.
 *
 * @param kind the kind of source
 * @param file the file for {@link Kind#FILE}, else null
 * @param group the NFLOG group (0-65535) for {@link Kind#NFLOG}, else -1
 */
public record FirewallLog(Kind kind, Path file, int group) {
  /** The kinds of log source. */
  public enum Kind { FILE, KMSG, JOURNAL, STDIN, NFLOG }

  /** Highest NFLOG group. */
  public static final int MAX_GROUP = 65535;

  public FirewallLog {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.FILE) != (file != null)) {
      throw new IllegalArgumentException("a file exactly when kind is FILE");
    }
    if (kind == Kind.NFLOG ? group < 0 || group > MAX_GROUP : group != -1) {
      throw new IllegalArgumentException("a group 0-" + MAX_GROUP + " exactly when kind is NFLOG");
    }
  }

  /** A source that is not NFLOG. */
  public FirewallLog(Kind kind, Path file) {
    this(kind, file, -1);
  }

  /** {@code nflog:group}. */
  public static FirewallLog nflog(int group) {
    return new FirewallLog(Kind.NFLOG, null, group);
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
      case NFLOG:
        return "nflog:" + group;
      default:
        return "-";
    }
  }
}
