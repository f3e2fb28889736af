package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.knock.daemon.ReaderScheduling.Change;
import org.knock.daemon.netlink.NetlinkException;
import org.knock.daemon.netlink.ThreadScheduler;

class ReaderSchedulingTest {
  private static final long TICK = TimeUnit.MILLISECONDS.toNanos(ReaderScheduling.TICK_MILLIS);
  private static final int TID = 4242;

  /** Records the calls; refuses those it is told to. */
  static final class FakeKernel implements ThreadScheduler {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    int refuseFifo;
    int refuseNormal;

    @Override
    public void fifo(int tid, int priority) throws NetlinkException {
      calls.add("fifo " + tid + " " + priority);
      if (refuseFifo > 0) {
        refuseFifo--;
        throw new NetlinkException("sched_setscheduler: EPERM");
      }
    }

    @Override
    public void normal(int tid) throws NetlinkException {
      calls.add("normal " + tid);
      if (refuseNormal > 0) {
        refuseNormal--;
        throw new NetlinkException("sched_setscheduler: EPERM");
      }
    }
  }

  private final FakeKernel kernel = new FakeKernel();
  private boolean stillReader = true;
  private final ReaderScheduling s = new ReaderScheduling(kernel, tid -> !stillReader,
      ReaderScheduling.MAX_LEAVE_PERCENT);
  private long now = 1_000_000_000L;
  private long cpu = 5_000_000L;

  /** One tick in which the reader used {@code percent} % of a core. */
  private Change tick(int percent) {
    now += TICK;
    cpu += TICK * percent / 100;
    return s.tick(now, cpu);
  }

  /** {@code n} ticks at {@code percent} % that must change nothing. */
  private void ticksChangeNothing(int n, int percent) {
    for (int i = 0; i < n; i++) {
      assertThat(tick(percent)).as("tick %d at %d %%", i, percent).isEqualTo(Change.NONE);
    }
  }

  @Test
  void theReaderIsMadeRealTimeAtTheLowestPriorityAndSaysSo() {
    assertThat(s.enter(TID, now, cpu)).isTrue();
    assertThat(kernel.calls).containsExactly("fifo 4242 1");
    assertThat(s.realtime()).isTrue();
    assertThat(s.describe())
        .isEqualTo("reader real-time (SCHED_FIFO 1 while under 25 % of a core)");
  }

  @Test
  void aRefusalLeavesItNormalSaysWhyAndIsNeverRetried() {
    kernel.refuseFifo = 1;
    assertThat(s.enter(TID, now, cpu)).isFalse();
    assertThat(s.describe()).isEqualTo("reader normal (no real-time scheduling: "
        + "sched_setscheduler: EPERM; needs root, CAP_SYS_NICE or LimitRTPRIO=2, and no "
        + "RestrictRealtime)");
    ticksChangeNothing(20, 0);
    assertThat(kernel.calls).containsExactly("fifo 4242 1");
    assertThat(s.realtime()).isFalse();
  }

  @Test
  void anUnusableReaderIsNeverMadeRealTime() {
    s.unusable("this JVM cannot measure a thread's CPU time");
    ticksChangeNothing(20, 0);
    assertThat(kernel.calls).isEmpty();
    assertThat(s.describe()).contains("cannot measure");
  }

  @Test
  void ticksBeforeEnterDoNothing() {
    ticksChangeNothing(10, 100);
    assertThat(kernel.calls).isEmpty();
    assertThat(s.describe()).isEqualTo("reader scheduling not chosen yet");
  }

  /** A thread that ended: its id may be another thread's or process's by now. */
  @Test
  void aThreadThatIsNoLongerTheReaderIsNeverTouched() {
    s.enter(TID, now, cpu);
    tick(100);
    stillReader = false;
    for (int i = 0; i < 10; i++) {
      tick(0);
    }
    s.leaveForGood();
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242");
  }

  @Test
  void aRealTimeReaderThatIsNoLongerTheReaderIsLeftAlone() {
    s.enter(TID, now, cpu);
    stillReader = false;
    assertThat(tick(100)).isEqualTo(Change.NONE);
    assertThat(s.realtime()).isFalse();
    assertThat(kernel.calls).containsExactly("fifo 4242 1");
  }

  @Test
  void aReaderWhoseCpuTimeCannotBeMeasuredIsPutBackForGood() {
    s.enter(TID, now, cpu);
    now += TICK;
    assertThat(s.tick(now, -1)).isEqualTo(Change.LEFT);
    for (int i = 0; i < 10; i++) {
      now += TICK;
      assertThat(s.tick(now, -1)).isEqualTo(Change.NONE);
    }
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242");
    assertThat(s.describe()).isEqualTo("reader normal (its CPU time cannot be measured)");
  }

  @Test
  void aReaderTheKernelKeepsRefusingToPutBackIsAFault() {
    s.enter(TID, now, cpu);
    kernel.refuseNormal = 100;
    for (int i = 1; i < ReaderScheduling.MAX_FAILED_LEAVES; i++) {
      assertThat(tick(100)).isEqualTo(Change.NONE);
    }
    assertThat(tick(100)).isEqualTo(Change.STUCK);
  }

  /** The return is logged before it is made: a blocked log write leaves the reader normal. */
  @Test
  void aReturnTheKernelRefusesAfterItsLineIsNotCountedAsMade() {
    s.enter(TID, now, cpu);
    assertThat(tick(100)).isEqualTo(Change.LEFT);
    kernel.refuseFifo = 1;
    ticksChangeNothing(ReaderScheduling.QUIET_TICKS, 0);
    assertThat(s.realtime()).isFalse();
    assertThat(s.logged()).startsWith("2: the log reader becomes real-time again");
    ticksChangeNothing(20, 0);
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242", "fifo 4242 1");
  }

  @Test
  void aWatchdogThatCannotBeRealTimeKeepsTheReaderNormal() {
    kernel.refuseFifo = 1;
    assertThat(s.watchdogHere()).isFalse();
    assertThat(s.enter(TID, now, cpu)).isFalse();
    assertThat(kernel.calls).hasSize(1).allMatch(c -> c.endsWith(" 2"));
    assertThat(s.describe()).startsWith("reader normal (no real-time scheduling: "
        + "sched_setscheduler: EPERM");
  }

  @Test
  void closingPutsTheReaderBackAndNoTickChangesItAgain() {
    s.enter(TID, now, cpu);
    s.leaveForGood();
    ticksChangeNothing(10, 0);
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242");
  }

  /** Leave and return over and over for ten minutes: two lines a minute, with the counts. */
  @Test
  void aFlooderWhoMakesItLeaveAndReturnGetsTwoLogLinesAMinute() {
    s.enter(TID, now, cpu);
    int changes = 0;
    int ticks = (int) (600_000 / ReaderScheduling.TICK_MILLIS);
    for (int i = 0; i < ticks; i++) {
      if (tick(s.realtime() ? 100 : 0) != Change.NONE) {
        changes++;
      }
    }
    String logged = s.logged();
    int lines = Integer.parseInt(logged.substring(0, logged.indexOf(':')));
    assertThat(changes).isGreaterThan(200);
    assertThat(lines).isBetween(20, 22);
    assertThat(logged).containsPattern("\\((left|back) \\d+ more times since\\)$");
  }

  @Test
  void theLeaveShareCanOnlyBeMadeStricter() {
    ReaderScheduling strict = new ReaderScheduling(kernel, tid -> true, 5);
    assertThat(strict.returnPercent).isEqualTo(2);
    assertThat(s.returnPercent).isEqualTo(10);
    String before = System.getProperty(ReaderScheduling.LEAVE_PROPERTY);
    try {
      for (String bad : List.of("0", "26", "100", "x", "")) {
        System.setProperty(ReaderScheduling.LEAVE_PROPERTY, bad);
        assertThatThrownBy(ReaderScheduling::leavePercent)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("-Dknockd.realtimeLeave=" + bad
                + ": use a percent of a core from 1 to 25");
      }
      System.setProperty(ReaderScheduling.LEAVE_PROPERTY, "7");
      assertThat(ReaderScheduling.leavePercent()).isEqualTo(7);
      assertThat(ReaderScheduling.create("r", 7).leavePercent).isEqualTo(7);
    } finally {
      restore(ReaderScheduling.LEAVE_PROPERTY, before);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  @Test
  void itLeavesRealTimeAtTheFirstTickAboveTheShareAndNotAtIt() {
    s.enter(TID, now, cpu);
    assertThat(tick(s.leavePercent)).isEqualTo(Change.NONE);
    assertThat(tick(3)).isEqualTo(Change.NONE);
    assertThat(tick(s.leavePercent + 1)).isEqualTo(Change.LEFT);
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242");
    assertThat(s.realtime()).isFalse();
  }

  @Test
  void itReturnsOnlyAfterQuietTicksInARow() {
    s.enter(TID, now, cpu);
    assertThat(tick(90)).isEqualTo(Change.LEFT);
    for (int i = 1; i < ReaderScheduling.QUIET_TICKS; i++) {
      assertThat(tick(s.returnPercent)).isEqualTo(Change.NONE);
    }
    assertThat(tick(s.returnPercent + 1)).isEqualTo(Change.NONE); // starts over
    for (int i = 1; i < ReaderScheduling.QUIET_TICKS; i++) {
      assertThat(tick(0)).isEqualTo(Change.NONE);
    }
    assertThat(s.realtime()).isFalse();
    assertThat(tick(0)).isEqualTo(Change.RETURNED);
    assertThat(s.realtime()).isTrue();
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242", "fifo 4242 1");
  }

  @Test
  void aLeaveTheKernelRefusesIsTriedAgainAtTheNextTick() {
    s.enter(TID, now, cpu);
    kernel.refuseNormal = 1;
    assertThat(tick(100)).isEqualTo(Change.NONE);
    assertThat(s.realtime()).isTrue();
    assertThat(tick(100)).isEqualTo(Change.LEFT);
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242", "normal 4242");
  }

  @Test
  void aReturnTheKernelRefusesEndsTheAttempts() {
    s.enter(TID, now, cpu);
    tick(100);
    kernel.refuseFifo = 1;
    for (int i = 0; i < ReaderScheduling.QUIET_TICKS; i++) {
      tick(0);
    }
    assertThat(s.realtime()).isFalse();
    ticksChangeNothing(20, 0);
    assertThat(kernel.calls).containsExactly("fifo 4242 1", "normal 4242", "fifo 4242 1");
  }

  @Test
  void aWatchdogThatWasStarvedStillSeesTheShareOverTheWholeGap() {
    s.enter(TID, now, cpu);
    now += TimeUnit.SECONDS.toNanos(1); // the watchdog ran only in the kernel's 5 % reserve
    cpu += TimeUnit.MILLISECONDS.toNanos(950);
    assertThat(s.tick(now, cpu)).isEqualTo(Change.LEFT);
  }

  @Test
  void aClockThatDidNotMoveChangesNothing() {
    s.enter(TID, now, cpu);
    cpu += TICK;
    assertThat(s.tick(now, cpu)).isEqualTo(Change.NONE);
    assertThat(s.realtime()).isTrue();
  }

  /**
   * The attack: a flooder who sees when the reader is real-time again (from its own knocks'
   * latency) floods exactly then, and stops as soon as it leaves. The reader then runs real-time
   * and busy for one tick in every 1 + QUIET_TICKS: its real-time share of a core over a minute
   * is 20 % (one tick in five).
   */
  @Test
  void aFlooderTimingItsFloodsGetsOneTickInFive() {
    s.enter(TID, now, cpu);
    long realtimeBusy = 0;
    int ticks = (int) (60_000 / ReaderScheduling.TICK_MILLIS);
    for (int i = 0; i < ticks; i++) {
      boolean rt = s.realtime();
      int percent = rt ? 100 : 0; // floods exactly while it is real-time
      if (rt) {
        realtimeBusy += TICK * percent / 100;
      }
      tick(percent);
    }
    long share = realtimeBusy * 100 / (ticks * TICK);
    assertThat(share).isEqualTo(100 / (1 + ReaderScheduling.QUIET_TICKS));
  }

  /**
   * The other attack: a flood paced to use exactly the leave share keeps the reader real-time,
   * at that share and no more; a nanosecond more in a tick makes it leave.
   */
  @Test
  void aFloodPacedToTheLeaveShareGetsThatShareAndNoMore() {
    s.enter(TID, now, cpu);
    for (int i = 0; i < 240; i++) {
      assertThat(tick(s.leavePercent)).isEqualTo(Change.NONE);
    }
    now += TICK;
    cpu += TICK * s.leavePercent / 100 + 1;
    assertThat(s.tick(now, cpu)).isEqualTo(Change.LEFT);
  }

  @Test
  void theReaderIsKnownByItsThreadName() throws Exception {
    CompletableFuture<Integer> tid = new CompletableFuture<>();
    CountDownLatch done = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      try {
        tid.complete(ReaderScheduling.currentTid());
        done.await();
      } catch (Exception e) {
        tid.completeExceptionally(e);
      }
    }, "probe-reader");
    t.start();
    int id = tid.get(10, TimeUnit.SECONDS);
    assertThat(ReaderScheduling.isGone(id, "probe-reader")).isFalse();
    assertThat(ReaderScheduling.isGone(id, "log-reader")).as("another name").isTrue();
    done.countDown();
    t.join(10_000);
    boolean gone = false; // the native thread ends a little after join() returns
    for (int i = 0; i < 100 && !gone; i++) {
      gone = ReaderScheduling.isGone(id, "probe-reader");
      Thread.sleep(i == 0 ? 0 : 20);
    }
    assertThat(gone).as("an ended thread").isTrue();
    assertThat(ReaderScheduling.isGone(1 << 23, "log-reader")).isTrue();
  }

  @Test
  void thePropertyTurnsItOffAndTheStartLineSaysSo() {
    String before = System.getProperty(ReaderScheduling.PROPERTY);
    System.setProperty(ReaderScheduling.PROPERTY, "false");
    try {
      ReaderScheduling off = ReaderScheduling.create("log-reader",
          ReaderScheduling.MAX_LEAVE_PERCENT);
      assertThat(off.enter(TID, now, cpu)).isFalse();
      assertThat(off.describe()).isEqualTo(
          "reader normal (no real-time scheduling: -Dknockd.realtime=false)");
    } finally {
      if (before == null) {
        System.clearProperty(ReaderScheduling.PROPERTY);
      } else {
        System.setProperty(ReaderScheduling.PROPERTY, before);
      }
    }
  }
}
