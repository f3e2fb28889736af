package org.knock.daemon;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.daemon.audit.Audit;

/**
 * Reports unexpected exceptions knockd survives: audited as {@code event=internal-error} (where,
 * class, message; never a stack trace) and one line on the operational log naming the frame that
 * threw. Rate-limited: the first of a kind (where and class) is reported at once, further ones at
 * most once per {@link #INTERVAL} with the number left out; at most {@link #MAX_KINDS} kinds are
 * remembered. Thread-safe.
 */
final class InternalErrors {
  /** At most one report per kind per interval. */
  static final Duration INTERVAL = Duration.ofMinutes(1);
  static final int MAX_KINDS = 64;
  private static final int MAX_MESSAGE = 200;
  private static final Logger LOG = LogManager.getLogger(InternalErrors.class);

  private final Audit audit;
  private final Clock clock;
  private final Map<String, long[]> kinds = new LinkedHashMap<>(); // last report millis, held back

  InternalErrors(Audit audit, Clock clock) {
    this.audit = audit;
    this.clock = clock;
  }

  /** Reports {@code t}, thrown in {@code where} (e.g. log-reader, pipeline, sweeper). */
  void report(String where, Throwable t) {
    long suppressed;
    synchronized (this) {
      String kind = where + " " + t.getClass().getName();
      long now = clock.millis();
      long[] k = kinds.get(kind);
      if (k == null) {
        if (kinds.size() >= MAX_KINDS) {
          kinds.remove(kinds.keySet().iterator().next());
        }
        kinds.put(kind, new long[] {now, 0});
        suppressed = 0;
      } else if (now - k[0] < INTERVAL.toMillis()) {
        k[1]++;
        return;
      } else {
        suppressed = k[1];
        k[0] = now;
        k[1] = 0;
      }
    }
    String message = message(t);
    audit.internalError(where, t.getClass().getName(), message, suppressed);
    StackTraceElement[] trace = t.getStackTrace();
    LOG.error("internal error in {}: {}: {} (at {}){}; skipped, going on", where,
        t.getClass().getName(), message, trace.length > 0 ? trace[0] : "?",
        suppressed > 0 ? "; " + suppressed + " more like it were not reported" : "");
  }

  /** The exception's message on one line, at most 200 characters; "" if it has none. */
  static String message(Throwable t) {
    String m = t.getMessage();
    if (m == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(Math.min(m.length(), MAX_MESSAGE));
    for (int i = 0; i < m.length() && b.length() < MAX_MESSAGE; i++) {
      char c = m.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return b.toString();
  }
}
