package org.knock.daemon.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/** Opens the {@link LineSource} a spec names: a file path, "kmsg", "journal", or "-" (stdin). */
public final class LineSources {
  static final List<Path> DEFAULT_FILES =
      List.of(Path.of("/var/log/kern.log"), Path.of("/var/log/messages"));

  private LineSources() {}

  /**
   * @param spec a file path | "kmsg" | "journal" | "-" (stdin)
   * @throws IllegalArgumentException with a one-line message if the spec names nothing usable
   */
  public static LineSource open(String spec, SourceListener listener) {
    switch (spec) {
      case "kmsg":
        try {
          return new KmsgSource(listener);
        } catch (IOException e) {
          throw new IllegalArgumentException("kmsg: cannot read /proc/uptime: " + e.getMessage());
        }
      case "journal":
        return new JournalSource(listener);
      case "-":
        return new StdinSource(listener);
      default:
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

  /** The default: first of /var/log/kern.log, /var/log/messages that exists, else "journal". */
  public static String defaultSpec() {
    return defaultSpec(Files::exists);
  }

  static String defaultSpec(Predicate<Path> exists) {
    for (Path p : DEFAULT_FILES) {
      if (exists.test(p)) {
        return p.toString();
      }
    }
    return "journal";
  }
}
