package org.knock.daemon;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.knock.daemon.log.LineFilter;
import org.knock.daemon.log.LineSink;
import org.knock.daemon.log.LineSource;

/**
 * Feeds a log source's lines to a sink so that no input stops knockd: an exception from the sink
 * (one line) is reported to {@link InternalErrors} and that line is skipped; an exception from the
 * source itself is reported and the source run again after {@link #PAUSE}, unless it failed
 * {@link #MAX_FAILURES} times within {@link #FAILURE_WINDOW} (then it gives up, and knockd exits
 * non-zero so that systemd restarts it). {@link #run} says how reading ended.
 */
final class LogReader {
  /** How reading ended. */
  enum End {
    /** {@link #close} was called. */
    CLOSED,
    /** The input ended as it may (standard input at end of file). */
    INPUT_ENDED,
    /** The source ended by itself, or kept failing: a fault. */
    FAILED
  }

  static final Duration PAUSE = Duration.ofSeconds(1);
  static final int MAX_FAILURES = 5;
  static final Duration FAILURE_WINDOW = Duration.ofMinutes(1);

  private final LineSource source;
  private final LineSink sink;
  private final InternalErrors errors;
  private final Clock clock;
  private final Deque<Long> failures = new ArrayDeque<>();
  private volatile boolean closed;
  private volatile String failure = "";

  LogReader(LineSource source, LineSink sink, InternalErrors errors, Clock clock) {
    this.source = source;
    this.sink = sink;
    this.errors = errors;
    this.clock = clock;
  }

  /** Reads until closed, the input ends, or the source fails for good; on the calling thread. */
  End run() throws InterruptedException {
    LineSink guarded = new LineSink() {
      @Override
      public void onLine(String line) {
        try {
          sink.onLine(line);
        } catch (RuntimeException e) {
          errors.report("pipeline", e);
        }
      }

      @Override
      public void onLine(byte[] a, int from, int to) {
        try {
          sink.onLine(a, from, to);
        } catch (RuntimeException e) {
          errors.report("pipeline", e);
        }
      }

      @Override
      public LineFilter filter() {
        return sink.filter();
      }
    };
    while (true) {
      try {
        source.run(guarded);
      } catch (RuntimeException e) {
        if (closed) {
          return End.CLOSED;
        }
        errors.report("log-reader", e);
        if (tooMany()) {
          failure = source.name() + " keeps failing: " + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + InternalErrors.message(e));
          return End.FAILED;
        }
        Thread.sleep(PAUSE.toMillis());
        continue;
      }
      if (closed) {
        return End.CLOSED;
      }
      if (source.endedNormally()) {
        return End.INPUT_ENDED;
      }
      failure = source.name() + " ended unexpectedly";
      return End.FAILED;
    }
  }

  private boolean tooMany() {
    long now = clock.millis();
    failures.addLast(now);
    while (!failures.isEmpty() && now - failures.peekFirst() > FAILURE_WINDOW.toMillis()) {
      failures.removeFirst();
    }
    return failures.size() >= MAX_FAILURES;
  }

  /** Why reading failed, one line ("" unless {@link #run} returned {@link End#FAILED}). */
  String failure() {
    return failure;
  }

  /** Makes {@link #run} return soon with {@link End#CLOSED}; callable from any thread. */
  void close() {
    closed = true;
    source.close();
  }
}
