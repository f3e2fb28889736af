package org.knock.daemon.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.knock.daemon.config.AuditFormat;

/**
 * The JIT warm-up's own audit: a {@link Log4jAudit}, the live audit's class, writing through a
 * private Log4j context (the live format's layout, a rolling file) into a temporary directory
 * that {@link #close} deletes. The code the warm-up compiles then fits the first real knock's
 * record (with another class there, that knock ran the record interpreted, ~0.3 ms). Touches
 * neither the audit log nor the running configuration. The directory also holds the warm-up's
 * other private files ({@link #dir}).
 */
public final class WarmUpAudit implements AutoCloseable {
  private final Path dir;
  private final Path file;
  private final LoggerContext ctx;
  private final Log4jAudit audit;

  private WarmUpAudit(Path dir, Path file, LoggerContext ctx, Clock clock) {
    this.dir = dir;
    this.file = file;
    this.ctx = ctx;
    // its own reopen and error logger (root OFF): a replaced file must not reconfigure, nor a
    // failure print reason=audit-unavailable into, the live setup
    this.audit = new Log4jAudit(clock, ctx.getLogger(Log4jAudit.LOGGER), () -> file, () -> {
      throw new IOException("the warm-up's audit file was replaced");
    }, ctx.getLogger(Log4jAudit.class.getName()));
  }

  /**
   * Opens one in a new temporary directory under {@code parent}.
   *
   * @throws IOException if the directory cannot be made or Log4j cannot start (nothing is left)
   */
  public static WarmUpAudit open(AuditFormat format, Clock clock, Path parent)
      throws IOException {
    Path dir = Files.createTempDirectory(parent, "knockd-warmup");
    LoggerContext ctx = null;
    try {
      Path file = dir.resolve("audit.log");
      ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory
          .newConfigurationBuilder();
      b.setConfigurationName("knockd-warmup");
      // the live setup's level: this sets Log4j's one global status listener (OFF silenced the
      // live audit's rollover errors until the next reload)
      b.setStatusLevel(Level.WARN);
      Logging.addAudit(b, file.toString(), file, format, Logging.ROLL_SIZE, 1);
      b.add(b.newRootLogger(Level.OFF));
      ctx = new LoggerContext("knockd-warmup");
      ctx.start(b.build());
      return new WarmUpAudit(dir, file, ctx, clock);
    } catch (RuntimeException e) {
      if (ctx != null) {
        ctx.stop();
      }
      deleteTree(dir);
      throw new IOException("warm-up audit: " + e, e);
    }
  }

  /** The audit; every record goes to the temporary file. */
  public Audit audit() {
    return audit;
  }

  /** The private temporary directory (deleted with everything in it by {@link #close}). */
  public Path dir() {
    return dir;
  }

  /** The bytes written so far (0 if the file is gone). */
  public long bytes() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Records {@code n} access-granted events, varied as real ones are, so that the JIT compiles
   * the whole record path (interpreted, a line cost ~0.1–0.6 ms; compiled ~10 µs).
   *
   * @return how many reached the file
   */
  public int recordGrants(int n, Clock clock) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
      if (audit.record(AuditEvent.of("access-granted", "user", "warm-up", "addr",
          "192.0.2." + (i & 0xff), "port", "22/tcp", "expires", clock.instant().toString()))) {
        ok++;
      }
    }
    return ok;
  }

  /** How many records so far name {@code event} (text or JSON lines). */
  public int count(String event) {
    String text = " event=" + event + " ";
    String json = "\"" + event + "\"";
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return (int) lines.filter(l -> l.contains(text) || l.contains(json)).count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  /** Stops the private context and deletes the directory. */
  @Override
  public void close() {
    try {
      ctx.stop();
    } finally {
      deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | RuntimeException e) {
      // a temporary file left behind
    }
  }
}
