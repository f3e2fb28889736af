package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a sequence holds after each operation the daemon applies to it (the sliding window, the
 * port cap, clear) and what each offer costs: read through the package-private newest-first
 * message, so a port forgotten, kept or reordered wrongly shows at once. Written for the mutants
 * PIT found alive (docs/TESTING.md).
 */
class AssemblerStateTest {
  private static final int BASE = DecoderSettings.DEFAULT_BASE_PORT;
  private final KnockKey key = Fixtures.key(5);
  private final KnockUser alice = new KnockUser("alice", key, false);
  /** A user nobody knocks for: every message is a bad tag, nothing is ever removed. */
  private final KnockUser nobody = new KnockUser("nobody", Fixtures.key(6), false);

  private static int indexed(int pos, int value) {
    return BASE + 256 * pos + value;
  }

  private static Instant at(long millis) {
    return NOW.plusMillis(millis);
  }

  private SequenceAssembler sequence(PortMapping mapping, KnockUser user) {
    return Fixtures.decoder(Fixtures.settings(CipherSuite.TWOFISH, mapping), user)
        .newSequence(CLIENT, Fixtures.ip(10, 99, 0, 1));
  }

  private int[] realPorts(PortMapping mapping) throws KnockException {
    return new KnockEncoder(key, CipherSuite.TWOFISH, mapping, BASE)
        .encode(Command.parse("open 22 30m"), 0, NOW, new SplittableRandom(9));
  }

  private static byte[] newest(SequenceAssembler s) {
    byte[] m = new byte[Sealer.MESSAGE_SIZE];
    return s.newestMessage(m) ? m : null;
  }

  @Test
  void aSequenceKnowsItsAddressesAndOwesNoCheckWhenEmpty() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    assertThat(s.source()).isEqualTo(CLIENT);
    assertThat(s.destination()).isEqualTo(Fixtures.ip(10, 99, 0, 1));
    assertThat(s.retryPending(NOW, CheckAllowance.UNLIMITED)).isSameAs(DecodeResult.INCOMPLETE);
  }

  @Test
  void indexedSlidingWindowForgetsExactlyThePortsSeenBeforeIt() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    for (int pos = 0; pos < 20; pos++) {
      s.offer(indexed(pos, 1), at(1000));
    }
    s.offer(indexed(3, 2), at(500)); // older than the rest, newest at its position
    s.offer(indexed(3, 9), at(2000));
    s.offer(indexed(5, 2), at(2000)); // combined with position 3's older candidates
    assertThat(s.size()).isEqualTo(23);
    int tried = s.combinationsTried();
    assertThat(tried).isEqualTo(2);

    s.forgetBefore(at(1000).toEpochMilli()); // a port seen exactly then stays
    assertThat(s.size()).isEqualTo(22);
    assertThat(s.combinationsTried()).as("not empty: nothing reset").isEqualTo(tried);
    byte[] m = newest(s);
    assertThat(m).isNotNull();
    assertThat(m[3]).isEqualTo((byte) 9);
    assertThat(m[5]).isEqualTo((byte) 2);
    assertThat(m[0]).isEqualTo((byte) 1);

    s.forgetBefore(at(1001).toEpochMilli());
    assertThat(s.size()).isEqualTo(2);
    assertThat(newest(s)).isNull();
    s.forgetBefore(at(2001).toEpochMilli());
    assertThat(s.size()).isZero();
    assertThat(s.combinationsTried()).isZero();
  }

  @Test
  void indexedSlidingWindowKeepsTheNewerCandidateOfAPosition() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    s.offer(indexed(0, 7), at(0));
    s.offer(indexed(0, 8), at(100));
    for (int pos = 1; pos < 20; pos++) {
      s.offer(indexed(pos, 1), at(200));
    }
    s.offer(indexed(0, 7), at(300)); // 7 again: newest, seen last at 300
    assertThat(s.size()).isEqualTo(21);
    s.forgetBefore(at(50).toEpochMilli()); // 7 moved up: its old time went with it
    assertThat(s.size()).isEqualTo(21);
    s.forgetBefore(at(150).toEpochMilli()); // 8 (seen at 100) goes, 7 (seen again) stays
    assertThat(s.size()).isEqualTo(20);
    assertThat(newest(s)[0]).isEqualTo((byte) 7);
    s.forgetBefore(at(250).toEpochMilli());
    assertThat(s.size()).isEqualTo(1);
  }

  @Test
  void indexedPortCapForgetsTheOldestPortsFirst() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    s.offer(indexed(7, 3), at(0));
    s.offer(indexed(3, 3), at(0)); // same time as position 7's: the lower position goes first
    s.offer(indexed(5, 4), at(10));
    for (int pos = 0; pos < 20; pos++) {
      s.offer(indexed(pos, 1), at(100 + pos));
    }
    assertThat(s.size()).isEqualTo(23);
    s.forgetOldest(1);
    assertThat(s.size()).isEqualTo(22);
    // position 3 lost its 3; take its 1 away too: 7 still holds its 3
    s.forgetOldest(0);
    assertThat(s.size()).isEqualTo(22);
    s.forgetOldest(1); // position 7's 3
    s.forgetOldest(1); // position 5's 4
    assertThat(s.size()).isEqualTo(20);
    byte[] m = newest(s);
    for (int pos = 0; pos < 20; pos++) {
      assertThat(m[pos]).as("position %d", pos).isEqualTo((byte) 1);
    }
    s.forgetOldest(1); // position 0's 1, the oldest now
    assertThat(newest(s)).isNull();
    s.offer(indexed(0, 6), at(500));
    assertThat(newest(s)[0]).isEqualTo((byte) 6);
    s.forgetOldest(100); // more than it holds
    assertThat(s.size()).isZero();
    assertThat(s.combinationsTried()).isZero();
  }

  @Test
  void aPartialPortCapKeepsTheCombinationCount() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    s.offer(indexed(0, 2), at(0));
    for (int pos = 0; pos < 20; pos++) {
      s.offer(indexed(pos, 1), at(10));
    }
    s.offer(indexed(1, 2), at(20)); // combined with position 0's 2
    int tried = s.combinationsTried();
    assertThat(tried).isPositive();
    s.forgetOldest(1);
    assertThat(s.combinationsTried()).isEqualTo(tried);
  }

  @Test
  void classicIgnoresPortsOutsideItsRange() {
    SequenceAssembler s = sequence(PortMapping.CLASSIC, nobody);
    assertThat(s.offer(BASE + 256, at(0))).isSameAs(DecodeResult.INCOMPLETE);
    assertThat(s.offer(BASE - 1, at(0))).isSameAs(DecodeResult.INCOMPLETE);
    assertThat(s.size()).isZero();
  }

  @Test
  void indexedPortCapBreaksTiesByPosition() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    s.offer(indexed(3, 2), at(0));
    s.offer(indexed(7, 2), at(0));
    for (int pos = 0; pos < 20; pos++) {
      if (pos != 3 && pos != 7) {
        s.offer(indexed(pos, 1), at(100));
      }
    }
    s.forgetOldest(1); // position 3's only port
    s.offer(indexed(3, 5), at(200));
    byte[] m = newest(s);
    assertThat(m).as("position 7 still holds its port").isNotNull();
    assertThat(m[3]).isEqualTo((byte) 5);
    assertThat(m[7]).isEqualTo((byte) 2);
  }

  @Test
  void indexedPortCapRemovesTheOldestCandidateNotTheNewest() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    s.offer(indexed(0, 4), at(0));
    for (int pos = 0; pos < 20; pos++) {
      s.offer(indexed(pos, 1), at(100));
    }
    s.forgetOldest(1); // position 0's 4: the 1 moves down and keeps its time
    assertThat(newest(s)[0]).isEqualTo((byte) 1);
    s.forgetBefore(at(100).toEpochMilli());
    assertThat(s.size()).isEqualTo(20);
  }

  @Test
  void aRepeatedCandidateMovesUpWithoutLosingTheOthers() throws Exception {
    int[] real = realPorts(PortMapping.INDEXED);
    SequenceAssembler s = sequence(PortMapping.INDEXED, alice);
    int junk = indexed(0, ((real[0] - BASE) + 1) & 0xFF);
    s.offer(junk, at(0));
    s.offer(real[0], at(1));
    s.offer(junk, at(2)); // junk is newest again: the real byte must still be a candidate
    assertThat(s.size()).isEqualTo(2);
    DecodeResult r = DecodeResult.INCOMPLETE;
    for (int i = 1; i < 20; i++) {
      r = s.offer(real[i], at(3 + i));
    }
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().payload().port()).isEqualTo(22);
    assertThat(s.size()).as("the junk stays, with the knock's newest port").isEqualTo(2);
    assertThat(s.onlyKept()).isFalse();
  }

  @Test
  void aRepeatedNewestPortCostsNoCheck() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    DecodeResult last = DecodeResult.INCOMPLETE;
    for (int pos = 0; pos < 20; pos++) {
      last = s.offer(indexed(pos, 1), at(0));
    }
    assertThat(last.rejection()).isEqualTo(Rejection.BAD_TAG);
    assertThat(last.combinations()).isEqualTo(1);
    DecodeResult again = s.offer(indexed(19, 1), at(1));
    assertThat(again).isSameAs(DecodeResult.INCOMPLETE);
    assertThat(s.combinationsTried()).isZero();
    // an older candidate becoming newest again changes the message but adds no combination
    s.offer(indexed(5, 2), at(2));
    s.offer(indexed(4, 2), at(2));
    int tried = s.combinationsTried();
    DecodeResult back = s.offer(indexed(4, 1), at(3));
    assertThat(back.rejection()).isEqualTo(Rejection.BAD_TAG);
    assertThat(back.combinations()).isEqualTo(1);
    assertThat(s.combinationsTried()).isEqualTo(tried);
  }

  @Test
  void afterClearTheSameMessageIsCheckedAgain() {
    for (PortMapping mapping : PortMapping.values()) {
      SequenceAssembler s = sequence(mapping, nobody);
      for (int round = 0; round < 2; round++) {
        DecodeResult last = DecodeResult.INCOMPLETE;
        for (int pos = 0; pos < 20; pos++) {
          last = s.offer(mapping == PortMapping.INDEXED ? indexed(pos, 1) : BASE + pos, at(0));
        }
        assertThat(last.rejection()).as("%s round %d", mapping, round)
            .isEqualTo(Rejection.BAD_TAG);
        s.clear();
        assertThat(s.size()).isZero();
        assertThat(newest(s)).isNull();
      }
    }
  }

  @Test
  void classicSlidingWindowAndPortCapDropTheEarliestPorts() {
    SequenceAssembler s = sequence(PortMapping.CLASSIC, nobody);
    for (int i = 0; i < 22; i++) {
      s.offer(BASE + i, at(i * 10L));
    }
    assertThat(s.size()).isEqualTo(22);
    int tried = s.combinationsTried();
    assertThat(tried).isPositive();
    s.forgetBefore(at(10).toEpochMilli()); // port 0 goes; port 1, seen exactly then, stays
    assertThat(s.size()).isEqualTo(21);
    assertThat(s.combinationsTried()).isEqualTo(tried);
    s.forgetBefore(at(20).toEpochMilli());
    assertThat(s.size()).isEqualTo(20);
    byte[] m = newest(s);
    for (int i = 0; i < 20; i++) {
      assertThat(m[i]).isEqualTo((byte) (i + 2));
    }
    s.forgetOldest(1);
    assertThat(s.size()).isEqualTo(19);
    assertThat(newest(s)).isNull();
    s.forgetBefore(at(30).toEpochMilli()); // port 3 arrived at 30: the times moved with the ports
    assertThat(s.size()).isEqualTo(19);
    s.offer(BASE + 200, at(300));
    m = newest(s);
    assertThat(m[0]).isEqualTo((byte) 3);
    assertThat(m[19]).isEqualTo((byte) 200);
    s.forgetBefore(at(1000).toEpochMilli());
    assertThat(s.size()).isZero();
    assertThat(s.combinationsTried()).isZero();
    for (int i = 0; i < 21; i++) {
      s.offer(BASE + i, at(2000));
    }
    assertThat(s.combinationsTried()).isPositive();
    s.forgetOldest(50);
    assertThat(s.size()).isZero();
    assertThat(s.combinationsTried()).isZero();
  }

  @Test
  void classicNeedsNoDepthSearchForExactlyOneFullWindow() {
    SequenceAssembler s = sequence(PortMapping.CLASSIC, nobody);
    for (int i = 0; i < 20; i++) {
      s.offer(BASE + i, at(0));
    }
    assertThat(newest(s)).isNotNull();
    assertThat(s.combinationsTried()).isZero();
    DecodeResult r = s.offer(BASE + 40, at(0));
    assertThat(r.rejection()).isEqualTo(Rejection.BAD_TAG);
    assertThat(s.combinationsTried()).isEqualTo(19); // 19 ways to skip one of 20 earlier ports
    assertThat(r.combinations()).isEqualTo(20);
  }

  @Test
  void classicRepeatingTheSameMessageStillSearchesDeeper() {
    SequenceAssembler s = sequence(PortMapping.CLASSIC, nobody);
    for (int i = 0; i < 20; i++) {
      s.offer(BASE + 5, at(0));
    }
    DecodeResult r = s.offer(BASE + 5, at(0)); // the newest message is the one checked before
    assertThat(s.combinationsTried()).isPositive();
    assertThat(r.combinations()).isEqualTo(s.combinationsTried());
  }

  @Test
  void classicKnockThroughJunkLeavesTheJunkAndItsNewestPort() throws Exception {
    int[] real = realPorts(PortMapping.CLASSIC);
    SequenceAssembler s = sequence(PortMapping.CLASSIC, alice);
    int junkA = BASE + ((real[0] - BASE + 1) & 0xFF);
    int junkB = BASE + ((real[10] - BASE + 1) & 0xFF);
    DecodeResult r = s.offer(junkA, at(0));
    for (int i = 0; i < 20; i++) {
      if (i == 10) {
        s.offer(junkB, at(1));
      }
      r = s.offer(real[i], at(2));
    }
    assertThat(r.isAccepted()).isTrue();
    assertThat(s.size()).isEqualTo(3);
    for (int i = 0; i < 17; i++) {
      s.offer(BASE + 255, at(3));
    }
    byte[] m = newest(s);
    assertThat(m[0]).isEqualTo((byte) (junkA - BASE));
    assertThat(m[1]).isEqualTo((byte) (junkB - BASE));
    assertThat(m[2]).as("the knock's newest port, kept").isEqualTo((byte) (real[19] - BASE));
  }

  @Test
  void aKnockFoundFirstCostsOneCheckAndTheRestIsLeftAlone() throws Exception {
    int[] real = realPorts(PortMapping.INDEXED);
    SequenceAssembler s = sequence(PortMapping.INDEXED, alice);
    for (int pos = 0; pos < 20; pos++) {
      s.offer(indexed(pos, ((real[pos] - BASE) + 1) & 0xFF), at(0));
    }
    s.offer(indexed(0, ((real[0] - BASE) + 2) & 0xFF), at(0));
    for (int i = 0; i < 19; i++) {
      s.offer(real[i], at(1));
    }
    // seconds later: the combination budget is full again, so only settling stops the search
    DecodeResult r = s.offer(real[19], at(5000));
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.combinations()).isEqualTo(1);
    assertThat(s.size()).isEqualTo(22); // the 21 junk ports and the knock's newest
    assertThat(s.hasPending()).isTrue();
  }

  @Test
  void aRefusedNewestCheckIsOwedAndSaysDecoderBusy() throws Exception {
    int[] real = realPorts(PortMapping.INDEXED);
    SequenceAssembler s = sequence(PortMapping.INDEXED, alice);
    DecodeResult r = DecodeResult.INCOMPLETE;
    for (int i = 0; i < 20; i++) {
      r = s.offer(real[i], at(0), () -> false);
    }
    assertThat(r.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(s.hasPending()).isTrue();
    r = s.retryPending(at(1), () -> false); // the newest-first check alone, refused again
    assertThat(r.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(r.combinations()).isZero();
    assertThat(s.hasPending()).isTrue();
    r = s.retryPending(at(1), CheckAllowance.UNLIMITED);
    assertThat(r.isAccepted()).isTrue();
    assertThat(s.hasPending()).isFalse();
  }

  @Test
  void aNewestCheckRefusedOnceIsMadeUpByTheDepthSearch() throws Exception {
    int[] real = realPorts(PortMapping.INDEXED);
    SequenceAssembler s = sequence(PortMapping.INDEXED, alice);
    for (int i = 0; i < 19; i++) {
      s.offer(real[i], at(0));
    }
    AtomicInteger asked = new AtomicInteger();
    DecodeResult r = s.offer(real[19], at(0), () -> asked.incrementAndGet() > 1);
    assertThat(r.isAccepted()).isTrue();
    assertThat(asked.get()).isEqualTo(2);
  }

  @Test
  void aDepthSearchTheAllowanceRefusesSaysDecoderBusy() {
    SequenceAssembler s = sequence(PortMapping.INDEXED, nobody);
    for (int pos = 0; pos < 20; pos++) {
      s.offer(indexed(pos, 1), at(0));
    }
    s.offer(indexed(1, 2), at(0));
    int tried = s.combinationsTried();
    AtomicInteger left = new AtomicInteger(1);
    DecodeResult r = s.offer(indexed(0, 2), at(0), () -> left.getAndDecrement() > 0);
    assertThat(r.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(s.combinationsTried()).isEqualTo(tried);
  }

  @Test
  void theCombinationBudgetRefillsWithTime() {
    DecoderSettings small = new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, BASE,
        Duration.ofSeconds(120), 10);
    SequenceAssembler s = Fixtures.decoder(small, nobody).newSequence(CLIENT);
    for (int pos = 0; pos < 20; pos++) {
      s.offer(indexed(pos, 1), at(0));
    }
    for (int v = 2; v < 12; v++) { // candidates of one position combine with nothing yet
      s.offer(indexed(0, v), at(0));
    }
    assertThat(s.combinationsTried()).isZero();
    s.offer(indexed(1, 2), at(0)); // 10 combinations with position 0's older candidates
    assertThat(s.combinationsTried()).isEqualTo(10);
    DecodeResult r = s.offer(indexed(2, 2), at(0));
    assertThat(r.rejection()).isEqualTo(Rejection.TOO_MANY_COMBINATIONS);
    assertThat(s.combinationsTried()).isEqualTo(10);
    s.offer(indexed(2, 3), at(500)); // half a second: 5 more
    assertThat(s.combinationsTried()).isEqualTo(15);
    s.offer(indexed(2, 4), at(500)); // same instant: nothing refilled
    assertThat(s.combinationsTried()).isEqualTo(15);
    s.offer(indexed(2, 5), at(10_000)); // long after: full again, no more than the bound
    assertThat(s.combinationsTried()).isEqualTo(25);
  }
}
