package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The decoder's fast tag check accepts exactly what {@link Sealer} seals. */
class TagCheckTest {
  @Test
  void agreesWithTheSealerForManyKeysAndMessages() {
    SplittableRandom r = new SplittableRandom(5);
    for (CipherSuite suite : CipherSuite.values()) {
      for (int k = 0; k < 50; k++) {
        KnockKey key = KnockKey.generate(r);
        Sealer sealer = new Sealer(key, suite);
        TagCheck check = new TagCheck(key, suite);
        byte[] plain = new byte[Payload.SIZE];
        r.nextBytes(plain);
        byte[] m = sealer.seal(plain);
        assertThat(check.verify(m)).isTrue();
        for (int bit = 0; bit < Sealer.MESSAGE_SIZE * 8; bit++) { // every single-bit change
          byte[] flipped = m.clone();
          flipped[bit / 8] ^= (byte) (1 << (bit % 8));
          assertThat(check.verify(flipped)).as("bit %d", bit).isEqualTo(sealer.verify(flipped))
              .isFalse();
        }
      }
    }
  }

  @Test
  void rejectsOtherKeysSuitesAndLengths() {
    SplittableRandom r = new SplittableRandom(6);
    KnockKey a = KnockKey.generate(r);
    KnockKey b = KnockKey.generate(r);
    byte[] m = new Sealer(a, CipherSuite.values()[0]).seal(new byte[Payload.SIZE]);
    assertThat(new TagCheck(b, CipherSuite.values()[0]).verify(m)).isFalse();
    if (CipherSuite.values().length > 1) {
      assertThat(new TagCheck(a, CipherSuite.values()[1]).verify(m)).isFalse();
    }
    assertThat(new TagCheck(a, CipherSuite.values()[0]).verify(new byte[19])).isFalse();
  }

  @Test
  void version2TagsAreBoundToTheirServer() {
    SplittableRandom r = new SplittableRandom(7);
    ServerBinding a = ServerBinding.ipv4(0xCB007105);
    ServerBinding b = ServerBinding.of(new byte[] {(byte) 203, 0, 113, 6});
    for (CipherSuite suite : CipherSuite.values()) {
      for (int k = 0; k < 50; k++) {
        KnockKey key = KnockKey.generate(r);
        byte[] plain = new byte[Payload.SIZE];
        r.nextBytes(plain);
        byte[] m = new Sealer(key, suite, a).seal(plain);
        TagCheck check = new TagCheck(key, suite);
        assertThat(check.verify(m, a)).isTrue();
        assertThat(new Sealer(key, suite, a).verify(m)).isTrue();
        assertThat(check.verify(m, b)).isFalse();
        assertThat(check.verify(m)).as("not a version-1 tag").isFalse();
        assertThat(check.verify(m, a)).as("again, after another binding").isTrue();
      }
    }
  }
}
