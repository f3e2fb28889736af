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
import org.knock.core.SequenceAssembler;

class SourceTrackerTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  private static final int SRC = 0x0A630002;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(1));
  private final DecoderSettings settings = DecoderSettings.defaults();
  private final KnockDecoder decoder = new KnockDecoder(settings,
      List.of(new KnockUser("alice", key, false)), new InMemoryReplayCache());

  private int[] knock(long seed) throws Exception {
    return knock(T0, seed);
  }

  private int[] knock(Instant at, long seed) throws Exception {
    return new KnockEncoder(key, settings.suite(), settings.mapping(), settings.basePort())
        .encode(Command.parse("open 22 30m"), 0, at, new SplittableRandom(seed));
  }

  private SourceTracker tracker(int maxSources) {
    return new SourceTracker(decoder, Duration.ofSeconds(10), maxSources, 512);
  }

  @Test
  void aKnockIsAcceptedAndOnlyItsNewestPortIsKeptUntilTheSequenceEnds() throws Exception {
    SourceTracker t = tracker(100);
    DecodeResult last = null;
    int sport = 40000;
    for (int p : knock(1)) {
      last = t.offer(SRC, sport++, p, T0, new ArrayList<>());
    }
    assertThat(last.isAccepted()).isTrue();
    assertThat(t.size()).as("the source, holding the knock's newest port").isEqualTo(1);
    assertThat(t.owesChecks()).isFalse();
    assertThat(t.sweep(T0.plusSeconds(11))).as("ends without a word").isEmpty();
    assertThat(t.size()).isZero();
  }

  @Test
  void aSourceMakesItsAssemblerAtItsTwentiethPortAndAKnockAfterNineteenJunkPortsStillOpens()
      throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int base = settings.basePort();
    int[] knock = knock(1);
    for (int i = 0; i < 19; i++) { // junk at every position but the last, bytes the knock lacks
      int junk = knock[i] == base + 256 * i + 7 ? base + 256 * i + 8 : base + 256 * i + 7;
      assertThat(t.offer(SRC, 30000 + i, junk, T0.plusMillis(i), ended).status())
          .isEqualTo(DecodeResult.Status.INCOMPLETE);
    }
    assertThat(t.assemblers(SRC)).as("19 ports: no knock fits, no assembler").isZero();
    // another source's 19 ports meanwhile change nothing for this one
    for (int i = 0; i < 19; i++) {
      t.offer(SRC + 1, 30000 + i, base + 256 * i, T0.plusMillis(20 + i), ended);
    }
    DecodeResult last = null;
    int sport = 40000;
    for (int p : knock) {
      last = t.offer(SRC, sport++, p, T0.plusMillis(100), ended);
      assertThat(t.assemblers(SRC)).as("from the 20th port on").isEqualTo(1);
    }
    assertThat(last.isAccepted()).as("the knock after the junk, offered there late").isTrue();
    assertThat(t.assemblers(SRC + 1)).isZero();
    assertThat(ended).isEmpty();
  }

  @Test
  void theAssemblersMadeAtTheTwentiethPortForgetTheEarlierPortsAtTheirOwnTimes() {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int base = settings.basePort();
    for (int i = 0; i < 10; i++) { // positions 0-9 at T0
      t.offer(SRC, 30000 + i, base + 256 * i + 1, T0, ended);
    }
    for (int i = 10; i < 20; i++) { // 10-19 at T0 + 6 s: the 20th makes the assembler, a check
      t.offer(SRC, 30000 + i, base + 256 * i + 1, T0.plusSeconds(6), ended);
    }
    assertThat(t.assemblers(SRC)).isEqualTo(1);
    // past T0's window: the ports of T0 go, here and in the assembler; one more port comes
    t.offer(SRC, 31000, base + 2, T0.plusMillis(10_500), ended);
    assertThat(t.sweep(T0.plusSeconds(21))).as("the sequence ends refused, with its ports")
        .containsExactly(new SourceTracker.Ended(SRC, 11, Rejection.BAD_TAG));
  }

  @Test
  void theSweepStopsAtTheFirstYoungSourceYetEndsEveryOldOneWithinATimeout() {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int base = DecoderSettings.defaults().basePort();
    t.offer(1, 40000, base + 1, T0, ended);
    t.offer(2, 40000, base + 2, T0.plusSeconds(1), ended);
    t.offer(1, 40000, base + 1, T0.plusSeconds(2), ended); // a retransmit: seen, not renewed
    assertThat(t.sweep(T0.plusSeconds(5))).isEmpty();
    t.sweep(T0.plusMillis(10_500)); // 1 is over its time, but seen after 2, which is not
    assertThat(t.sweep(T0.plusMillis(11_100))).isEmpty();
    assertThat(t.tracks(1)).as("ended once the source before it is").isFalse();
    assertThat(t.tracks(2)).isFalse();

    // the clock set back: a source from before it is young for a while, and comes first
    SourceTracker u = tracker(100);
    u.offer(3, 40000, base + 3, T0.plusSeconds(100), ended);
    assertThat(u.sweep(T0.plusSeconds(100))).isEmpty();
    u.offer(4, 40000, base + 4, T0, ended);
    u.sweep(T0.plusSeconds(11));
    assertThat(u.tracks(4)).as("over its time behind a source 'from the future'").isFalse();
    assertThat(u.tracks(3)).isTrue();
    for (int i = 0; i < 30; i++) { // every walk stops at 3, which stays young
      u.offer(5 + i, 40000, base + 5, T0.plusSeconds(12 + i), ended);
      u.sweep(T0.plusSeconds(12 + i));
    }
    assertThat(u.sweep(T0.plusSeconds(52))).isEmpty();
    for (int i = 0; i < 30; i++) {
      assertThat(u.tracks(5 + i)).as("source %d, last seen at +%d s, at +52 s", 5 + i, 12 + i)
          .isEqualTo(12 + i >= 42);
    }
    assertThat(ended).isEmpty();
  }

  @Test
  void theHeldPortsAreListedAsTheyArrivedWithTheirDestinationNewestSourcesWithinTheBound()
      throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    t.offer(1, 0x0A000001, 40000, 20001, T0, ended);
    t.offer(2, 0x0A000002, 40001, 20002, T0.plusMillis(1), ended);
    t.offer(2, 0x0A000002, 65535, 20300, T0.plusMillis(2), ended);
    t.offer(3, -1, 50000, 25119, T0.plusMillis(3), ended);
    t.offer(1, 0x0A000001, 40002, 20600, T0.plusMillis(4), ended); // 1 is now the newest
    List<String> all = new ArrayList<>();
    t.forEachHeld(100, (src, dst, sp, dp, at) -> all.add(src + " " + Integer.toHexString(dst)
        + " " + sp + " " + dp + " " + (at - T0.toEpochMilli())));
    assertThat(all).containsExactly("2 a000002 40001 20002 1", "2 a000002 65535 20300 2",
        "3 ffffffff 50000 25119 3", "1 a000001 40000 20001 0", "1 a000001 40002 20600 4");
    List<Integer> bounded = new ArrayList<>();
    assertThat(t.forEachHeld(3, (src, dst, sp, dp, at) -> bounded.add(src)))
        .as("sources left out: 2").isEqualTo(1);
    assertThat(bounded).as("whole sources, the newest: 1 (2 ports) and 3 (1)")
        .containsExactly(3, 1, 1);
  }

  @Test
  void aKnockReplayedIntoANewTrackerCompletesThereWithItsRest() throws Exception {
    SourceTracker old = tracker(100);
    int[] ports = knock(3);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      old.offer(SRC, 40000 + i, ports[i], T0, ended);
    }
    SourceTracker next = tracker(100);
    old.forEachHeld(1000, (src, dst, sp, dp, at) ->
        assertThat(next.replay(src, dst, sp, dp, at, T0.plusSeconds(2), ended).status())
            .isEqualTo(DecodeResult.Status.INCOMPLETE));
    // a retransmit of a replayed port still counts once
    assertThat(next.offer(SRC, 40000, ports[0], T0.plusSeconds(2), ended).status())
        .isEqualTo(DecodeResult.Status.INCOMPLETE);
    DecodeResult last = null;
    for (int i = 12; i < 20; i++) {
      last = next.offer(SRC, 40000 + i, ports[i], T0.plusSeconds(2), ended);
    }
    assertThat(last.isAccepted()).isTrue();
    assertThat(ended).isEmpty();
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
  void everyKnockOfAUserKnockingAgainAndAgainOpens() throws Exception {
    // one address knocking every 360 ms for a minute (a script, users behind one NAT, a
    // benchmark): ~560 ports in each SequenceTimeout, over the cap of 512 a source. The newest
    // port of each accepted knock is kept, so position 19 gathers a candidate a knock, and now
    // and then one of them lends the next knock its byte there, before its own port comes.
    assertThat(knocksThatFailed(false)).as("knocks that did not open").isEmpty();
    // the same with a spoofed junk port every 2 s: the sequence never holds only kept ports, so
    // the decided knocks' ports count to the cap, which must not take the knock arriving
    assertThat(knocksThatFailed(true)).as("knocks that did not open, with junk").isEmpty();
  }

  private List<Integer> knocksThatFailed(boolean junk) throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int sport = 1024;
    List<Integer> failed = new ArrayList<>();
    for (int k = 0; k < 160; k++) {
      Instant at = T0.plusMillis(360L * k);
      if (junk && k % 6 == 0) {
        t.offer(SRC, 7, settings.basePort() + 256 * (k % 20) + 13, at.minusMillis(100), ended);
      }
      int[] ports = knock(at, (junk ? 2000 : 1000) + k); // one replay cache for both
      boolean accepted = false;
      for (int i = 0; i < ports.length; i++) {
        DecodeResult r = t.offer(SRC, sport, ports[i], at.plusMillis(i / 4), ended);
        sport = sport == 65535 ? 1024 : sport + 1;
        accepted |= r.isAccepted();
      }
      if (!accepted) {
        failed.add(k);
      }
    }
    assertThat(ended).isEmpty();
    List<SourceTracker.Ended> atTheEnd = t.sweep(T0.plusMillis(360L * 160 + 10_001));
    if (junk) { // what the junk did to the sequence is said once it ends: no more than that
      assertThat(atTheEnd).allSatisfy(e -> assertThat(e.strongest()).isSameAs(Rejection.BAD_TAG));
    } else {
      assertThat(atTheEnd).as("a rejection reported for a user whose every knock opened")
          .isEmpty();
    }
    return failed;
  }

  /** A tracker whose assemblers are handed to {@code made} as they are made. */
  private SourceTracker watched(PortMapping mapping, List<SequenceAssembler> made) {
    DecoderSettings s = new DecoderSettings(settings.suite(), mapping, settings.basePort(),
        settings.timeWindow(), settings.maxCombinations());
    KnockDecoder d = new KnockDecoder(s, List.of(new KnockUser("alice", key, false)),
        new InMemoryReplayCache());
    return new SourceTracker(d, Duration.ofSeconds(10), 100, 512).twin((src, dst) -> {
      SequenceAssembler a = d.newSequence(src, dst);
      made.add(a);
      return a;
    });
  }

  @Test
  void keptPortsGoAfterTheTimeoutWhileTheSourceKnocksOn() throws Exception {
    // each accepted knock leaves its newest port kept; a sequence of only kept ports starts
    // over, but the kept ports themselves must still go after SequenceTimeout (10 s here)
    List<SequenceAssembler> made = new ArrayList<>();
    SourceTracker t = watched(PortMapping.INDEXED, made);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int k = 0; k < 40; k++) {
      Instant at = T0.plusSeconds(k);
      int[] ports = knock(at, 5000 + k);
      boolean accepted = false; // at its last port, or one before if a kept port lent a byte
      for (int i = 0; i < ports.length; i++) {
        accepted |= t.offer(SRC, 2000 + 20 * k + i, ports[i], at, ended).isAccepted();
      }
      assertThat(accepted).as("knock %d", k).isTrue();
      assertThat(made).hasSize(1);
      assertThat(made.get(0).oldestKeptMillis()).as("after knock %d", k)
          .isGreaterThanOrEqualTo(at.minusSeconds(10).toEpochMilli());
      // kept only: each knock's newest, and its own last port where a kept port lent its byte
      assertThat(made.get(0).onlyKept()).as("after knock %d", k).isTrue();
      assertThat(made.get(0).size()).as("after knock %d", k).isLessThanOrEqualTo(2 * 11);
    }
    assertThat(ended).isEmpty();
  }

  @Test
  void thePortCapHoldsAfterTheClockWasSetBack() {
    List<SequenceAssembler> made = new ArrayList<>();
    SourceTracker t = watched(PortMapping.CLASSIC, made);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    // one port, then the wall clock steps back 60 s (an NTP step); the source floods for 20 s
    t.offer(SRC, 1000, settings.basePort() + 1, T0.plusSeconds(60), ended);
    for (int i = 0; i < 20_000; i++) {
      t.offer(SRC, 1024 + i, settings.basePort() + (i * 7 & 0xFF), T0.plusMillis(i), ended);
    }
    assertThat(made.get(0).size()).as("classic, after the clock was set back")
        .isLessThanOrEqualTo(512);
  }

  @Test
  void thePortCapHoldsForPortsOfOneMillisecond() {
    List<SequenceAssembler> made = new ArrayList<>();
    SourceTracker t = watched(PortMapping.INDEXED, made);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int i = 0; i < 3000; i++) { // 3,000 distinct (position, byte) cells in one ms
      t.offer(SRC, 1024 + i, settings.basePort() + 256 * (i % 20) + i / 20, T0, ended);
    }
    assertThat(made.get(0).size()).isLessThanOrEqualTo(512);
  }

  @Test
  void aKnockArrivingAcrossAnIntOfMillisecondsFromTheSequencesFirstPortOpens() throws Exception {
    // arrival times are held as ints from a base that moves up: a source heard from every 5 s
    // (within the 10 s timeout: one sequence) for 24.9 days, then a knock whose ports straddle
    // 2^31 ms after the sequence's first port
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    long step = 5_000;
    long wrap = 1L << 31;
    for (long i = 0; i * step < wrap - 6_000; i++) {
      t.offer(SRC, 1024 + (int) (i % 60_000), settings.basePort() + 1 + (int) (i % 7),
          T0.plusMillis(i * step), ended);
    }
    Instant start = T0.plusMillis(wrap - 2_000);
    int[] ports = knock(start, 17);
    List<Long> held = new ArrayList<>();
    DecodeResult last = null;
    for (int j = 0; j < ports.length; j++) { // 200 ms apart: from 2 s before to 1.8 s after
      last = t.offer(SRC, 2000 + j, ports[j], start.plusMillis(200L * j), ended);
      if (j == 18) {
        t.forEachHeld(100, (src, dst, sp, dp, at) -> held.add(at - T0.toEpochMilli() - wrap));
      }
    }
    assertThat(held).as("the knock's ports so far at their times, across the int's end")
        .contains(-2_000L, -200L, 0L).endsWith(1_200L, 1_400L, 1_600L);
    assertThat(last.isAccepted()).isTrue();
    assertThat(ended).isEmpty();
  }

  @Test
  void aClockSetBackByTwentySixDaysStartsTheSequenceOverAndAKnockThenOpens() throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    Instant later = T0.plus(Duration.ofDays(26));
    for (int i = 0; i < 5; i++) {
      t.offer(SRC, 1024 + i, settings.basePort() + 1 + i, later.plusMillis(i), ended);
    }
    int[] ports = knock(T0, 18); // the clock steps back 26 days: beyond an int of milliseconds
    t.offer(SRC, 3000, ports[0], T0, ended);
    t.offer(SRC, 3001, ports[1], T0.plusMillis(7), ended);
    List<String> held = new ArrayList<>();
    t.forEachHeld(100, (src, dst, sp, dp, at) -> held.add(sp + " " + (at - T0.toEpochMilli())));
    assertThat(held).as("only the ports since the step, at their own times")
        .containsExactly("3000 0", "3001 7");
    DecodeResult last = null;
    for (int i = 2; i < ports.length; i++) {
      last = t.offer(SRC, 3000 + i, ports[i], T0.plusMillis(7), ended);
    }
    assertThat(last.isAccepted()).isTrue();
  }

  @Test
  void aSourceSendingToTwoDestinationsKeepsEachPortsOwnAcrossTheCapAndTheWindow() {
    // the destinations are held once for a source's pairs until a second one comes
    SourceTracker t = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 40);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int i = 0; i < 60; i++) { // past the cap of 40: the oldest quarter goes
      int dst = i < 15 ? 0x0A000001 : 0x0A000001 + (i % 3);
      t.offer(SRC, dst, 1024 + i, settings.basePort() + 3, T0.plusMillis(100L * i), ended);
      if (i == 16) { // the second destination: the 16 pairs before it keep theirs
        List<Integer> dsts = new ArrayList<>();
        t.forEachHeld(100, (src, d, sp, dp, at) -> dsts.add(d - 0x0A000001));
        List<Integer> want = new ArrayList<>(java.util.Collections.nCopies(16, 0));
        want.add(1);
        assertThat(dsts).containsExactlyElementsOf(want);
      }
    }
    t.offer(SRC, 0x0A000009, 5000, settings.basePort() + 4, T0.plusMillis(12_000), ended);
    List<String> held = new ArrayList<>();
    t.forEachHeld(100, (src, dst, sp, dp, at) -> held.add((dst - 0x0A000001) + "@" + (sp - 1024)
        + "@" + (at - T0.toEpochMilli())));
    List<String> expected = new ArrayList<>();
    for (int i = 30; i < 60; i++) { // the 41st port held cut the oldest 10 (from 2,000 ms on)
      expected.add((i < 15 ? 0 : i % 3) + "@" + i + "@" + 100L * i);
    }
    expected.add("8@3976@12000");
    assertThat(held).containsExactlyElementsOf(expected);
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
    List<Rejection> refused = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      last = t.offer(SRC, 41000 + i, first[i], T0.plusSeconds(1), ended);
      refused.add(last.rejection());
    }
    // at its 19th port already: the 20th is the first knock's newest, kept
    assertThat(refused).containsOnlyOnce(Rejection.REPLAY);
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

  /** Offers ports[from..to) from SRC with source ports 40000+i at {@code at}; the last result. */
  private static DecodeResult send(SourceTracker t, int[] ports, int from, int to, Instant at,
      List<SourceTracker.Ended> ended) {
    DecodeResult last = null;
    for (int i = from; i < to; i++) {
      last = t.offer(SRC, 40000 + i, ports[i], at, ended);
    }
    return last;
  }

  @Test
  void portsStayForExactlyTheTimeoutAndNotAMillisecondLonger() throws Exception {
    int[] ports = knock(20);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    SourceTracker t = tracker(100);
    send(t, ports, 0, 10, T0, ended);
    assertThat(send(t, ports, 10, 20, T0.plusSeconds(10), ended).isAccepted()).isTrue();

    ports = knock(23);
    SourceTracker late = tracker(100);
    send(late, ports, 0, 10, T0, ended);
    late.offer(SRC, 1, settings.basePort() + 256 * 19, T0.plusSeconds(6), ended); // keeps it alive
    DecodeResult r = send(late, ports, 10, 20, T0.plusMillis(10_001), ended);
    assertThat(r.isAccepted()).as("the first ten ports left the window").isFalse();
    assertThat(late.tracks(SRC)).isTrue();
    // their (source port, destination port) pairs went too: sent again, they count again
    assertThat(send(late, ports, 0, 10, T0.plusMillis(10_002), ended).isAccepted()).isTrue();
  }

  @Test
  void aSequenceThatTimesOutIsReportedByTheNextPacket() throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int pos = 0; pos < 20; pos++) {
      t.offer(SRC, 1000 + pos, settings.basePort() + 256 * pos + 7, T0, ended);
    }
    assertThat(ended).isEmpty();
    t.offer(SRC, 2000, settings.basePort(), T0.plusSeconds(10), ended); // not yet
    assertThat(ended).isEmpty();
    t.offer(SRC, 2001, settings.basePort(), T0.plusMillis(20_001), ended);
    assertThat(ended).containsExactly(new SourceTracker.Ended(SRC, 21, Rejection.BAD_TAG));
  }

  @Test
  void theSweepEndsOnlySequencesPastTheTimeout() throws Exception {
    SourceTracker t = tracker(100);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int pos = 0; pos < 20; pos++) {
      t.offer(SRC, 1000 + pos, settings.basePort() + 256 * pos + 7, T0, ended);
    }
    assertThat(t.sweep(T0.plusSeconds(10))).isEmpty();
    assertThat(t.tracks(SRC)).isTrue();
    assertThat(t.sweep(T0.plusMillis(10_001)))
        .containsExactly(new SourceTracker.Ended(SRC, 20, Rejection.BAD_TAG));
    assertThat(t.tracks(SRC)).isFalse();
  }

  @Test
  void theSourceLeastRecentlyHeardFromIsEvictedFirst() {
    SourceTracker t = tracker(2);
    assertThat(t.maxSources()).isEqualTo(2);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int a = 0x0B000001;
    int b = 0x0B000002;
    int c = 0x0B000003;
    t.offer(a, 1, settings.basePort(), T0, ended);
    t.offer(b, 1, settings.basePort(), T0, ended);
    t.offer(a, 2, settings.basePort() + 1, T0, ended); // a heard from again
    t.offer(c, 1, settings.basePort(), T0, ended);
    assertThat(t.tracks(a)).isTrue();
    assertThat(t.tracks(b)).isFalse();
    assertThat(t.tracks(c)).isTrue();
    assertThat(t.evictions()).isEqualTo(1);
  }

  @Test
  void thePortCapStartsOnlyPastTheCap() throws Exception {
    int[] ports = knock(21);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    SourceTracker exact = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 20);
    assertThat(send(exact, ports, 0, 20, T0, ended).isAccepted()).isTrue();

    ports = knock(24);
    SourceTracker over = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 24);
    for (int i = 0; i < 6; i++) {
      over.offer(SRC, 40000 + i, ports[i], T0.plusMillis(i), ended);
    }
    int junk = settings.basePort() + 256 * 19;
    for (int j = 0, v = 0; j < 19; j++, v++) { // the 25th port: the oldest quarter (6) goes
      if (v == ((ports[19] - settings.basePort()) & 0xFF)) {
        v++;
      }
      over.offer(SRC, 1000 + j, junk + v, T0.plusMillis(10 + j), ended);
    }
    DecodeResult r = null;
    for (int i = 6; i < 20; i++) {
      r = over.offer(SRC, 40000 + i, ports[i], T0.plusMillis(100 + i), ended);
    }
    assertThat(r.isAccepted()).as("the knock's first six ports went").isFalse();
    for (int i = 0; i < 6; i++) { // and their pairs with them: the same packets are new again
      r = over.offer(SRC, 40000 + i, ports[i], T0.plusMillis(200 + i), ended);
    }
    assertThat(r.isAccepted()).isTrue();
  }

  @Test
  void portsToEachDestinationAddressAreKeptApartForTheFourNewest() throws Exception {
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int others = 3; others <= 6; others++) { // from 4 on, the oldest go, home first
      int[] ports = knock(220 + others); // a knock of its own: the decoder remembers the first
      SourceTracker t = tracker(100);
      int home = 0x0A630001;
      for (int i = 0; i < 10; i++) {
        t.offer(SRC, home, 40000 + i, ports[i], T0, ended);
      }
      for (int d = 1; d <= others; d++) { // another source port each: not a retransmit
        t.offer(SRC, home + d, d, settings.basePort() + 256 * 19, T0, ended);
      }
      DecodeResult r = null;
      for (int i = 10; i < 20; i++) {
        r = t.offer(SRC, home, 40000 + i, ports[i], T0, ended);
      }
      assertThat(r.isAccepted()).as("%d other destinations", others).isEqualTo(others == 3);
    }
  }

  @Test
  void onlyARefusalAfterAValidTagIsDefinitive() {
    assertThat(SourceTracker.definitive(Rejection.MALFORMED)).isTrue();
    assertThat(SourceTracker.definitive(Rejection.REPLAY)).isTrue();
    assertThat(SourceTracker.definitive(Rejection.DECODER_BUSY)).isFalse();
    assertThat(SourceTracker.definitive(Rejection.BAD_TAG)).isFalse();
  }

  @Test
  void knocksTheBudgetRefusedAreRetriedInTurnAsTheBudgetAllows() throws Exception {
    // one check a second: the first of each second is always allowed, the rest refused
    CheckBudget budget = new CheckBudget(1, 1);
    SourceTracker t = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 512, budget);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int other = SRC + 1;
    assertThat(t.retryPending(T0)).isEmpty();
    assertThat(t.owesChecks()).isFalse();
    int[] first = knock(30);
    int[] second = knock(31);
    DecodeResult r1 = send(t, first, 0, 20, T0, ended); // takes the second's one check
    assertThat(r1.isAccepted()).isTrue();
    DecodeResult r2 = null;
    DecodeResult r3 = null;
    for (int i = 0; i < 20; i++) {
      r2 = t.offer(SRC, 41000 + i, second[i], T0.plusMillis(10), ended);
      r3 = t.offer(other, 41000 + i, knock(32 + i / 100)[i], T0.plusMillis(10), ended);
    }
    assertThat(r2.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(r3.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(t.owesChecks()).isTrue();
    assertThat(t.retryPending(T0.plusMillis(20))).as("still spent").isEmpty();
    assertThat(t.owesChecks()).as("the refused ones keep their place").isTrue();

    List<SourceTracker.Retried> next = t.retryPending(T0.plusSeconds(1));
    assertThat(next).hasSize(1);
    assertThat(next.get(0).source()).isEqualTo(SRC); // refused first, served first
    assertThat(next.get(0).result().isAccepted()).isTrue();
    List<SourceTracker.Retried> after = t.retryPending(T0.plusSeconds(2));
    assertThat(after).extracting(SourceTracker.Retried::source).containsExactly(other);
    assertThat(after.get(0).result().isAccepted()).isTrue();
    assertThat(t.owesChecks()).isFalse();
    assertThat(t.retryPending(T0.plusSeconds(3))).isEmpty();
    assertThat(t.size()).as("both sources, holding their knocks' newest ports").isEqualTo(2);
    assertThat(t.sweep(T0.plusSeconds(13))).isEmpty();
    assertThat(t.size()).isZero();
  }

  @Test
  void theSourceThatSpentLeastThisSecondIsRetriedFirst() throws Exception {
    CheckBudget budget = new CheckBudget(8, 1);
    SourceTracker t = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 512, budget);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    int other = SRC + 1;
    send(t, knock(40), 0, 20, T0, ended); // the only check allowed this early in the second
    int[] mine = knock(41);
    int[] theirs = knock(42);
    for (int i = 0; i < 20; i++) {
      t.offer(SRC, 41000 + i, mine[i], T0.plusMillis(10), ended);
      t.offer(other, 41000 + i, theirs[i], T0.plusMillis(10), ended);
    }
    // the next second SRC spends a check on junk sent to another address
    for (int pos = 0; pos < 20; pos++) {
      t.offer(SRC, 0x0A630009, 50000 + pos, settings.basePort() + 256 * pos, T0.plusMillis(1_900),
          ended);
    }
    List<SourceTracker.Retried> next = t.retryPending(T0.plusMillis(1_900));
    assertThat(next).extracting(SourceTracker.Retried::source).containsExactly(other, SRC);
    assertThat(next).allMatch(r -> r.result().isAccepted());
  }

  /** The classic mapping: a retransmit counted twice would be a port in the knock's way. */
  private final DecoderSettings classic = new DecoderSettings(settings.suite(),
      PortMapping.CLASSIC, settings.basePort(), settings.timeWindow(), settings.maxCombinations());

  private SourceTracker classicTracker(int maxPortsPerSource) {
    return new SourceTracker(new KnockDecoder(classic, List.of(new KnockUser("alice", key, false)),
        new InMemoryReplayCache()), Duration.ofSeconds(10), 100, maxPortsPerSource);
  }

  private int[] classicKnock(long seed) throws Exception {
    return new KnockEncoder(key, classic.suite(), classic.mapping(), classic.basePort())
        .encode(Command.parse("open 22 30m"), 0, T0, new SplittableRandom(seed));
  }

  @Test
  void aPortExactlyAsOldAsTheWindowKeepsItsRetransmitCheck() throws Exception {
    // a stray port, then the knock's first port 1 ms later: at 10,001 ms the stray leaves the
    // window (16 ports held then, a full array) and the knock's first port is exactly on its
    // edge; the retransmits of the ports sent so far still count once
    SourceTracker t = classicTracker(512);
    int[] ports = classicKnock(50);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    t.offer(SRC, 1, classic.basePort() + 7, T0, ended);
    t.offer(SRC, 40000, ports[0], T0.plusMillis(1), ended);
    send(t, ports, 1, 15, T0.plusSeconds(5), ended);
    send(t, ports, 15, 16, T0.plusMillis(10_001), ended); // the stray goes
    send(t, ports, 0, 15, T0.plusMillis(10_001), ended); // retransmits
    DecodeResult r = send(t, ports, 16, 20, T0.plusMillis(10_001), ended);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.combinations()).as("the retransmits counted once").isEqualTo(1);
  }

  @Test
  void afterThePortCapTheKeptPortsKeepTheirOwnTimes() throws Exception {
    // cap 24: the 25th port drops the six oldest (junk); the knock's ports, sent 5 s later,
    // must stay in the window until 5 s + 10 s, their retransmits still recognised
    SourceTracker t = classicTracker(24);
    int[] ports = classicKnock(51);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    for (int j = 0; j < 6; j++) {
      t.offer(SRC, 1000 + j, classic.basePort() + j + 1, T0, ended);
    }
    send(t, ports, 0, 19, T0.plusSeconds(5), ended);
    send(t, ports, 0, 19, T0.plusMillis(10_001), ended); // retransmits, every one
    DecodeResult r = send(t, ports, 19, 20, T0.plusMillis(10_001), ended);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.combinations()).as("the retransmits counted once").isEqualTo(1);
  }

  @Test
  void aSequenceEndsWithItsStrongestRejection() throws Exception {
    // one check a second: a wrong knock is refused for the budget first, then for its tag
    CheckBudget budget = new CheckBudget(1, 1);
    SourceTracker t = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 512, budget);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    send(t, knock(52), 0, 20, T0, ended); // spends the second's one check
    int[] wrong = knock(53);
    wrong[3] ^= 1;
    DecodeResult r = send(t, wrong, 0, 20, T0.plusMillis(10), ended);
    assertThat(r.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(t.retryPending(T0.plusSeconds(1))).isEmpty(); // checked now: a bad tag
    assertThat(t.sweep(T0.plusSeconds(12))) // the wrong 20, and the first knock's newest, kept
        .containsExactly(new SourceTracker.Ended(SRC, 21, Rejection.DECODER_BUSY));

    SourceTracker u = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 512,
        new CheckBudget(1, 1));
    send(u, wrong, 0, 19, T0, ended);
    send(u, wrong, 19, 20, T0, ended); // the first check of the second: a bad tag
    send(u, new int[] {settings.basePort() + 256 * 19 + 1}, 0, 1, T0.plusMillis(10), ended);
    assertThat(u.sweep(T0.plusSeconds(12)))
        .containsExactly(new SourceTracker.Ended(SRC, 21, Rejection.DECODER_BUSY));
  }

  @Test
  void aSpentSweepTriesOneOwedSourceAndKeepsTheOthersInTheirPlace() throws Exception {
    CheckBudget budget = new CheckBudget(1, 1);
    SourceTracker t = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 512, budget);
    List<SourceTracker.Ended> ended = new ArrayList<>();
    send(t, knock(60), 0, 20, T0, ended); // spends the second's one check
    for (int s = 1; s <= 3; s++) {
      int[] k = knock(60 + s);
      for (int i = 0; i < 20; i++) {
        t.offer(SRC + s, 41000 + i, k[i], T0.plusMillis(10), ended);
      }
    }
    long refused = budget.refused();
    assertThat(t.retryPending(T0.plusMillis(20))).isEmpty();
    assertThat(budget.refused() - refused).as("one try, refused; the rest wait").isEqualTo(1);
    // the owed queue does not grow: a hundred spent sweeps in a row stay cheap
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      for (int i = 0; i < 100; i++) {
        assertThat(t.retryPending(T0.plusMillis(21 + i))).isEmpty();
      }
    });
    List<SourceTracker.Retried> served = new ArrayList<>();
    for (int sec = 1; sec <= 3; sec++) {
      served.addAll(t.retryPending(T0.plusSeconds(sec)));
    }
    assertThat(served).extracting(SourceTracker.Retried::source)
        .containsExactly(SRC + 1, SRC + 2, SRC + 3);
  }
}
