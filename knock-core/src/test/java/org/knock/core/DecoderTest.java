package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;
import static org.knock.core.Fixtures.OTHER;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The decoder's checks, one test per way a knock can be wrong, and its tolerance of reordering,
 * duplicates and spoofed junk. docs/PROTOCOL.md cites these tests by name.
 */
class DecoderTest {
  private final KnockKey key = Fixtures.key(42);
  private final DecoderSettings settings =
      Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED);
  private final KnockEncoder encoder =
      new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, settings.basePort());
  private final KnockUser alice = new KnockUser("alice", key, false);

  private int[] knock(String command, int grant, Instant at, long seed) throws KnockException {
    return encoder.encode(Command.parse(command), grant, at, new SplittableRandom(seed));
  }

  private DecodeResult decode(KnockDecoder d, int[] ports) {
    return Fixtures.offerAll(d.newSequence(CLIENT), ports, NOW);
  }

  @Test
  void everyOneOfAThousandArrivalOrdersDecodes() throws Exception {
    Random rnd = new Random(1);
    int accepted = 0;
    for (int i = 0; i < 1000; i++) {
      KnockDecoder d = Fixtures.decoder(settings, alice);
      List<Integer> ports = Fixtures.list(knock("open 22 30m", 0, NOW, i));
      Collections.shuffle(ports, rnd);
      if (decode(d, Fixtures.array(ports)).isAccepted()) {
        accepted++;
      }
    }
    assertThat(accepted).isEqualTo(1000);
  }

  /** A knock sealed at {@code at} whose last port is {@code last} (1 in 256 of them). */
  private int[] knockEndingWith(int last, Instant at, long from) throws KnockException {
    for (long seed = from; seed < from + 50_000; seed++) {
      int[] k = knock("open 22 30m", 0, at, seed);
      if (k[19] == last) {
        return k;
      }
    }
    throw new AssertionError("no knock ends with port " + last);
  }

  @Test
  void aKnockThatAKeptPortCompletesTakesItsOwnLatePortAsKept() throws Exception {
    for (DecoderSettings both : List.of(settings, new DecoderSettings(CipherSuite.TWOFISH,
        PortMapping.INDEXED, settings.basePort(), settings.timeWindow(),
        settings.maxCombinations(), List.of(), true))) {
      SequenceAssembler s = Fixtures.decoder(both, alice).newSequence(CLIENT, 0);
      int[] first = knock("open 22 30m", 0, NOW, 1);
      assertThat(Fixtures.offerAll(s, first, NOW).isAccepted()).isTrue(); // its last port: kept
      int[] second = knockEndingWith(first[19], NOW, 2); // the same last byte
      DecodeResult r = null;
      for (int i = 0; i < 19; i++) {
        r = s.offer(second[i], NOW.plusMillis(100));
      }
      assertThat(r.isAccepted()).as("the kept port lent its byte: open one port early").isTrue();
      // its own last port comes now: part of a decided message, not junk
      assertThat(s.offer(second[19], NOW.plusMillis(101))).isSameAs(DecodeResult.INCOMPLETE);
      assertThat(s.onlyKept()).as("nothing left that failed or waits").isTrue();
      int[] third = knock("open 22 30m", 0, NOW, 50_000);
      for (int i = 0; i < 20; i++) {
        r = s.offer(third[i], NOW.plusMillis(200));
        assertThat(r.rejection()).as("port %d of the next knock", i).isNull();
      }
      assertThat(r.isAccepted()).isTrue();
    }
  }

  @Test
  void aReplayThatAKeptPortCompletesCannotSwallowTheNextKnocksLastPort() throws Exception {
    SequenceAssembler s = Fixtures.decoder(settings, alice).newSequence(CLIENT, 0);
    int[] r = knock("open 22 30m", 0, NOW, 1);
    assertThat(Fixtures.offerAll(s, r, NOW).isAccepted()).as("the user's knock").isTrue();
    // the attacker, spoofing the user's address, replays the captured knock but its last port:
    // the kept last port completes it and the tag verifies (refused: a replay)
    DecodeResult replay = DecodeResult.INCOMPLETE;
    for (int i = 0; i < 19; i++) {
      replay = s.offer(r[i], NOW.plusSeconds(1));
    }
    assertThat(replay.rejection()).isSameAs(Rejection.REPLAY);
    // the user's next knock, whose last port is the captured one's (1 in 256)
    int[] k = knockEndingWith(r[19], NOW.plusSeconds(3), 100);
    assertThat(Fixtures.offerAll(s, k, NOW.plusSeconds(3)).isAccepted())
        .as("the user's next knock").isTrue();
  }

  @Test
  void aLentPortsOwnPortLostOnTheWayLeavesNoMarkBehind() throws Exception {
    SequenceAssembler s = Fixtures.decoder(settings, alice).newSequence(CLIENT, 0);
    int[] first = knock("open 22 30m", 0, NOW, 1);
    assertThat(Fixtures.offerAll(s, first, NOW).isAccepted()).isTrue();
    int[] second = knockEndingWith(first[19], NOW, 100);
    assertThat(Fixtures.offerAll(s, java.util.Arrays.copyOf(second, 19), NOW.plusMillis(300))
        .isAccepted()).as("completed one port early by the kept port").isTrue();
    // second[19] is lost on the way; the window passes over everything
    s.forgetBefore(NOW.plusSeconds(60).toEpochMilli());
    assertThat(s.size()).isZero();
    // a knock a minute later whose last port is that one
    Instant later = NOW.plusSeconds(61);
    int[] third = knockEndingWith(first[19], later, 60_000);
    assertThat(Fixtures.offerAll(s, third, later).isAccepted()).isTrue();
  }

  @Test
  void reverseOrderDecodes() throws Exception {
    List<Integer> ports = Fixtures.list(knock("open 22 30m", 0, NOW, 3));
    Collections.reverse(ports);
    assertThat(decode(Fixtures.decoder(settings, alice), Fixtures.array(ports)).isAccepted())
        .isTrue();
  }

  @Test
  void spoofedJunkPortsAtRandomPlacesStillDecode() throws Exception {
    Random rnd = new Random(2);
    for (int junk = 1; junk <= 3; junk++) {
      int accepted = 0;
      for (int i = 0; i < 300; i++) {
        KnockDecoder d = Fixtures.decoder(settings, alice);
        List<Integer> ports = Fixtures.list(knock("open 22 30m", 0, NOW, 1000 + i));
        Collections.shuffle(ports, rnd);
        for (int j = 0; j < junk; j++) {
          int junkPort = settings.basePort() + rnd.nextInt(PortMapping.INDEXED.rangeSize());
          ports.add(rnd.nextInt(ports.size() + 1), junkPort);
        }
        if (decode(d, Fixtures.array(ports)).isAccepted()) {
          accepted++;
        }
      }
      assertThat(accepted).as("with %d junk ports", junk).isEqualTo(300);
    }
  }

  /** Real ports 0..18, then {@code junk} for some positions, then the last real port. */
  private static int[] interleaved(int[] real, int[] junk) {
    int[] ports = new int[20 + junk.length];
    System.arraycopy(real, 0, ports, 0, 19);
    System.arraycopy(junk, 0, ports, 19, junk.length);
    ports[ports.length - 1] = real[19];
    return ports;
  }

  @Test
  void twelveInterleavedJunkPortsAtTheWorstPlacesStayWithinTheBound() throws Exception {
    // 12 junk ports, each after the real port of its position: the knock is the one combination
    // of depth 12 among 2^12 = 4096, all within the budget
    int[] real = knock("open 22 30m", 0, NOW, 5);
    int[] junk = new int[12];
    for (int j = 0; j < 12; j++) {
      junk[j] = real[j] ^ 1; // same position, another byte
    }
    SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
    DecodeResult r = Fixtures.offerAll(a, interleaved(real, junk), NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(a.combinationsTried()).isEqualTo(4095); // depth 12 is the last; depth 0 was free
    assertThat(a.size()).isEqualTo(13); // the knock's ports went but its newest; the junk stays
    assertThat(a.onlyKept()).isFalse();
  }

  @Test
  void moreInterleavedJunkThanTheBoundIsRefusedNotLooped() throws Exception {
    int[] real = knock("open 22 30m", 0, NOW, 5);
    int[] junk = new int[38];
    for (int j = 0; j < 19; j++) { // two junk candidates after 19 real ports: 3^19 combinations
      junk[2 * j] = real[j] ^ 1;
      junk[2 * j + 1] = real[j] ^ 2;
    }
    SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
    DecodeResult r = Fixtures.offerAll(a, interleaved(real, junk), NOW);
    assertThat(r.status()).isEqualTo(DecodeResult.Status.REJECTED);
    assertThat(r.rejection()).isEqualTo(Rejection.TOO_MANY_COMBINATIONS);
    assertThat(a.combinationsTried()).isEqualTo(settings.maxCombinations());
  }

  @Test
  void anyAmountOfJunkBeforeTheKnockIsIgnored() throws Exception {
    Random rnd = new Random(31);
    int[] real = knock("open 22 30m", 0, NOW, 6);
    // 16 junk on 16 distinct positions; 64 spread over the range; 511 (the per-source cap is 512)
    for (int junk : new int[] {16, 64, 511}) {
      List<Integer> ports = new ArrayList<>();
      for (int j = 0; j < junk; j++) {
        int pos = junk == 16 ? j : rnd.nextInt(20);
        ports.add(settings.basePort() + 256 * pos + rnd.nextInt(256));
      }
      List<Integer> knock = Fixtures.list(knock("open 22 30m", 0, NOW, 600 + junk));
      Collections.shuffle(knock, rnd);
      ports.addAll(knock);
      SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
      assertThat(Fixtures.offerAll(a, Fixtures.array(ports), NOW).isAccepted())
          .as("%d junk ports before", junk).isTrue();
    }
    assertThat(real).hasSize(20);
  }

  @Test
  void aFreshKnockRightAfterAPartialOneDecodes() throws Exception {
    Random rnd = new Random(32);
    int accepted = 0;
    for (int i = 0; i < 200; i++) {
      SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
      int[] first = knock("open 22 30m", 0, NOW, 2000 + i);
      allBut(a, first, rnd.nextInt(20));
      List<Integer> retry = Fixtures.list(knock("open 22 30m", 0, NOW, 3000 + i));
      Collections.shuffle(retry, rnd);
      if (Fixtures.offerAll(a, Fixtures.array(retry), NOW.plusMillis(500)).isAccepted()) {
        accepted++;
      }
    }
    assertThat(accepted).isEqualTo(200);
  }

  @Test
  void theSameKnockResentAfterALostPortDecodesOnce() throws Exception {
    // a cron job's retry of "run" re-sends the same message: the missing port completes it
    KnockDecoder d = Fixtures.decoder(settings, alice);
    SequenceAssembler a = d.newSequence(CLIENT);
    int[] ports = knock("run backup", 0, NOW, 33);
    for (int j = 1; j < 20; j++) {
      a.offer(ports[j], NOW);
    }
    assertThat(Fixtures.offerAll(a, ports, NOW.plusSeconds(1)).isAccepted()).isTrue();
    assertThat(Fixtures.offerAll(a, ports, NOW.plusSeconds(2)).rejection())
        .isEqualTo(Rejection.REPLAY);
  }

  /** Offers every port of a knock but the one at {@code lost}: none completes anything. */
  private static void allBut(SequenceAssembler a, int[] ports, int lost) {
    for (int j = 0; j < ports.length; j++) {
      if (j != lost) {
        assertThat(a.offer(ports[j], NOW).status()).isNotEqualTo(DecodeResult.Status.ACCEPTED);
      }
    }
  }

  /**
   * A close whose port at {@code lost} carries the byte an earlier partial open lost there (1 in
   * 256 per close): a message of the given command, searched by seed.
   */
  private int[] sharingTheLostByte(String command, int[] partial, int lost, Instant at, long seed)
      throws KnockException {
    for (long s = seed; s < seed + 20_000; s++) {
      int[] ports = knock(command, 0, at, s);
      if (ports[lost] == partial[lost]) {
        return ports;
      }
    }
    throw new AssertionError("no message shares the byte in 20000 seeds");
  }

  /** Offers every port in order; returns the verbs of the knocks accepted on the way. */
  private static List<Verb> accepted(SequenceAssembler a, int[] ports, Instant at) {
    List<Verb> verbs = new ArrayList<>();
    for (int p : ports) {
      DecodeResult r = a.offer(p, at);
      if (r.isAccepted()) {
        verbs.add(r.knock().payload().verb());
      }
    }
    return verbs;
  }

  @Test
  void aCloseThatCompletesAPartialOpenIsNotSwallowedByIt() throws Exception {
    // LossAndJunkIT saw it: open (one SYN lost), the user's retry, then close 22; the close's
    // port at the lost position carried the lost byte, completed the old partial open, and was
    // gone when the close needed it: the close never decoded and the port stayed open
    Random rnd = new Random(44);
    for (int round = 0; round < 20; round++) {
      KnockDecoder d = Fixtures.decoder(settings, alice);
      SequenceAssembler a = d.newSequence(CLIENT);
      int[] partial = knock("open 22 30m", 0, NOW, 4400 + round);
      int lost = rnd.nextInt(20);
      allBut(a, partial, lost);
      assertThat(accepted(a, knock("open 22 30m", 0, NOW, 4500 + round), NOW.plusMillis(500)))
          .as("round %d: the retry", round).containsExactly(Verb.OPEN);
      int[] close = sharingTheLostByte("close 22", partial, lost, NOW, 100_000L * (round + 1));
      List<Integer> order = Fixtures.list(close);
      Collections.shuffle(order, rnd);
      assertThat(accepted(a, Fixtures.array(order), NOW.plusMillis(800)))
          .as("round %d (position %d lost): what the close's ports completed", round, lost)
          .endsWith(Verb.CLOSE);
    }
  }

  @Test
  void aCloseRightAfterAPartialOpenIsNotSwallowedByIt() throws Exception {
    // no retry in between: the close's byte may complete the old open (late, as a retransmit
    // would), but the close must still decode after it, so the port ends closed
    Random rnd = new Random(45);
    for (int round = 0; round < 20; round++) {
      SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
      int[] partial = knock("open 22 30m", 0, NOW, 4600 + round);
      int lost = rnd.nextInt(20);
      allBut(a, partial, lost);
      int[] close = sharingTheLostByte("close 22", partial, lost, NOW, 200_000L * (round + 1));
      List<Integer> order = Fixtures.list(close);
      Collections.shuffle(order, rnd);
      assertThat(accepted(a, Fixtures.array(order), NOW.plusMillis(300)))
          .as("round %d (position %d lost)", round, lost).endsWith(Verb.CLOSE);
    }
  }

  @Test
  void aCloseWhoseSharedPortComesLastIsNotUndoneByThePartialOpen() throws Exception {
    // the close's port at the lost position arrives last: the close completes first and keeps
    // that port, which must not then complete the old open (the daemon runs the owed check at
    // once): an open accepted after the close would leave the port open until it expires
    Random rnd = new Random(46);
    for (int round = 0; round < 20; round++) {
      SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
      int[] partial = knock("open 22 30m", 0, NOW, 4700 + round);
      int lost = rnd.nextInt(20);
      allBut(a, partial, lost);
      int[] close = sharingTheLostByte("close 22", partial, lost, NOW, 300_000L * (round + 1));
      List<Integer> order = Fixtures.list(close);
      order.remove(Integer.valueOf(close[lost]));
      Collections.shuffle(order, rnd);
      order.add(close[lost]);
      List<Verb> verbs = accepted(a, Fixtures.array(order), NOW.plusMillis(300));
      DecodeResult owed = a.retryPending(NOW.plusMillis(310), CheckAllowance.UNLIMITED);
      if (owed.isAccepted()) {
        verbs.add(owed.knock().payload().verb());
      }
      assertThat(verbs).as("round %d (position %d lost)", round, lost).endsWith(Verb.CLOSE);
    }
  }

  @Test
  void aJammedKnockIsBurnedWhenItDecodesSoAThiefGetsAReplay() throws Exception {
    Random rnd = new Random(34);
    KnockDecoder d = Fixtures.decoder(settings, new KnockUser("alice", key, true));
    SequenceAssembler a = d.newSequence(CLIENT);
    for (int pos = 0; pos < 16; pos++) { // 16 spoofed junk ports on 16 positions
      a.offer(settings.basePort() + 256 * pos + rnd.nextInt(256), NOW);
    }
    int[] ports = knock("open 22 30m", 0, NOW, 35); // --source: grant whoever sends it
    assertThat(Fixtures.offerAll(a, ports, NOW).isAccepted()).isTrue();
    DecodeResult thief = Fixtures.offerAll(d.newSequence(OTHER), ports, NOW.plusSeconds(1));
    assertThat(thief.rejection()).isEqualTo(Rejection.REPLAY);
  }

  @Test
  void aRefusedKnockIsBurnedToo() throws Exception {
    // a knock from the future is refused now, and can never be accepted later
    KnockDecoder d = Fixtures.decoder(settings, alice);
    int[] ports = knock("open 22 30m", 0, NOW.plusSeconds(200), 36);
    assertThat(decode(d, ports).rejection()).isEqualTo(Rejection.FUTURE);
    DecodeResult later = Fixtures.offerAll(d.newSequence(CLIENT), ports, NOW.plusSeconds(200));
    assertThat(later.rejection()).isEqualTo(Rejection.REPLAY);
  }

  @Test
  void aReplayInjectedIntoAKnockRemovesOnlyItself() throws Exception {
    // an attacker replays an old captured knock, spoofed from the user, into the user's new knock
    KnockDecoder d = Fixtures.decoder(settings, alice);
    int[] old = knock("open 22 30m", 0, NOW, 37);
    assertThat(decode(d, old).isAccepted()).isTrue();
    int[] fresh = knock("open 22 30m", 0, NOW.plusSeconds(5), 38);
    SequenceAssembler a = d.newSequence(CLIENT);
    Instant t = NOW.plusSeconds(5);
    for (int j = 0; j < 10; j++) {
      a.offer(fresh[j], t);
    }
    assertThat(Fixtures.offerAll(a, old, t).rejection()).isEqualTo(Rejection.REPLAY);
    int[] rest = java.util.Arrays.copyOfRange(fresh, 10, 20);
    assertThat(Fixtures.offerAll(a, rest, t).isAccepted()).isTrue();
  }

  @Test
  void replaysAndJunkBeforeAKnockCannotStopItEvenWithNoDepthBudget() throws Exception {
    // an attacker spoofing the user replays captured knocks (kept ports at many positions),
    // partial replays and junk, then the user knocks: newest-first alone must find the knock
    DecoderSettings one = new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED,
        settings.basePort(), DecoderSettings.DEFAULT_TIME_WINDOW, 1);
    Random rnd = new Random(47);
    for (int round = 0; round < 30; round++) {
      KnockDecoder d = Fixtures.decoder(one, alice);
      List<int[]> captured = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        int[] old = knock("open 22 30m", 0, NOW, 4800 + 10 * round + i);
        assertThat(Fixtures.offerAll(d.newSequence(OTHER), old, NOW).isAccepted()).isTrue();
        captured.add(old);
      }
      SequenceAssembler a = d.newSequence(CLIENT);
      long t = NOW.toEpochMilli();
      for (int[] old : captured) {
        List<Integer> ports = Fixtures.list(old);
        Collections.shuffle(ports, rnd);
        if (rnd.nextBoolean()) {
          ports.remove(rnd.nextInt(20)); // a partial replay: its ports stay as junk
        }
        for (int p : ports) {
          a.offer(p, Instant.ofEpochMilli(t++));
        }
        for (int j = 0; j < 8; j++) {
          a.offer(settings.basePort() + rnd.nextInt(PortMapping.INDEXED.rangeSize()),
              Instant.ofEpochMilli(t++));
        }
      }
      assertThat(a.kept).as("round %d: kept ports held", round).isPositive();
      List<Integer> fresh = Fixtures.list(knock("open 22 30m", 0, NOW, 5800 + round));
      Collections.shuffle(fresh, rnd);
      List<Rejection> refusals = new ArrayList<>();
      boolean accepted = false; // (a port of the knock already held completes it early)
      for (int p : fresh) {
        DecodeResult r = a.offer(p, Instant.ofEpochMilli(t++));
        accepted |= r.isAccepted();
        if (r.rejection() != null) {
          refusals.add(r.rejection());
        }
      }
      assertThat(accepted).as("round %d: %s", round, refusals).isTrue();
    }
  }

  @Test
  void aNewestCheckTheAllowanceRefusesIsOwedAndRetried() throws Exception {
    SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
    int[] ports = knock("open 22 30m", 0, NOW, 39);
    CheckAllowance none = () -> false;
    DecodeResult r = Fixtures.offerAll(a, ports, NOW);
    assertThat(r.isAccepted()).isTrue();
    SequenceAssembler b = Fixtures.decoder(settings, alice).newSequence(CLIENT);
    int[] again = knock("open 22 30m", 0, NOW, 40);
    DecodeResult busy = DecodeResult.INCOMPLETE;
    for (int p : again) {
      busy = b.offer(p, NOW, none);
    }
    assertThat(busy.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(b.hasPending()).isTrue();
    assertThat(b.retryPending(NOW.plusMillis(250), CheckAllowance.UNLIMITED).isAccepted()).isTrue();
    assertThat(b.hasPending()).isFalse();
  }

  @Test
  void duplicatesDoNotMatter() throws Exception {
    int[] real = knock("open 22 30m", 0, NOW, 9);
    int[] ports = new int[40];
    for (int i = 0; i < 20; i++) {
      ports[2 * i] = real[i];
      ports[2 * i + 1] = real[i];
    }
    KnockDecoder d = Fixtures.decoder(settings, alice);
    SequenceAssembler a = d.newSequence(CLIENT);
    assertThat(Fixtures.offerAll(a, ports, NOW).isAccepted()).isTrue();
  }

  @Test
  void anySingleChangedPortIsRejected() throws Exception {
    int[] real = knock("open 22 30m", 0, NOW, 11);
    Random rnd = new Random(3);
    for (int i = 0; i < 20; i++) {
      int[] bad = real.clone();
      int pos = (bad[i] - settings.basePort()) >>> 8;
      int value = ((bad[i] - settings.basePort()) & 0xFF) ^ (1 + rnd.nextInt(255));
      bad[i] = settings.basePort() + 256 * pos + value;
      DecodeResult r = decode(Fixtures.decoder(settings, alice), bad);
      assertThat(r.status()).as("port %d changed", i).isEqualTo(DecodeResult.Status.REJECTED);
      assertThat(r.rejection()).isEqualTo(Rejection.BAD_TAG);
    }
  }

  @Test
  void wrongKeyIsRejected() throws Exception {
    int[] ports = knock("open 22 30m", 0, NOW, 12);
    KnockDecoder d = Fixtures.decoder(settings, new KnockUser("bob", Fixtures.key(43), false));
    DecodeResult r = decode(d, ports);
    assertThat(r.status()).isEqualTo(DecodeResult.Status.REJECTED);
    assertThat(r.rejection()).isEqualTo(Rejection.BAD_TAG);
  }

  @Test
  void wrongCipherIsRejected() throws Exception {
    int[] ports = knock("open 22 30m", 0, NOW, 12);
    DecoderSettings blowfish = Fixtures.settings(CipherSuite.BLOWFISH, PortMapping.INDEXED);
    DecodeResult r = decode(Fixtures.decoder(blowfish, alice), ports);
    assertThat(r.rejection()).isEqualTo(Rejection.BAD_TAG);
  }

  @Test
  void staleTimestampIsRejected() throws Exception {
    int[] ports = knock("open 22 30m", 0, NOW.minusSeconds(121), 13);
    assertThat(decode(Fixtures.decoder(settings, alice), ports).rejection())
        .isEqualTo(Rejection.STALE);
  }

  @Test
  void futureTimestampIsRejected() throws Exception {
    int[] ports = knock("open 22 30m", 0, NOW.plusSeconds(121), 14);
    assertThat(decode(Fixtures.decoder(settings, alice), ports).rejection())
        .isEqualTo(Rejection.FUTURE);
  }

  @Test
  void timestampsAtTheEdgeOfTheWindowAreAccepted() throws Exception {
    for (long skew : new long[] {-120, 120}) {
      int[] ports = knock("open 22 30m", 0, NOW.plusSeconds(skew), 15 + skew);
      assertThat(decode(Fixtures.decoder(settings, alice), ports).isAccepted()).isTrue();
    }
  }

  @Test
  void theSameKnockASecondTimeIsAReplay() throws Exception {
    int[] ports = knock("open 22 30m", 0, NOW, 16);
    KnockDecoder d = Fixtures.decoder(settings, alice);
    assertThat(decode(d, ports).isAccepted()).isTrue();
    DecodeResult again = Fixtures.offerAll(d.newSequence(CLIENT), ports, NOW.plusSeconds(30));
    assertThat(again.status()).isEqualTo(DecodeResult.Status.REJECTED);
    assertThat(again.rejection()).isEqualTo(Rejection.REPLAY);
  }

  @Test
  void aReplayFromAnotherSourceIsAlsoAReplay() throws Exception {
    int[] ports = knock("open 22 30m", CLIENT, NOW, 17);
    KnockDecoder d = Fixtures.decoder(settings, new KnockUser("alice", key, true));
    assertThat(decode(d, ports).isAccepted()).isTrue();
    DecodeResult again = Fixtures.offerAll(d.newSequence(OTHER), ports, NOW);
    assertThat(again.rejection()).isEqualTo(Rejection.REPLAY);
  }

  @Test
  void aReplayAfterTheWindowIsStaleEvenWhenTheCacheForgot() throws Exception {
    int[] ports = knock("open 22 30m", 0, NOW, 18);
    InMemoryReplayCache cache = new InMemoryReplayCache();
    KnockDecoder d = new KnockDecoder(settings, List.of(alice), cache);
    assertThat(decode(d, ports).isAccepted()).isTrue();
    Instant later = NOW.plusSeconds(122);
    cache.prune(later.getEpochSecond());
    assertThat(cache.size()).isZero();
    assertThat(Fixtures.offerAll(d.newSequence(CLIENT), ports, later).rejection())
        .isEqualTo(Rejection.STALE);
    assertThat(cache.size()).as("a stale knock is not remembered (nor written, in knockd)")
        .isZero();
  }

  @Test
  void aReplayStoreFailureRefusesTheKnock() throws Exception {
    int[] ports = knock("open 22 30m", 0, NOW, 19);
    KnockDecoder d = new KnockDecoder(settings, List.of(alice),
        k -> ReplayCache.Result.STORE_FAILED);
    assertThat(decode(d, ports).rejection()).isEqualTo(Rejection.REPLAY_STORE_FAILED);
  }

  @Test
  void anotherAddressIsRefusedUnlessTheUserMayGrantIt() throws Exception {
    int[] ports = knock("open 22 30m", OTHER, NOW, 20);
    assertThat(decode(Fixtures.decoder(settings, alice), ports).rejection())
        .isEqualTo(Rejection.ADDRESS_NOT_ALLOWED);
    DecodeResult r =
        decode(Fixtures.decoder(settings, new KnockUser("alice", key, true)), ports);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().grant()).isEqualTo(OTHER);
    assertThat(r.knock().source()).isEqualTo(CLIENT);
  }

  @Test
  void itsOwnAddressNeedsNoPermission() throws Exception {
    int[] ports = knock("open 22 30m", CLIENT, NOW, 21);
    DecodeResult r = decode(Fixtures.decoder(settings, alice), ports);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().grant()).isEqualTo(CLIENT);
  }

  @Test
  void theResultNamesTheUserWhoseKeyFits() throws Exception {
    KnockKey bobKey = Fixtures.key(77);
    int[] ports = new KnockEncoder(bobKey, CipherSuite.TWOFISH, PortMapping.INDEXED,
        settings.basePort()).encode(Command.parse("run backup"), 0, NOW, new SplittableRandom(1));
    KnockDecoder d = Fixtures.decoder(settings, alice,
        new KnockUser("bob", bobKey, false), new KnockUser("carol", Fixtures.key(78), false));
    DecodeResult r = decode(d, ports);
    assertThat(r.knock().user()).isEqualTo("bob");
  }

  @Test
  void aValidTagOverAnUnknownVersionIsMalformed() throws Exception {
    byte[] plain = Payload.of(Command.parse("open 22"), 0, NOW.getEpochSecond(), 1).toBytes();
    plain[7] = (byte) ((plain[7] & 0x1F) | (2 << 5)); // version 2
    byte[] msg = new Sealer(key, CipherSuite.TWOFISH).seal(plain);
    int[] ports = PortMapping.INDEXED.toPorts(msg, settings.basePort());
    assertThat(decode(Fixtures.decoder(settings, alice), ports).rejection())
        .isEqualTo(Rejection.MALFORMED);
  }

  @Test
  void portsOutsideTheRangeAreIgnored() throws Exception {
    int[] real = knock("open 22 30m", 0, NOW, 22);
    int[] ports = new int[22];
    ports[0] = settings.basePort() - 1;
    System.arraycopy(real, 0, ports, 1, 20);
    ports[21] = settings.basePort() + PortMapping.INDEXED.rangeSize();
    assertThat(decode(Fixtures.decoder(settings, alice), ports).isAccepted()).isTrue();
  }

  @Test
  void theDurationTravelsIntact() throws Exception {
    DecodeResult r = decode(Fixtures.decoder(settings, alice),
        knock("open 22 2h", 0, NOW, 23));
    assertThat(r.knock().payload().duration()).isEqualTo(Duration.ofHours(2));
  }

  // ---- version 2: bound to the server's address ----

  private static final int SERVER_A = Fixtures.ip(203, 0, 113, 5);
  private static final int SERVER_B = Fixtures.ip(203, 0, 113, 6);

  private int[] boundKnock(int server, long seed) throws KnockException {
    return new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, settings.basePort(),
        ServerBinding.ipv4(server)).encode(Command.parse("open 22 30m"), 0, NOW,
        new SplittableRandom(seed));
  }

  @Test
  void aVersion2KnockOpensOnlyAtTheAddressItWasMadeFor() throws Exception {
    KnockDecoder d = Fixtures.decoder(settings, alice);
    int[] ports = boundKnock(SERVER_A, 50);
    DecodeResult elsewhere = Fixtures.offerAll(d.newSequence(CLIENT, SERVER_B), ports, NOW);
    assertThat(elsewhere.rejection()).isEqualTo(Rejection.BAD_TAG);
    DecodeResult there = Fixtures.offerAll(d.newSequence(CLIENT, SERVER_A), ports, NOW);
    assertThat(there.isAccepted()).isTrue();
    assertThat(there.knock().payload().version()).isEqualTo(2);
  }

  @Test
  void serverAddressesListTheAddressesAKnockMayBeBoundTo() throws Exception {
    // behind NAT: the client knocks the public address, the packets arrive for a private one
    DecoderSettings natted = new DecoderSettings(settings.suite(), settings.mapping(),
        settings.basePort(), settings.timeWindow(), settings.maxCombinations(),
        List.of(ServerBinding.ipv4(SERVER_A)));
    KnockDecoder d = Fixtures.decoder(natted, alice);
    int privateAddress = Fixtures.ip(10, 0, 0, 1);
    assertThat(Fixtures.offerAll(d.newSequence(CLIENT, privateAddress), boundKnock(SERVER_A, 51),
        NOW).isAccepted()).isTrue();
    assertThat(Fixtures.offerAll(d.newSequence(CLIENT, SERVER_B), boundKnock(SERVER_B, 52), NOW)
        .rejection()).isEqualTo(Rejection.BAD_TAG);
    assertThat(d.checksPerMessage()).isEqualTo(2); // one binding + version 1
  }

  @Test
  void version1KnocksAreRefusedUnlessTheUserAcceptsThem() throws Exception {
    int[] v1 = knock("open 22 30m", 0, NOW, 53);
    KnockDecoder strict = Fixtures.decoder(settings, new KnockUser("alice", key, false, false));
    assertThat(decode(strict, v1).rejection()).isEqualTo(Rejection.BAD_TAG);
    assertThat(strict.checksPerMessage()).isEqualTo(1);
    KnockDecoder lenient = Fixtures.decoder(settings, new KnockUser("alice", key, false, true));
    assertThat(decode(lenient, v1).isAccepted()).isTrue();
  }

  @Test
  void aHeaderThatContradictsItsTagIsMalformed() throws Exception {
    // a version-1 tag over a plaintext that says version 2: a downgrade or upgrade is refused
    byte[] plain = Payload.of(Command.parse("open 22"), 0, NOW.getEpochSecond(), 7)
        .withVersion(2).toBytes();
    byte[] msg = new Sealer(key, CipherSuite.TWOFISH).seal(plain);
    int[] ports = PortMapping.INDEXED.toPorts(msg, settings.basePort());
    assertThat(decode(Fixtures.decoder(settings, alice), ports).rejection())
        .isEqualTo(Rejection.MALFORMED);
  }

  @Test
  void theRandomPortFlagTravelsInVersion2Only() throws Exception {
    Payload p = new Payload(Verb.OPEN, Protocol.TCP, 22, Duration.ofMinutes(5), 0,
        NOW.getEpochSecond(), 9, 2, true);
    assertThat(Payload.fromBytes(p.toBytes())).isEqualTo(p);
    byte[] b = p.toBytes();
    b[7] |= 1; // the address extension with byte 12 = 0: no such address mode
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Payload.fromBytes(b))
        .isInstanceOf(KnockException.class);
  }
}
