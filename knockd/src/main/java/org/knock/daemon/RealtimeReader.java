package org.knock.daemon;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import org.knock.daemon.firewall.Firewalls;

/**
 * Puts {@link ReaderScheduling} in place for the log reader: {@link #enter}, on the reader's
 * thread, starts the watchdog thread (real-time itself, one priority above the reader) and then
 * makes the reader real-time; the watchdog calls {@link ReaderScheduling#tick} every {@link
 * ReaderScheduling#TICK_MILLIS} ms with the reader's CPU time, and when the reader cannot be put
 * back, ends knockd as a fault and stops the reader reading itself. A reader whose CPU time
 * cannot be measured, or whose watchdog cannot be real-time, is never made real-time. {@link
 * #close} puts the reader back and stops the watchdog.
 */
final class RealtimeReader {
  private final ReaderScheduling scheduling;
  private final BiFunction<String, Runnable, Runnable> guard;
  private final BiConsumer<String, Throwable> fault;
  private final Runnable stopReading;
  private ScheduledExecutorService watch; // guarded by this
  private boolean closed; // guarded by this

  /**
   * @param guard wraps a task so that an exception is reported, not lost
   * @param fault ends knockd as a fault
   * @param stopReading makes the reader stop reading and end (its CPU is then free at once, on a
   *     machine where a normal thread would wait for it to end knockd)
   */
  RealtimeReader(ReaderScheduling scheduling, BiFunction<String, Runnable, Runnable> guard,
      BiConsumer<String, Throwable> fault, Runnable stopReading) {
    this.scheduling = scheduling;
    this.guard = guard;
    this.fault = fault;
    this.stopReading = stopReading;
  }

  /** On the reader thread, before it reads. */
  void enter() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Thread reader = Thread.currentThread();
    long id = reader.getId();
    int tid;
    try {
      tid = ReaderScheduling.currentTid();
    } catch (IOException e) {
      scheduling.unusable("cannot read this thread's id: " + e.getMessage());
      return;
    }
    long cpu = mx.isThreadCpuTimeSupported() ? mx.getThreadCpuTime(id) : -1;
    if (cpu < 0) {
      scheduling.unusable("this JVM cannot measure a thread's CPU time");
      return;
    }
    ScheduledExecutorService w = Executors.newSingleThreadScheduledExecutor(
        r -> Daemon.daemonThread(r, "reader-watch"));
    boolean watched;
    try {
      watched = w.submit(scheduling::watchdogHere).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      scheduling.unusable("interrupted while its watchdog started");
      watched = false;
    } catch (ExecutionException | TimeoutException e) {
      scheduling.unusable("no watchdog: " + e);
      watched = false;
    }
    if (!watched || !scheduling.enter(tid, System.nanoTime(), cpu)) {
      w.shutdownNow();
      return;
    }
    Firewalls.callerMayBeRealtime(); // its waits for nft -i sleep: nft may need this core
    long tick = ReaderScheduling.TICK_MILLIS;
    w.scheduleAtFixedRate(guard.apply("reader-watch", () -> {
      if (reader.isAlive() && scheduling.tick(System.nanoTime(), mx.getThreadCpuTime(id))
          == ReaderScheduling.Change.STUCK) {
        scheduling.leaveForGood(); // no more ticks change anything
        fault.accept("reader-watch", // first: knockd ends as a fault, not as closed
            new IllegalStateException("the log reader cannot leave real-time scheduling"));
        stopReading.run();
      }
    }), tick, tick, TimeUnit.MILLISECONDS);
    synchronized (this) {
      if (closed) {
        scheduling.leaveForGood();
        w.shutdownNow();
      } else {
        watch = w;
      }
    }
  }

  /** Puts the reader back to normal scheduling and stops the watchdog; any thread. */
  void close() {
    ScheduledExecutorService w;
    synchronized (this) {
      closed = true;
      w = watch;
    }
    scheduling.leaveForGood();
    if (w != null) {
      w.shutdownNow();
    }
  }

  /** For the start line. */
  String describe() {
    return scheduling.describe();
  }
}
