package org.knock.daemon.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What {@code FirewallLog = auto} looks at on the host: whether journald is running (its socket
 * exists) and whether a syslog file is being written (a syslog daemon runs, or the file changed
 * lately). Answers are read when asked; nothing is cached.
 */
public interface LogHost {
  /** journald's sockets: one of them exists exactly while journald runs. */
  List<Path> JOURNAL_SOCKETS =
      List.of(Path.of("/run/systemd/journal/socket"), Path.of("/run/systemd/journal/stdout"));
  /** A syslog file changed this recently is being written. */
  Duration RECENT = Duration.ofMinutes(10);

  boolean exists(Path p);

  /** True if a syslog daemon runs: its socket or pid file exists, or its process is visible. */
  boolean syslogDaemonRunning();

  /** True if the file was modified within {@link #RECENT}. */
  boolean recentlyModified(Path p);

  /** True if journald runs. */
  default boolean journaldRunning() {
    return JOURNAL_SOCKETS.stream().anyMatch(this::exists);
  }

  /** True if the file exists and something is writing it. */
  default boolean beingWritten(Path file) {
    return exists(file) && (syslogDaemonRunning() || recentlyModified(file));
  }

  /** The real host. */
  LogHost LOCAL = new LogHost() {
    private final List<Path> syslogMarks = List.of(Path.of("/run/systemd/journal/syslog"),
        Path.of("/run/rsyslogd.pid"), Path.of("/run/syslogd.pid"), Path.of("/run/syslog-ng.pid"));
    private final Set<String> daemons = Set.of("rsyslogd", "syslog-ng", "syslogd");

    @Override
    public boolean exists(Path p) {
      return Files.exists(p);
    }

    @Override
    public boolean syslogDaemonRunning() {
      if (syslogMarks.stream().anyMatch(Files::exists)) {
        return true;
      }
      try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
        for (Path p : procs) {
          try {
            if (daemons.contains(Files.readString(p.resolve("comm"), StandardCharsets.UTF_8)
                .strip())) {
              return true;
            }
          } catch (IOException e) {
            // gone, or hidden from us
          }
        }
      } catch (IOException e) {
        return false;
      }
      return false;
    }

    @Override
    public boolean recentlyModified(Path p) {
      try {
        Instant m = Files.getLastModifiedTime(p).toInstant();
        return m.isAfter(Instant.now().minus(RECENT));
      } catch (IOException e) {
        return false;
      }
    }
  };
}
