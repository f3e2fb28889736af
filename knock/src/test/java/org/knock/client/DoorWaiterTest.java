package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DoorWaiterTest {
  final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
  final List<Integer> timeouts = new ArrayList<>();

  final List<String> knocks = new ArrayList<>();

  /** A door whose attempts end as given, then open; it records each knock again. */
  private DoorWaiter.Door probe(DoorWaiter.Outcome... outcomes) {
    return door(n -> n <= outcomes.length ? outcomes[n - 1] : DoorWaiter.Outcome.OPEN);
  }

  private DoorWaiter.Door door(java.util.function.IntFunction<DoorWaiter.Outcome> nth) {
    long t0 = System.nanoTime();
    return new DoorWaiter.Door() {
      @Override
      public DoorWaiter.Outcome attempt(int timeoutMs) {
        timeouts.add(timeoutMs);
        return nth.apply(timeouts.size());
      }

      @Override
      public void knockAgain(int retry, long shutForMs) {
        knocks.add(retry + "@" + (System.nanoTime() - t0) / 100_000_000 + "ds/" + shutForMs / 100);
      }
    };
  }

  @Test
  void retriesARefusedPortEvery100MsUntilItOpens() throws Exception {
    long t0 = System.nanoTime();
    boolean open = new DoorWaiter(Clock.systemUTC(), err, false).await("h:22",
        probe(DoorWaiter.Outcome.REFUSED, DoorWaiter.Outcome.REFUSED, DoorWaiter.Outcome.REFUSED),
        5, 2);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(open).isTrue();
    assertThat(timeouts).hasSize(4);
    assertThat(ms).isBetween(300L, 2000L);
    assertThat(errBytes.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void aTimedOutAttemptIsRetriedAtOnceWithADoublingTimeout() throws Exception {
    boolean open = new DoorWaiter(Clock.systemUTC(), err, false).await("h:22",
        probe(DoorWaiter.Outcome.TIMED_OUT, DoorWaiter.Outcome.TIMED_OUT,
            DoorWaiter.Outcome.TIMED_OUT, DoorWaiter.Outcome.TIMED_OUT,
            DoorWaiter.Outcome.TIMED_OUT), 30, 0);
    assertThat(open).isTrue();
    assertThat(timeouts).containsExactly(200, 400, 800, 1600, 2000, 2000);
  }

  @Test
  void givesUpWhenTheTimeIsUpWithBoundedAttempts() throws Exception {
    long t0 = System.nanoTime();
    DoorWaiter.Door never = door(n -> DoorWaiter.Outcome.REFUSED);
    boolean open = new DoorWaiter(Clock.systemUTC(), err, true).await("h:22", never, 1, 2);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(open).isFalse();
    assertThat(ms).isBetween(900L, 2500L);
    assertThat(timeouts.size()).isBetween(2, 11);
    String shown = errBytes.toString(StandardCharsets.UTF_8);
    assertThat(shown).startsWith("\rknock: waiting for h:22 to open... 1 s ").endsWith("\r\033[K");
  }

  @Test
  void theRetryScheduleIsOneTwoFourThenEightSeconds() {
    assertThat(DoorWaiter.retryAfterMs(1)).isEqualTo(1000);
    assertThat(DoorWaiter.retryAfterMs(2)).isEqualTo(2000);
    assertThat(DoorWaiter.retryAfterMs(3)).isEqualTo(4000);
    assertThat(DoorWaiter.retryAfterMs(4)).isEqualTo(8000);
    assertThat(DoorWaiter.retryAfterMs(10)).isEqualTo(8000);
  }

  @Test
  void knocksAgainAfterOneSecondThenTwoWhileThePortStaysShut() throws Exception {
    DoorWaiter w = new DoorWaiter(Clock.systemUTC(), err, false);
    // refused until 3.5 s have passed, then open
    long t0 = System.nanoTime();
    boolean open = w.await("h:22", door(n -> System.nanoTime() - t0 < 3_500_000_000L
        ? DoorWaiter.Outcome.REFUSED : DoorWaiter.Outcome.OPEN), 10, 5);
    assertThat(open).isTrue();
    assertThat(w.retriesSent()).isEqualTo(2);
    // retry 1 at ~1.0 s, shut for ~1.0 s; retry 2 at ~3.0 s, shut for ~2.0 s since retry 1
    assertThat(knocks).hasSize(2);
    // ±0.1 s: the waiter's clock and this test's nanoTime tick apart
    assertThat(knocks.get(0)).matches("1@(9|1[0-1])ds/(9|1[0-1])");
    assertThat(knocks.get(1)).matches("2@(29|3[0-1])ds/(19|2[0-1])");
  }

  @Test
  void noRetryOnceOpenAndNoneWithZeroRetries() throws Exception {
    DoorWaiter w = new DoorWaiter(Clock.systemUTC(), err, false);
    assertThat(w.await("h:22", probe(DoorWaiter.Outcome.REFUSED), 5, 2)).isTrue();
    assertThat(w.retriesSent()).isZero();
    DoorWaiter none = new DoorWaiter(Clock.systemUTC(), err, false);
    assertThat(none.await("h:22", door(n -> DoorWaiter.Outcome.REFUSED), 2, 0)).isFalse();
    assertThat(none.retriesSent()).isZero();
    assertThat(knocks).isEmpty();
  }

  @Test
  void aTimingOutAttemptIsCutShortWhenAKnockIsDueAndTheRetriesEndInTime() throws Exception {
    DoorWaiter w = new DoorWaiter(Clock.systemUTC(), err, true);
    long t0 = System.nanoTime();
    // like a dropped SYN: each attempt takes its whole timeout
    boolean open = w.await("h:22", door(n -> {
      try {
        Thread.sleep(timeouts.get(n - 1));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return DoorWaiter.Outcome.TIMED_OUT;
    }), 2, 10);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(open).isFalse();
    assertThat(ms).isBetween(1900L, 3000L);
    assertThat(knocks).hasSize(1); // at 1 s; the next would be due at 3 s, after the 2 s allowed
    // 200 + 400 ms, then cut to ~400 ms by the knock at 1 s; afresh from 200 ms after it
    assertThat(timeouts.get(0)).isEqualTo(200);
    assertThat(timeouts.get(1)).isEqualTo(400);
    assertThat(timeouts.get(2)).isBetween(300, 400);
    assertThat(timeouts.get(3)).isEqualTo(200);
    // the countdown is erased before the knock and at the end
    assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("\r\033[K\rknock: waiting")
        .endsWith("\r\033[K");
  }
}
