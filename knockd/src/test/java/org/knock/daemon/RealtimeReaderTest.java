package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.knock.daemon.ReaderSchedulingTest.FakeKernel;

/**
 * The wiring, with a fake kernel but real threads and real CPU time: the ids it is given are the
 * reader's and the watchdog's own, and a reader that burns a core is put back by the watchdog.
 */
class RealtimeReaderTest {
  private final FakeKernel kernel = new FakeKernel();
  private final List<String> faults = Collections.synchronizedList(new ArrayList<>());

  private final AtomicBoolean stopped = new AtomicBoolean();

  private RealtimeReader realtime(int leavePercent) {
    return new RealtimeReader(new ReaderScheduling(kernel, tid -> false, leavePercent),
        (where, task) -> task, (where, t) -> faults.add(where + ": " + t.getMessage()),
        () -> stopped.set(true));
  }

  /** A thread named log-reader that enters, tells its id, then burns a core until stopped. */
  private Thread burning(RealtimeReader r, CompletableFuture<Integer> tid, AtomicBoolean stop) {
    Thread t = new Thread(() -> {
      try {
        tid.complete(ReaderScheduling.currentTid());
      } catch (Exception e) {
        tid.completeExceptionally(e);
        return;
      }
      r.enter();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      long x = 0;
      while (!stop.get() && !stopped.get() && System.nanoTime() < end) { // bounded: 5 s
        x += System.nanoTime() & 1;
      }
      if (x == 42) {
        System.out.print("");
      }
    }, "log-reader");
    t.start();
    return t;
  }

  @Test
  void aReaderThatBurnsACoreIsPutBackByItsWatchdog() throws Exception {
    RealtimeReader r = realtime(ReaderScheduling.MAX_LEAVE_PERCENT);
    CompletableFuture<Integer> readerTid = new CompletableFuture<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader = burning(r, readerTid, stop);
    int tid = readerTid.get(10, TimeUnit.SECONDS);
    boolean left = false;
    for (int i = 0; i < 100 && !left; i++) { // ≤ 5 s
      Thread.sleep(50);
      left = kernel.calls.contains("normal " + tid);
    }
    stop.set(true);
    reader.join(10_000);
    r.close();
    assertThat(left).as("put back while burning: %s", kernel.calls).isTrue();
    assertThat(kernel.calls.get(0)).as("the watchdog first, at priority 2").endsWith(" 2")
        .isNotEqualTo("fifo " + tid + " 2");
    assertThat(kernel.calls.get(1)).isEqualTo("fifo " + tid + " 1");
    assertThat(r.describe()).isEqualTo(
        "reader real-time (SCHED_FIFO 1 while under 25 % of a core)");
    assertThat(faults).isEmpty();
  }

  @Test
  void aWatchdogTheKernelRefusesLeavesTheReaderUntouched() throws Exception {
    kernel.refuseFifo = 1;
    RealtimeReader r = realtime(ReaderScheduling.MAX_LEAVE_PERCENT);
    Thread reader = new Thread(r::enter, "log-reader");
    reader.start();
    reader.join(10_000);
    r.close();
    assertThat(kernel.calls).hasSize(1).allMatch(c -> c.endsWith(" 2"));
    assertThat(r.describe()).startsWith("reader normal (no real-time scheduling: ");
  }

  @Test
  void closingBeforeEnterLeavesTheReaderAlone() throws Exception {
    RealtimeReader r = realtime(ReaderScheduling.MAX_LEAVE_PERCENT);
    r.close();
    CompletableFuture<Integer> readerTid = new CompletableFuture<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader = burning(r, readerTid, stop);
    int tid = readerTid.get(10, TimeUnit.SECONDS);
    Thread.sleep(4 * ReaderScheduling.TICK_MILLIS);
    stop.set(true);
    reader.join(10_000);
    assertThat(kernel.calls).noneMatch(c -> c.equals("fifo " + tid + " 1"))
        .noneMatch(c -> c.startsWith("normal"));
  }

  /** The kernel refuses to put it back: knockd ends as a fault, and the reader stops reading. */
  @Test
  void aReaderThatCannotBePutBackIsAFaultAndStopsReading() throws Exception {
    kernel.refuseNormal = Integer.MAX_VALUE;
    RealtimeReader r = realtime(ReaderScheduling.MAX_LEAVE_PERCENT);
    CompletableFuture<Integer> readerTid = new CompletableFuture<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader = burning(r, readerTid, stop);
    readerTid.get(10, TimeUnit.SECONDS);
    reader.join(10_000); // ends when stopped (or after 5 s)
    r.close();
    assertThat(faults).containsExactly(
        "reader-watch: the log reader cannot leave real-time scheduling");
    assertThat(stopped).isTrue();
  }
}
