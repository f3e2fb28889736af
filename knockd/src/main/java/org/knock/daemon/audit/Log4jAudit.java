package org.knock.daemon.audit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.LoggingException;

/**
 * The audit log through Log4j's {@value #LOGGER} logger, which {@link Logging#configure} sends to
 * its own file (text {@code TIME event=... k=v} lines, or ECS JSON). Times come from the injected
 * clock, in UTC with milliseconds. Thread-safe.
 *
 * <p>{@link #record} returns true only when the line reached the file. Before each record it
 * checks that the path still names the file being written (a file deleted or replaced under an
 * open stream swallows lines) and otherwise opens it anew, at most once per {@link #RETRY}. A
 * write that fails (disk full, read-only) is cut back off the file, so that no torn line remains,
 * and reported as one line on standard error ({@code reason=audit-unavailable}, the event, the
 * cause); the next record tries again, so the audit log recovers by itself.
 */
public final class Log4jAudit implements Audit {
  /** The logger's name. */
  public static final String LOGGER = "audit";
  /** How often a missing or replaced audit file is opened anew while it fails. */
  static final Duration RETRY = Duration.ofSeconds(1);

  /** Opens the audit file anew after it was deleted or replaced. */
  @FunctionalInterface
  interface Reopen {
    void reopen() throws IOException;
  }

  private final Logger errors;
  private final Reopen reopen;
  private final Logger logger;
  private final Clock clock;
  /** The file {@link #logger} writes (null: standard output), asked before each record. */
  private final Supplier<Path> auditFile;
  private Object fileKey;
  private Instant lastReopen;
  private String problem;

  /** The audit log that {@link Logging#configure} set up. */
  public Log4jAudit(Clock clock) {
    this(clock, LogManager.getLogger(LOGGER), Logging::auditFile, Logging::reopenAudit,
        LogManager.getLogger(Log4jAudit.class));
  }

  /**
   * Records through {@code logger}, which writes {@code auditFile} (the JIT warm-up's own); a
   * replaced file is reopened by {@code reopen}, failures reported to {@code errors}: never the
   * live setup's.
   */
  Log4jAudit(Clock clock, Logger logger, Supplier<Path> auditFile, Reopen reopen,
      Logger errors) {
    this.clock = Objects.requireNonNull(clock);
    this.reopen = Objects.requireNonNull(reopen);
    this.errors = Objects.requireNonNull(errors);
    this.logger = Objects.requireNonNull(logger);
    this.auditFile = Objects.requireNonNull(auditFile);
    Path file = auditFile.get();
    this.fileKey = file == null ? null : fileKey(file);
  }

  @Override
  public synchronized boolean record(AuditEvent event) {
    Path file = auditFile.get();
    String why = file == null ? null : ensureOpen(file);
    if (why == null) {
      long mark = file == null ? -1 : size(file);
      try {
        Instant time = clock.instant();
        org.knock.daemon.trace.LatencyTrace.stamped(time);
        logger.info(new AuditMessage(time, event));
        problem = null;
        return true;
      } catch (LoggingException e) {
        why = cause(e);
        cutBack(file, mark);
        fileKey = file == null ? null : fileKey(file);
      }
    }
    problem = why;
    errors.error("reason=audit-unavailable ({}): {}not recorded: {}", why,
        DECISIONS.contains(event.name()) ? "refused, " : "", event.toText());
    return false;
  }

  /**
   * Null when the path still names the file Log4j writes; otherwise opens it anew (at most once
   * per {@link #RETRY}) and returns why that failed, or null.
   */
  private String ensureOpen(Path file) {
    Object key = fileKey(file);
    if (key != null && key.equals(fileKey)) {
      return null;
    }
    Instant now = clock.instant();
    if (problem != null && lastReopen != null && now.isBefore(lastReopen.plus(RETRY))) {
      return problem;
    }
    lastReopen = now;
    try {
      reopen.reopen();
      fileKey = fileKey(file);
      return null;
    } catch (IOException | RuntimeException e) {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
  }

  /** The file's identity (device and inode), or null if it is missing or unreadable. */
  private static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  /** Cuts off what a failed write left of its line (a full disk takes what fits). */
  private static void cutBack(Path file, long mark) {
    if (file == null || mark < 0) {
      return;
    }
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      if (c.size() > mark) {
        c.truncate(mark);
      }
    } catch (NoSuchFileException e) {
      // gone: nothing torn to cut
    } catch (IOException e) {
      // the next record starts where this one broke off; nothing more can be done
    }
  }

  /** The innermost message of a Log4j write failure, e.g. "No space left on device". */
  private static String cause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip();
  }
}
