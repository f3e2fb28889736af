package org.knock.daemon.log;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.knock.daemon.netlink.KnockPorts;

/**
 * Opens the {@link LineSource} a spec names: a file path, "kmsg", "journal", "nflog:GROUP" (read
 * directly through netlink, else through ulogd: {@link NflogReaders}), or "-" (stdin), and
 * picks one for {@code FirewallLog = auto}: a syslog file only while something writes it, the
 * journal only while journald runs, else kmsg.
 */
public final class LineSources {
  static final List<Path> DEFAULT_FILES =
      List.of(Path.of("/var/log/kern.log"), Path.of("/var/log/messages"));

  private LineSources() {}

  /**
   * @param spec a file path | "kmsg" | "journal" | "nflog:GROUP" | "-" (stdin)
   * @throws IllegalArgumentException with a one-line message if the spec names nothing usable
   */
  public static LineSource open(String spec, SourceListener listener) {
    return open(spec, listener, (Duration) null);
  }

  /** @param kmsgPoll for "kmsg": how often to poll while idle; null: wait for the kernel */
  public static LineSource open(String spec, SourceListener listener, Duration kmsgPoll) {
    return open(spec, listener, kmsgPoll, null);
  }

  /**
   * @param kmsgPoll for "kmsg": how often to poll while idle; null: wait for the kernel
   * @param knockPorts for "kmsg" without kmsgPoll: the packets that wake the reader at once where
   *     it can ({@link KmsgSource}); null: none
   */
  public static LineSource open(String spec, SourceListener listener, Duration kmsgPoll,
      KnockPorts knockPorts) {
    return open(spec, listener, LogHost.LOCAL, kmsgPoll, knockPorts);
  }

  static LineSource open(String spec, SourceListener listener, LogHost host) {
    return open(spec, listener, host, null, null);
  }

  private static LineSource open(String spec, SourceListener listener, LogHost host,
      Duration kmsgPoll, KnockPorts knockPorts) {
    switch (spec) {
      case "kmsg":
        try {
          return new KmsgSource(listener, kmsgPoll == null ? 0 : kmsgPoll.toNanos(), knockPorts);
        } catch (IOException e) {
          throw new IllegalArgumentException("kmsg: cannot read /proc/uptime: " + e.getMessage());
        }
      case "journal":
        if (!host.journaldRunning()) {
          throw new IllegalArgumentException("FirewallLog = journal, but journald is not running "
              + "(no " + LogHost.JOURNAL_SOCKETS.get(0) + "): journalctl -k -f would print "
              + "nothing; use FirewallLog = kmsg, a syslog file, or auto");
        }
        return new JournalSource(listener);
      case "-":
        return new StdinSource(listener);
      default:
        if (spec.startsWith(NFLOG)) {
          return nflog(spec, listener, System.getenv("PATH"));
        }
        try {
          Path p = Path.of(spec);
          if (spec.isBlank() || p.toAbsolutePath().getParent() == null) {
            throw new IllegalArgumentException("not a log file path: '" + spec + "'");
          }
          return new FileFollower(p, listener);
        } catch (InvalidPathException e) {
          throw new IllegalArgumentException("not a log file path: '" + spec + "'");
        }
    }
  }

  /** The spec of an NFLOG group, before its number. */
  static final String NFLOG = "nflog:";

  static LineSource nflog(String spec, SourceListener listener, String path) {
    int group;
    try {
      group = Integer.parseInt(spec.substring(NFLOG.length()));
    } catch (NumberFormatException e) {
      group = -1;
    }
    if (group < 0 || group > UlogdConfig.MAX_GROUP) {
      throw new IllegalArgumentException("not an NFLOG group: '" + spec + "' (use nflog:0-"
          + UlogdConfig.MAX_GROUP + ")");
    }
    if (NflogReaders.direct()) {
      return new NflogDirectSource(group, listener);
    }
    Path ulogd = UlogdConfig.locate(path).orElse(null);
    if (ulogd == null) {
      throw new IllegalArgumentException(UlogdConfig.missing(group));
    }
    Path setpriv = UlogdConfig.locateSetpriv(path).orElse(null);
    if (setpriv == null) {
      throw new IllegalArgumentException(UlogdConfig.missingSetpriv(group));
    }
    return new NflogSource(group, setpriv, ulogd, listener);
  }

  /**
   * Null if the source {@code spec} names can be started as far as the host shows, else why
   * not, one line: an NFLOG source read through ulogd needs the ulogd and setpriv programs.
   */
  public static String problem(String spec, String path) {
    if (spec.startsWith(NFLOG)) {
      try {
        nflog(spec, null, path);
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
    return null;
  }

  /**
   * The automatic choice: the first of /var/log/kern.log, /var/log/messages that something is
   * writing (a syslog daemon runs, or it changed in the last 10 minutes), else "journal" if
   * journald runs, else "kmsg".
   */
  public static String defaultSpec() {
    return defaultSpec(LogHost.LOCAL);
  }

  static String defaultSpec(LogHost host) {
    for (Path p : DEFAULT_FILES) {
      if (host.beingWritten(p)) {
        return p.toString();
      }
    }
    return host.journaldRunning() ? "journal" : "kmsg";
  }
}
