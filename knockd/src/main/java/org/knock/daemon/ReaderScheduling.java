package org.knock.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.daemon.netlink.NetlinkException;
import org.knock.daemon.netlink.ThreadScheduler;

/**
 * The log reader's CPU scheduling. Where the kernel lets knockd, the reader runs real-time
 * (SCHED_FIFO at the lowest priority, reset on fork) while it uses little CPU: a knock's records
 * are then read, decided and granted as soon as they are logged, however busy the machine's other
 * programs keep its cores (a normal thread waits for a core behind them: the door latency's tail,
 * docs/BENCHMARKS.md §1 round 17). What it guarantees:
 *
 * <ul>
 *   <li>Packets alone cannot make it take a core from the machine: a watchdog thread of its own
 *       ({@link #tick}, every {@link #TICK_MILLIS} ms, never behind the pipeline's lock) returns
 *       the reader to normal scheduling as soon as it used more than {@link #LEAVE_PERCENT} % of a
 *       core over a tick (a flood), and makes it real-time again only after {@link #QUIET_TICKS}
 *       ticks in a row at or below {@link #RETURN_PERCENT} %. Even a reader that never sleeps
 *       leaves the kernel's reserve for normal threads (5 % of each CPU), in which the watchdog
 *       runs.
 *   <li>No process knockd starts inherits it (SCHED_RESET_ON_FORK).
 *   <li>Where it cannot (no CAP_SYS_NICE or RLIMIT_RTPRIO, systemd's RestrictRealtime, a JVM
 *       without the foreign linker) or is told not to ({@code -Dknockd.realtime=false}), the
 *       reader keeps normal scheduling, and the start line says why.
 * </ul>
 *
 * <p>Only for the kernel's own sources (kmsg, nflog), where a knock is read within a millisecond
 * of its logging; a file or the journal is written by another program first.
 */
final class ReaderScheduling {
  private static final Logger LOG = LogManager.getLogger(ReaderScheduling.class);

  /** {@code -Dknockd.realtime=false} (or no, off, 0): the reader keeps normal scheduling. */
  static final String PROPERTY = "knockd.realtime";
  static final long TICK_MILLIS = 250;
  static final int LEAVE_PERCENT = 25;
  static final int RETURN_PERCENT = 10;
  static final int QUIET_TICKS = 4;

  /** What a {@link #tick} did. */
  enum Change {
    NONE,
    /** The reader left real-time scheduling. */
    LEFT,
    /** The reader is real-time again. */
    RETURNED
  }

  private final ThreadScheduler kernel;
  private int tid;
  private boolean realtime;
  /** True once the kernel refused real-time scheduling: no more attempts. */
  private boolean refused;
  private long lastNanos;
  private long lastCpu;
  private int quietTicks;
  private volatile String description;

  ReaderScheduling(ThreadScheduler kernel) {
    this.kernel = kernel;
  }

  /**
   * For the log source {@code spec}: null unless it is the kernel's own (kmsg, nflog:GROUP);
   * else one that makes the reader real-time, or says why not (off by {@link #PROPERTY}, or
   * no foreign linker).
   */
  static ReaderScheduling forSource(String spec) {
    if (!spec.equals("kmsg") && !spec.startsWith("nflog:")) {
      return null;
    }
    String v = System.getProperty(PROPERTY, "true").strip().toLowerCase(Locale.ROOT);
    if (List.of("false", "no", "off", "0").contains(v)) {
      return new ReaderScheduling(refusing("-D" + PROPERTY + "=" + v));
    }
    try {
      return new ReaderScheduling(ThreadScheduler.open());
    } catch (NetlinkException e) {
      return new ReaderScheduling(refusing(e.getMessage()));
    }
  }

  /** A scheduler whose every call is refused with {@code reason}. */
  static ThreadScheduler refusing(String reason) {
    return new ThreadScheduler() {
      @Override
      public void fifo(int tid, int priority) throws NetlinkException {
        throw new NetlinkException(reason);
      }

      @Override
      public void normal(int tid) throws NetlinkException {
        throw new NetlinkException(reason);
      }
    };
  }

  /** The Linux id of the calling thread (/proc/thread-self is PID/task/TID). */
  static int currentTid() throws IOException {
    Path p = Files.readSymbolicLink(Path.of("/proc/thread-self"));
    try {
      return Integer.parseInt(p.getFileName().toString());
    } catch (NumberFormatException e) {
      throw new IOException("/proc/thread-self is " + p);
    }
  }

  /**
   * Makes thread {@code tid} real-time; false (and {@link #describe} says why) if the kernel
   * refuses. Call once, before the first {@link #tick}.
   *
   * @param cpuNanos the thread's CPU time now
   */
  synchronized boolean enter(int tid, long nowNanos, long cpuNanos) {
    this.tid = tid;
    lastNanos = nowNanos;
    lastCpu = cpuNanos;
    try {
      kernel.fifo(tid, ThreadScheduler.LOWEST_FIFO);
    } catch (NetlinkException e) {
      refused = true;
      description = "reader normal (no real-time scheduling: " + e.getMessage() + ")";
      return false;
    }
    realtime = true;
    description = "reader real-time (SCHED_FIFO " + ThreadScheduler.LOWEST_FIFO
        + " while under " + LEAVE_PERCENT + " % of a core)";
    return true;
  }

  /** The reader cannot be watched ({@code why}): it is never made real-time. */
  synchronized void unusable(String why) {
    refused = true;
    description = "reader normal (no real-time scheduling: " + why + ")";
  }

  /**
   * Measures the reader's share of a core since the last tick and moves it between real-time
   * and normal scheduling as the class says.
   *
   * @param cpuNanos the reader's CPU time now; negative once the thread has ended
   */
  synchronized Change tick(long nowNanos, long cpuNanos) {
    if (tid == 0 || cpuNanos < 0) {
      return Change.NONE; // before enter; or the thread is gone (its id may be another's now)
    }
    long wall = nowNanos - lastNanos;
    long cpu = cpuNanos - lastCpu;
    if (wall <= 0) {
      return Change.NONE;
    }
    lastNanos = nowNanos;
    lastCpu = cpuNanos;
    long percent = Math.max(0, cpu) * 100 / wall;
    if (realtime) {
      if (percent <= LEAVE_PERCENT) {
        return Change.NONE;
      }
      try {
        kernel.normal(tid);
      } catch (NetlinkException e) {
        LOG.error("the log reader used {} % of a core, but cannot leave real-time scheduling: {}",
            percent, e.getMessage());
        return Change.NONE; // again at the next tick
      }
      realtime = false;
      quietTicks = 0;
      LOG.warn("the log reader used {} % of a core over {} ms (a flood?): normal scheduling "
          + "until it uses at most {} % for {} ms", percent,
          TimeUnit.NANOSECONDS.toMillis(wall), RETURN_PERCENT, QUIET_TICKS * TICK_MILLIS);
      return Change.LEFT;
    }
    if (refused) {
      return Change.NONE;
    }
    quietTicks = percent <= RETURN_PERCENT ? quietTicks + 1 : 0;
    if (quietTicks < QUIET_TICKS) {
      return Change.NONE;
    }
    try {
      kernel.fifo(tid, ThreadScheduler.LOWEST_FIFO);
    } catch (NetlinkException e) {
      refused = true;
      LOG.warn("the log reader stays at normal scheduling: {}", e.getMessage());
      return Change.NONE;
    }
    realtime = true;
    LOG.info("the log reader is real-time again");
    return Change.RETURNED;
  }

  /** Whether the reader is real-time now. */
  synchronized boolean realtime() {
    return realtime;
  }

  /** For the start line: how the reader is scheduled. */
  String describe() {
    String d = description;
    return d == null ? "reader scheduling not chosen yet" : d;
  }
}
