package org.knock.daemon.trace;

/**
 * A debug trace of one knock's path through the daemon, off unless the JVM runs with
 * {@code -Dknockd.traceLatency=true} (e.g. {@code KNOCKD_JAVA_OPTS=-Dknockd.traceLatency=true
 * bin/knockd}). The steps stamp {@link System#nanoTime} (CLOCK_MONOTONIC on Linux, the printk
 * clock of /dev/kmsg records) into slots that each new record overwrites; when a grant's
 * access-granted record is written, {@link #granted} prints one line to standard error with each
 * step in microseconds after the printk time of the last record read. Only the thread that read
 * that record is traced (not JitWarmup's private pipeline); when off, every call is a constant
 * test. The printk clock is the kernel's local_clock, not quite CLOCK_MONOTONIC: measured here it
 * ran a constant ~0.51 ms ahead (docs/BENCHMARKS.md §1 round 6), so the absolute times are off by
 * that offset; the differences between steps are exact. Summarised by bench/latency-trace.py.
 */
public final class LatencyTrace {
  /** Whether tracing is on (a system property read once). */
  public static final boolean ON = Boolean.getBoolean("knockd.traceLatency");

  /** The printk time of the record just read (set by {@link #logged}). */
  public static final int LOGGED = 0;
  /** read() of that record returned. */
  public static final int READ = 1;
  /** The parser handed its packet to the pipeline. */
  public static final int PARSED = 2;
  /** The replay record was written (page cache). */
  public static final int REPLAY = 3;
  /** The decoder returned its result. */
  public static final int DECODED = 4;
  /** knock-accepted was written. */
  public static final int ACCEPTED = 5;
  /** The grant's netlink send() returned. */
  public static final int SENT = 6;
  /** The grant's acks were all read. */
  public static final int ACKED = 7;
  /** The firewall's grant returned. */
  public static final int GRANT_DONE = 8;
  /** The audit took its timestamp for the last record. */
  public static final int STAMPED = 9;
  /** The printk time of the first record of the burst (the first after an idle reader). */
  public static final int FIRST_LOGGED = 10;
  /** read() of that first record returned. */
  public static final int FIRST_READ = 11;
  private static final String[] NAMES = {"logged", "read", "parsed", "replay", "decoded",
      "accepted", "sent", "acked", "grant", "stamped", "first-logged", "first-read"};

  private static final long[] AT = new long[NAMES.length];
  private static long stampSubMillisNanos = -1;
  private static volatile Thread reader; // the thread that read the last record: the only one traced

  private LatencyTrace() {}

  /** Stamps step {@code step} now. */
  public static void mark(int step) {
    if (ON && Thread.currentThread() == reader) {
      AT[step] = System.nanoTime();
    }
  }

  /** A record logged at {@code usec} (printk clock) was read; first: it began a burst. */
  public static void logged(long usec, boolean first) {
    if (ON) {
      long now = System.nanoTime();
      reader = Thread.currentThread();
      AT[LOGGED] = usec * 1000;
      AT[READ] = now;
      if (first) {
        AT[FIRST_LOGGED] = usec * 1000;
        AT[FIRST_READ] = now;
      }
    }
  }

  /** The audit's timestamp for the current event; also keeps what its millisecond text drops. */
  public static void stamped(java.time.Instant time) {
    if (ON && Thread.currentThread() == reader) {
      AT[STAMPED] = System.nanoTime();
      stampSubMillisNanos = time.getNano() % 1_000_000;
    }
  }

  /** access-granted is written: prints the trace line. */
  public static void granted() {
    if (!ON || Thread.currentThread() != reader) {
      return;
    }
    long now = System.nanoTime();
    long base = AT[LOGGED];
    StringBuilder b = new StringBuilder("trace-latency:");
    for (int i = 1; i < NAMES.length; i++) {
      if (i == FIRST_LOGGED || i == FIRST_READ) {
        continue;
      }
      b.append(' ').append(NAMES[i]).append('=').append(us(AT[i] - base));
    }
    b.append(" written=").append(us(now - base));
    b.append(" first-read=").append(us(AT[FIRST_READ] - AT[FIRST_LOGGED]));
    b.append(" burst=").append(us(base - AT[FIRST_LOGGED]));
    b.append(" stamp-truncated=").append(us(stampSubMillisNanos));
    System.err.println(b);
    java.util.Arrays.fill(AT, 0);
  }

  private static String us(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.0f", nanos / 1000.0);
  }
}
