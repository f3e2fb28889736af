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

  private DoorWaiter.Probe probe(DoorWaiter.Outcome... outcomes) {
    return timeoutMs -> {
      timeouts.add(timeoutMs);
      return timeouts.size() <= outcomes.length ? outcomes[timeouts.size() - 1]
          : DoorWaiter.Outcome.OPEN;
    };
  }

  @Test
  void retriesARefusedPortEvery100MsUntilItOpens() throws Exception {
    long t0 = System.nanoTime();
    boolean open = new DoorWaiter(Clock.systemUTC(), err, false).await("h:22",
        probe(DoorWaiter.Outcome.REFUSED, DoorWaiter.Outcome.REFUSED, DoorWaiter.Outcome.REFUSED),
        5);
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
            DoorWaiter.Outcome.TIMED_OUT), 30);
    assertThat(open).isTrue();
    assertThat(timeouts).containsExactly(200, 400, 800, 1600, 2000, 2000);
  }

  @Test
  void givesUpWhenTheTimeIsUpWithBoundedAttempts() throws Exception {
    long t0 = System.nanoTime();
    DoorWaiter.Probe never = timeoutMs -> {
      timeouts.add(timeoutMs);
      return DoorWaiter.Outcome.REFUSED;
    };
    boolean open = new DoorWaiter(Clock.systemUTC(), err, true).await("h:22", never, 1);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(open).isFalse();
    assertThat(ms).isBetween(900L, 2500L);
    assertThat(timeouts.size()).isBetween(2, 11);
    String shown = errBytes.toString(StandardCharsets.UTF_8);
    assertThat(shown).startsWith("\rknock: waiting for h:22 to open... 1 s ").endsWith("\r\033[K");
  }
}
