package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.knock.core.Command;
import org.knock.core.DecodeResult;
import org.knock.core.DecoderSettings;
import org.knock.core.InMemoryReplayCache;
import org.knock.core.KnockDecoder;
import org.knock.core.KnockEncoder;
import org.knock.core.KnockKey;
import org.knock.core.KnockUser;
import org.knock.core.PortMapping;
import org.knock.core.Rejection;

class SourceTrackerTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  private static final int SRC = 0x0A630002;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(1));
  private final DecoderSettings settings = DecoderSettings.defaults();
  private final KnockDecoder decoder = new KnockDecoder(settings,
      List.of(new KnockUser("alice", key, false)), new InMemoryReplayCache());

  private int[] knock(long seed) throws Exception {
    return new KnockEncoder(key, settings.suite(), settings.mapping(), settings.basePort())
        .encode(Command.parse("open 22 30m"), 0, T0, new SplittableRandom(seed));
  }

  private SourceTracker tracker(int maxSources) {
    return new SourceTracker(decoder, Duration.ofSeconds(10), maxSources, 512);
  }

  @Test
  void aKnockIsAcceptedAndTheSourceForgotten() throws Exception {
    SourceTracker t = tracker(100);
    DecodeResult last = null;
    int sport = 40000;
    for (int p : knock(1)) {
      last = t.offer(SRC, sport++, p, T0, new ArrayList<>());
    }
    assertThat(last.isAccepted()).isTrue();
    assertThat(t.size()).isZero();
  }

  @Test
  void retransmitsCountOnce() throws Exception {
    // classic mapping: a repeated destination port may be a real repeated byte, so only the
    // tracker's (source port, destination port) check can tell a retransmit from a knock
    DecoderSettings classic = new DecoderSettings(settings.suite(), PortMapping.CLASSIC,
        settings.basePort(), settings.timeWindow(), settings.maxCombinations());
    KnockDecoder d = new KnockDecoder(classic, List.of(new KnockUser("alice", key, false)),
        new InMemoryReplayCache());
    SourceTracker t = new SourceTracker(d, Duration.ofSeconds(10), 100, 512);
    int[] ports = new KnockEncoder(key, classic.suite(), classic.mapping(), classic.basePort())
        .encode(Command.parse("open 22 30m"), 0, T0, new SplittableRandom(2));
    List<SourceTracker.Ended> ended = new ArrayList<>();
    DecodeResult last = null;
    for (int i = 0; i < ports.length; i++) {
      for (int copy = 0; copy < 3; copy++) { // the SYN and two retransmits
        last = t.offer(SRC, 40000 + i, ports[i], T0.plusMillis(i), ended);
        if (last.isAccepted()) {
          break;
        }
      }
    }
    assertThat(last.isAccepted()).isTrue();
    assertThat(last.combinations()).isEqualTo(1); // 20 ports held, not 60
  }

  @Test
  void aSequenceOlderThanTheTimeoutStartsOver() throws Exception {
    SourceTracker t = tracker(100);
    int[] ports = knock(3);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      t.offer(SRC, 40000 + i, ports[i], T0, ended);
    }
    DecodeResult last = null;
    for (int i = 10; i < 20; i++) {
      last = t.offer(SRC, 40000 + i, ports[i], T0.plusSeconds(11), ended);
    }
    assertThat(last.isAccepted()).isFalse();
  }

  @Test
  void aStrayPortJustBeforeTheKnockDoesNotSplitIt() throws Exception {
    // a scan touched the range 9.5 s before the knock; the knock's packets arrive across the
    // moment that stray port turns 10 s old: only the stray port may be forgotten
    SourceTracker t = tracker(100);
    int[] ports = knock(6);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    t.offer(SRC, 1, settings.basePort() + 7, T0, ended);
    DecodeResult last = null;
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 40000 + i, ports[i], T0.plusMillis(9_500 + 50 * i), ended);
    }
    assertThat(last.isAccepted()).isTrue();
    assertThat(last.combinations()).isEqualTo(1); // the stray candidate was dropped
  }

  @Test
  void aRejectedSequenceIsReportedWhenItEnds() throws Exception {
    SourceTracker t = tracker(100);
    int[] ports = knock(4);
    ports[5] ^= 1;
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      t.offer(SRC, 40000 + i, ports[i], T0, ended);
    }
    assertThat(ended).isEmpty();
    assertThat(t.sweep(T0.plusSeconds(5))).isEmpty();
    List<SourceTracker.Ended> swept = t.sweep(T0.plusSeconds(11));
    assertThat(swept).containsExactly(new SourceTracker.Ended(SRC, 20, Rejection.BAD_TAG));
    assertThat(t.size()).isZero();
  }

  @Test
  void aKnockRefusedAfterAValidTagDoesNotSpoilTheNextOne() throws Exception {
    // e.g. a replayed (or stale, or address-not-allowed) knock, then the user's fresh one at once
    SourceTracker t = tracker(100);
    int[] first = knock(6);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    DecodeResult last = null;
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 40000 + i, first[i], T0, ended);
    }
    assertThat(last.isAccepted()).isTrue();
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 41000 + i, first[i], T0.plusSeconds(1), ended);
    }
    assertThat(last.rejection()).isEqualTo(Rejection.REPLAY);
    int[] retry = knock(7);
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 42000 + i, retry[i], T0.plusSeconds(2), ended);
    }
    assertThat(last.isAccepted()).as("the retry, decoded: %s", last).isTrue();
    assertThat(ended).isEmpty();
  }

  @Test
  void memoryIsBoundedUnderAFloodOfSources() throws Exception {
    SourceTracker t = tracker(1000);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      t.offer(0x0B000000 + i, 1234, settings.basePort() + (i % 5120), T0, ended);
    }
    assertThat(t.size()).isEqualTo(1000);
    assertThat(t.evictions()).isEqualTo(99_000);
    // a legitimate knock during the flood still opens
    DecodeResult last = null;
    int sport = 40000;
    for (int p : knock(5)) {
      last = t.offer(SRC, sport++, p, T0, ended);
      t.offer(0x0C000000 + sport, 1, settings.basePort(), T0, ended); // flood goes on between
    }
    assertThat(last.isAccepted()).isTrue();
  }

  @Test
  void aFreshKnockHalfASecondAfterAPartialOneOpens() throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int[] partial = knock(8);
    for (int i = 0; i < 20; i++) {
      if (i != 13) { // one SYN lost
        t.offer(SRC, 40000 + i, partial[i], T0, ended);
      }
    }
    DecodeResult last = null;
    int[] fresh = knock(9);
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 41000 + i, fresh[i], T0.plusMillis(500), ended);
    }
    assertThat(last.isAccepted()).isTrue();
  }

  @Test
  void junkBeyondThePortCapCannotCrowdOutAKnock() throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(10);
    for (int i = 0; i < 2000; i++) {
      t.offer(SRC, 1000 + i, settings.basePort() + rnd.nextInt(5120), T0, ended);
    }
    DecodeResult last = null;
    int[] ports = knock(11);
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 40000 + i, ports[i], T0.plusMillis(100), ended);
    }
    assertThat(last.isAccepted()).isTrue();
  }

  @Test
  void junkFromManySourcesCannotStarveAKnockOfTheBudget() throws Exception {
    // 1,000 users: one message costs 1,000 checks; a budget of 1,000,000 checks a second
    CheckBudget budget = new CheckBudget(1_000_000, 1000);
    SourceTracker t = new SourceTracker(decoder, Duration.ofSeconds(10), 10_000, 512, budget);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(12);
    // 200 junk sources fill all 20 positions, then keep sending: every packet asks for checks
    for (int round = 0; round < 30; round++) {
      for (int src = 0; src < 200; src++) {
        int pos = round % 20;
        t.offer(0x0B000000 + src, 2000 + round, settings.basePort() + 256 * pos
            + rnd.nextInt(256), T0.plusMillis(round), ended);
      }
    }
    assertThat(budget.refused()).as("the junk spent the budget").isPositive();
    assertThat(budget.spentThisSecond()).isLessThanOrEqualTo(1_000_000);
    DecodeResult last = null;
    int[] ports = knock(13);
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 40000 + i, ports[i], T0.plusMillis(40), ended);
    }
    if (!last.isAccepted()) { // refused on the packet path: the next sweep serves it first
      assertThat(last.rejection()).isEqualTo(Rejection.DECODER_BUSY);
      List<SourceTracker.Retried> retried = t.retryPending(T0.plusMillis(290));
      assertThat(retried).extracting(r -> r.result().isAccepted()).contains(true);
      assertThat(retried).extracting(SourceTracker.Retried::source).contains(SRC);
    }
    assertThat(budget.spentThisSecond()).isLessThanOrEqualTo(1_000_000);
  }
}
