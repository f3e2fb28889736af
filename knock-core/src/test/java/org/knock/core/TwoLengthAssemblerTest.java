package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.NOW;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The sequence of a decoder with 36-byte knocks ({@link TwoLengthAssembler}): the sliding
 * window, port cap, kept ports, clear, pending checks and check counts reach both the 20-byte and
 * the 36-byte side. Written for the mutants PIT found alive (docs/TESTING.md).
 */
class TwoLengthAssemblerTest {
  private static final int BASE = 20000;
  private static final byte[] CLIENT6 = Fixtures.v6("fd00:18::2");
  private static final byte[] SERVER6 = Fixtures.v6("fd00:18::1");
  private final DecoderSettings settings = new DecoderSettings(CipherSuite.TWOFISH,
      PortMapping.INDEXED, BASE, DecoderSettings.DEFAULT_TIME_WINDOW,
      DecoderSettings.DEFAULT_MAX_COMBINATIONS, List.of(), true);
  /** A user nobody knocks for: every message is a bad tag, nothing is ever removed. */
  private final KnockUser nobody = new KnockUser("nobody", Fixtures.key(18), false);

  private SequenceAssembler sequence() {
    SequenceAssembler s = Fixtures.decoder(settings, nobody).newSequence6(CLIENT6, SERVER6);
    assertThat(s).isInstanceOf(TwoLengthAssembler.class);
    return s;
  }

  private static int port(int pos, int value) {
    return BASE + 256 * pos + value;
  }

  private static Instant at(long millis) {
    return NOW.plusMillis(millis);
  }

  /** Offers value 1 at positions {@code from} to {@code to - 1}; returns the last result. */
  private static DecodeResult fill(SequenceAssembler s, int from, int to, long millis,
      CheckAllowance allowance) {
    DecodeResult r = DecodeResult.INCOMPLETE;
    for (int pos = from; pos < to; pos++) {
      r = s.offer(port(pos, 1), at(millis), allowance);
    }
    return r;
  }

  @Test
  void sizeCountsTheLongSideWhichHoldsEveryPort() {
    SequenceAssembler s = sequence();
    fill(s, 0, 3, 0, CheckAllowance.UNLIMITED);
    assertThat(s.size()).isEqualTo(3);
    fill(s, 20, 25, 0, CheckAllowance.UNLIMITED); // positions only 36-byte knocks have
    assertThat(s.size()).isEqualTo(8);
  }

  @Test
  void clearEmptiesBothSides() {
    SequenceAssembler s = sequence();
    assertThat(fill(s, 0, 36, 0, CheckAllowance.UNLIMITED).rejection())
        .isEqualTo(Rejection.BAD_TAG);
    s.clear();
    assertThat(s.size()).as("the 36-byte side").isZero();
    // a 20-byte side left full would check its newest message at the next port
    assertThat(s.offer(port(0, 2), at(1))).isSameAs(DecodeResult.INCOMPLETE);
    assertThat(s.combinationsTried()).isZero();
  }

  @Test
  void theSlidingWindowReachesBothSides() {
    SequenceAssembler s = sequence();
    fill(s, 0, 20, 0, CheckAllowance.UNLIMITED);
    fill(s, 20, 36, 100, CheckAllowance.UNLIMITED);
    s.forgetBefore(at(1).toEpochMilli());
    assertThat(s.size()).isEqualTo(16);
    // a 20-byte side that kept its ports would check a full message here
    assertThat(s.offer(port(20, 2), at(200))).isSameAs(DecodeResult.INCOMPLETE);
    s.forgetBefore(at(300).toEpochMilli());
    assertThat(s.size()).isZero();
  }

  @Test
  void thePortCapReachesBothSides() {
    SequenceAssembler s = sequence();
    fill(s, 0, 20, 0, CheckAllowance.UNLIMITED);
    s.forgetOldest(20);
    assertThat(s.size()).isZero();
    assertThat(s.offer(port(19, 2), at(1))).isSameAs(DecodeResult.INCOMPLETE);
    fill(s, 0, 36, 2, CheckAllowance.UNLIMITED);
    assertThat(s.size()).isEqualTo(37);
    s.forgetOldest(37);
    assertThat(s.size()).isZero();
  }

  @Test
  void aKeptPortOutlivesNothingButTheWindowOnBothSides() throws Exception {
    KnockKey key = Fixtures.key(19);
    SequenceAssembler s = Fixtures.decoder(settings, new KnockUser("alice", key, false))
        .newSequence(Fixtures.CLIENT, 0);
    assertThat(s).isInstanceOf(TwoLengthAssembler.class);
    assertThat(s.oldestKeptMillis()).as("none held").isEqualTo(Long.MAX_VALUE);
    int[] knock = Fixtures.knockPool(key, settings, 1, 0, 7).get(0);
    assertThat(Fixtures.offerAll(s, knock, at(5)).isAccepted()).isTrue();
    // its newest port stays, kept on both sides, and nothing else
    assertThat(s.oldestKeptMillis()).isEqualTo(at(5).toEpochMilli());
    assertThat(s.onlyKept()).isTrue();
    s.forgetBefore(at(5).toEpochMilli());
    assertThat(s.size()).as("seen exactly then: stays").isEqualTo(1);
    s.forgetBefore(at(6).toEpochMilli());
    assertThat(s.size()).isZero();
    assertThat(s.oldestKeptMillis()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void checksOfBothSidesAddUp() {
    SequenceAssembler s = sequence();
    fill(s, 20, 36, 0, CheckAllowance.UNLIMITED);
    DecodeResult r = fill(s, 0, 20, 0, CheckAllowance.UNLIMITED);
    assertThat(r.rejection()).isEqualTo(Rejection.BAD_TAG);
    assertThat(r.combinations()).as("one newest-first check per side").isEqualTo(2);
    s.offer(port(1, 2), at(0)); // newest on both sides: no depth search yet
    assertThat(s.combinationsTried()).isZero();
    r = s.offer(port(0, 2), at(0)); // one combination deeper on each side
    assertThat(s.combinationsTried()).isEqualTo(2);
    assertThat(r.combinations()).isEqualTo(4);
  }

  @Test
  void theStrongerRefusalOfTheTwoSidesIsReported() {
    SequenceAssembler s = sequence();
    fill(s, 20, 36, 0, CheckAllowance.UNLIMITED);
    fill(s, 0, 19, 0, CheckAllowance.UNLIMITED);
    AtomicInteger asked = new AtomicInteger();
    // the last port completes both sides: the 20-byte side is checked (bad tag), the 36-byte
    // side is refused its newest-first check and then its depth-0 combination (decoder busy,
    // the stronger refusal)
    DecodeResult r = s.offer(port(19, 1), at(0), () -> asked.incrementAndGet() == 1);
    assertThat(asked.get()).isEqualTo(3);
    assertThat(Rejection.DECODER_BUSY.ordinal()).isGreaterThan(Rejection.BAD_TAG.ordinal());
    assertThat(r.rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(r.combinations()).isEqualTo(1);
  }

  @Test
  void aCheckOwedOnEitherSideIsPendingUntilRetried() {
    SequenceAssembler s = sequence();
    assertThat(s.hasPending()).isFalse();
    assertThat(s.retryPending(NOW, CheckAllowance.UNLIMITED)).isSameAs(DecodeResult.INCOMPLETE);
    // 20 ports complete the 20-byte side only; its check is refused
    assertThat(fill(s, 0, 20, 0, () -> false).rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(s.hasPending()).isTrue();
    DecodeResult r = s.retryPending(at(1), CheckAllowance.UNLIMITED);
    assertThat(r.rejection()).isEqualTo(Rejection.BAD_TAG);
    assertThat(r.combinations()).isEqualTo(1);
    assertThat(s.hasPending()).isFalse();
    // 16 more complete the 36-byte side; its check is refused
    assertThat(fill(s, 20, 36, 2, () -> false).rejection()).isEqualTo(Rejection.DECODER_BUSY);
    assertThat(s.hasPending()).isTrue();
    assertThat(s.retryPending(at(3), CheckAllowance.UNLIMITED).rejection())
        .isEqualTo(Rejection.BAD_TAG);
    assertThat(s.hasPending()).isFalse();
  }
}
