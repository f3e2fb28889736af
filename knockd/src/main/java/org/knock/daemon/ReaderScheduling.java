package org.knock.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
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
 *   <li>Packets alone cannot make it take a core from the machine: a watchdog thread, itself
 *       real-time one priority higher (so that it runs on time even on one CPU; it sleeps between
 *       ticks) and never behind the pipeline's lock, calls {@link #tick} every {@link
 *       #TICK_MILLIS} ms and returns the reader to normal scheduling at the first tick in which it
 *       used more than {@link #leavePercent} % of a core (a flood), and makes it real-time again
 *       only after {@link #QUIET_TICKS} ticks in a row at or below {@link #returnPercent} %. So a
 *       flood gets at most {@link #leavePercent} % of a core at real-time priority, over any
 *       stretch of whole ticks but the one that made the reader leave. Where the watchdog cannot
 *       be real-time, the reader is not made real-time either.
 *   <li>A reader that cannot be put back is a fault: after {@link #MAX_FAILED_LEAVES} refused
 *       attempts in a row, knockd ends (and systemd starts it again; the rules stay).
 *   <li>The watchdog touches only the thread it was given, and only while that thread is still the
 *       log reader (its id could be another's once it ended); a reader whose CPU time cannot be
 *       measured is put back and left at normal scheduling.
 *   <li>No process knockd starts inherits it (SCHED_RESET_ON_FORK).
 *   <li>Where it cannot (no CAP_SYS_NICE or RLIMIT_RTPRIO of 2, systemd's RestrictRealtime, a JVM
 *       without the foreign linker) or is told not to ({@code -Dknockd.realtime=false}), the
 *       reader keeps normal scheduling, and the start line says why.
 *   <li>An attacker who makes it leave and return over and over gets two log lines a minute (one
 *       of each kind, with counts). The watchdog logs a return before it makes the reader
 *       real-time, so that a log write that blocks leaves the reader at normal scheduling.
 * </ul>
 *
 * <p>Only for the sources that read the kernel itself (kmsg, NFLOG read directly), where a knock
 * is read within a millisecond of its logging; a file, the journal or ulogd is written by another
 * program first.
 */
final class ReaderScheduling {
  private static final Logger LOG = LogManager.getLogger(ReaderScheduling.class);

  /** {@code -Dknockd.realtime=false} (or no, off, 0): the reader keeps normal scheduling. */
  static final String PROPERTY = "knockd.realtime";
  /**
   * {@code -Dknockd.realtimeLeave=P}: leave real-time above P % of a core, 1 to {@link
   * #MAX_LEAVE_PERCENT} (default): it can only be made stricter.
   */
  static final String LEAVE_PROPERTY = "knockd.realtimeLeave";
  static final int MAX_LEAVE_PERCENT = 25;
  static final long TICK_MILLIS = 250;
  static final int QUIET_TICKS = 4;
  static final int MAX_FAILED_LEAVES = 4;
  /** The watchdog's priority: above the reader's, so that it preempts it. */
  static final int WATCHDOG_PRIORITY = ThreadScheduler.LOWEST_FIFO + 1;
  static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** What a {@link #tick} did. */
  enum Change {
    NONE,
    /** The reader left real-time scheduling. */
    LEFT,
    /** The reader is real-time again. */
    RETURNED,
    /** The reader is real-time and the kernel refused to put it back, too often: a fault. */
    STUCK
  }

  private final ThreadScheduler kernel;
  private final IntPredicate gone;
  final int leavePercent;
  final int returnPercent;
  private int tid;
  private boolean realtime;
  /** True once real-time scheduling was refused or given up: no more attempts. */
  private boolean refused;
  private long lastNanos;
  private long lastCpu;
  private int quietTicks;
  private int failedLeaves;
  private boolean returnDue;
  private long lastPercent;
  private String lastFailure = "";
  private final LogLimit leftLines = new LogLimit("left");
  private final LogLimit backLines = new LogLimit("back");
  private volatile String description;
  private int linesLogged; // guarded by this
  private String lastLine; // guarded by this

  /**
   * @param gone whether a thread id is certainly no longer the log reader's (checked before each
   *     call; an error that leaves it unknown is not "gone": the watchdog ticks only while the
   *     reader's Java thread lives, whose id cannot be another's meanwhile)
   * @param leavePercent 1 to {@link #MAX_LEAVE_PERCENT}
   */
  ReaderScheduling(ThreadScheduler kernel, IntPredicate gone, int leavePercent) {
    if (leavePercent < 1 || leavePercent > MAX_LEAVE_PERCENT) {
      throw new IllegalArgumentException("leave at " + leavePercent + " %");
    }
    this.kernel = kernel;
    this.gone = gone;
    this.leavePercent = leavePercent;
    this.returnPercent = Math.max(1, leavePercent * 2 / 5);
  }

  /**
   * For a source that reads the kernel itself: one that makes the reader real-time, or says why
   * not (off by {@link #PROPERTY}, or no foreign linker). The reader is known by its thread name.
   *
   * @param percent {@link #leavePercent()}, read once at the start
   */
  static ReaderScheduling create(String threadName, int percent) {
    IntPredicate gone = tid -> isGone(tid, threadName);
    String off = Daemon.switchedOff(PROPERTY);
    if (off != null) {
      return new ReaderScheduling(refusing("-D" + PROPERTY + "=" + off), gone, percent);
    }
    try {
      return new ReaderScheduling(ThreadScheduler.open(), gone, percent);
    } catch (NetlinkException e) {
      return new ReaderScheduling(refusing(e.getMessage()), gone, percent);
    }
  }

  /**
   * {@link #LEAVE_PROPERTY}'s value; checked at every start, whatever the source.
   *
   * @throws IllegalArgumentException with one line if it is not 1-25
   */
  static int leavePercent() {
    String leave = System.getProperty(LEAVE_PROPERTY, Integer.toString(MAX_LEAVE_PERCENT)).strip();
    int percent;
    try {
      percent = Integer.parseInt(leave);
    } catch (NumberFormatException e) {
      percent = -1;
    }
    if (percent < 1 || percent > MAX_LEAVE_PERCENT) {
      throw new IllegalArgumentException("-D" + LEAVE_PROPERTY + "=" + leave
          + ": use a percent of a core from 1 to " + MAX_LEAVE_PERCENT);
    }
    return percent;
  }

  /**
   * Whether thread {@code tid} of this process is certainly not one named {@code name}: it has
   * ended, or it has another name. False where /proc cannot say (e.g. no file descriptor left).
   */
  static boolean isGone(int tid, String name) {
    try {
      return !Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).strip().equals(name);
    } catch (java.nio.file.NoSuchFileException e) {
      return true;
    } catch (IOException e) {
      return false;
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
   * On the watchdog's own thread, before {@link #enter}: makes it real-time above the reader;
   * false (and the reader is never made real-time, {@link #describe} says why) if refused.
   */
  synchronized boolean watchdogHere() {
    try {
      kernel.fifo(currentTid(), WATCHDOG_PRIORITY);
      return true;
    } catch (NetlinkException | IOException e) {
      unusable(e.getMessage() + hint(e.getMessage()));
      return false;
    }
  }

  /**
   * Makes thread {@code tid} real-time; false (and {@link #describe} says why) if the kernel
   * refuses. Call once, after {@link #watchdogHere} and before the first {@link #tick}.
   *
   * @param cpuNanos the thread's CPU time now
   */
  synchronized boolean enter(int tid, long nowNanos, long cpuNanos) {
    if (refused) {
      return false;
    }
    this.tid = tid;
    lastNanos = nowNanos;
    lastCpu = cpuNanos;
    try {
      kernel.fifo(tid, ThreadScheduler.LOWEST_FIFO);
    } catch (NetlinkException e) {
      unusable(e.getMessage() + hint(e.getMessage()));
      return false;
    }
    realtime = true;
    description = "reader real-time (SCHED_FIFO " + ThreadScheduler.LOWEST_FIFO
        + " while under " + leavePercent + " % of a core)";
    return true;
  }

  private static String hint(String message) {
    return message.endsWith("EPERM")
        ? "; needs root, CAP_SYS_NICE or LimitRTPRIO=2, and no RestrictRealtime" : "";
  }

  /** The reader cannot be watched ({@code why}): it is never made real-time. */
  synchronized void unusable(String why) {
    refused = true;
    description = "reader normal (no real-time scheduling: " + why + ")";
  }

  /**
   * Measures the reader's share of a core since the last tick and moves it between real-time
   * and normal scheduling as the class says. Logs outside its lock.
   *
   * @param cpuNanos the reader's CPU time now; negative if it cannot be measured (the reader is
   *     then put back and left at normal scheduling)
   */
  Change tick(long nowNanos, long cpuNanos) {
    Change c;
    String line;
    synchronized (this) {
      c = step(nowNanos, cpuNanos);
      line = logLine(c, nowNanos);
    }
    if (line != null) {
      synchronized (this) {
        linesLogged++;
        lastLine = line;
      }
      if (c == Change.RETURNED) {
        LOG.info("{}", line);
      } else if (c == Change.STUCK) {
        LOG.error("{}", line);
      } else {
        LOG.warn("{}", line);
      }
    }
    return c == Change.RETURNED ? promote() : c;
  }

  /** The return {@link #step} found due, made after its line was logged. */
  private synchronized Change promote() {
    if (!returnDue || refused || realtime) {
      returnDue = false;
      return Change.NONE; // closed meanwhile
    }
    returnDue = false;
    try {
      kernel.fifo(tid, ThreadScheduler.LOWEST_FIFO);
    } catch (NetlinkException e) {
      refused = true; // stays normal, as it is
      LOG.warn("the log reader stays at normal scheduling: {}", e.getMessage());
      return Change.NONE;
    }
    realtime = true;
    return Change.RETURNED;
  }

  private Change step(long nowNanos, long cpuNanos) {
    if (tid == 0) {
      return Change.NONE; // before enter
    }
    long wall = nowNanos - lastNanos;
    long cpu = cpuNanos - lastCpu;
    if (wall <= 0 && cpuNanos >= 0) {
      return Change.NONE;
    }
    lastNanos = nowNanos;
    lastCpu = cpuNanos;
    lastPercent = wall <= 0 ? 0 : Math.max(0, cpu) * 100 / wall;
    if (realtime) {
      if (cpuNanos >= 0 && cpu * 100 <= (long) leavePercent * wall) {
        failedLeaves = 0;
        return Change.NONE;
      }
      if (cpuNanos < 0) {
        refused = true;
        description = "reader normal (its CPU time cannot be measured)";
      }
      return leave();
    }
    if (refused || cpuNanos < 0) {
      return Change.NONE;
    }
    quietTicks = cpu * 100 <= (long) returnPercent * wall ? quietTicks + 1 : 0;
    if (quietTicks < QUIET_TICKS) {
      return Change.NONE;
    }
    quietTicks = 0;
    if (gone.test(tid)) {
      refused = true;
      return Change.NONE;
    }
    returnDue = true; // made by promote(), after the line is logged
    return Change.RETURNED;
  }

  private Change leave() {
    if (gone.test(tid)) {
      realtime = false; // the reader ended: the id may be another thread's now
      refused = true;
      return Change.NONE;
    }
    try {
      kernel.normal(tid);
    } catch (NetlinkException e) {
      lastFailure = e.getMessage();
      return ++failedLeaves >= MAX_FAILED_LEAVES ? Change.STUCK : Change.NONE;
    }
    realtime = false;
    failedLeaves = 0;
    quietTicks = 0;
    return Change.LEFT;
  }

  /**
   * The line to log for {@code c}: at most one a minute of each kind (left, returned), with the
   * count of those not logged; every fault. Null: none.
   */
  private String logLine(Change c, long nowNanos) {
    if (c == Change.STUCK) {
      return "the log reader uses more than " + leavePercent + " % of a core and cannot leave "
          + "real-time scheduling: " + lastFailure;
    }
    if (c == Change.NONE) {
      return null;
    }
    String more = (c == Change.LEFT ? leftLines : backLines).pass(nowNanos);
    if (more == null) {
      return null;
    }
    return c == Change.LEFT
        ? "the log reader used " + lastPercent + " % of a core, more than " + leavePercent
            + " % (a flood?): normal scheduling until it uses at most " + returnPercent + " % for "
            + QUIET_TICKS * TICK_MILLIS + " ms" + more
        : "the log reader becomes real-time again" + more;
  }

  /** One kind of change's line: at most one a minute, with the count of those not logged. */
  private static final class LogLimit {
    private final String kind;
    private long lastNanos;
    private boolean once;
    private int skipped;

    LogLimit(String kind) {
      this.kind = kind;
    }

    /** Null: not now (counted); else what to add to the line ("" or the count not logged). */
    String pass(long nowNanos) {
      if (once && nowNanos - lastNanos < LOG_INTERVAL_NANOS) {
        skipped++;
        return null;
      }
      String more = skipped == 0 ? "" : " (" + kind + " " + skipped + " more times since)";
      once = true;
      lastNanos = nowNanos;
      skipped = 0;
      return more;
    }
  }

  /**
   * Puts the reader back to normal scheduling for good (knockd is closing): no more ticks change
   * anything.
   */
  synchronized void leaveForGood() {
    if (realtime && !gone.test(tid)) {
      try {
        kernel.normal(tid);
      } catch (NetlinkException e) {
        // it is ending anyway
      }
    }
    realtime = false;
    refused = true;
  }

  /** How many lines it logged, and the last (tests). */
  synchronized String logged() {
    return linesLogged + ": " + lastLine;
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
