package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A million random port sequences of the right length, one port per position: none may pass.
 * With a 32-bit tag the expected number of tag matches is 10^6 / 2^32 ≈ 0.0002, and a match would
 * still need a valid version and a timestamp in the window.
 */
class ForgeryTest {
  @Test
  void aMillionRandomSequencesAreAllRejected() {
    DecoderSettings s = Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED);
    KnockDecoder d = Fixtures.decoder(s, new KnockUser("alice", Fixtures.key(99), true));
    SequenceAssembler a = d.newSequence(CLIENT);
    SplittableRandom rnd = new SplittableRandom(2026);
    int accepted = 0;
    int tagMatches = 0;
    int n = 1_000_000;
    for (int i = 0; i < n; i++) {
      a.clear();
      DecodeResult r = null;
      for (int pos = 0; pos < 20; pos++) {
        r = a.offer(s.basePort() + 256 * pos + rnd.nextInt(256), NOW);
      }
      if (r.isAccepted()) {
        accepted++;
      } else if (r.rejection() != Rejection.BAD_TAG) {
        tagMatches++;
      }
    }
    System.out.printf("forgery: %d random sequences, %d passed the tag, %d accepted%n",
        n, tagMatches, accepted);
    assertThat(accepted).isZero();
    assertThat(tagMatches).as("a tag match is a 1 in 4,000 event here").isZero();
    // the same decoder, after the million, still accepts the key holder's knock: it refused the
    // forgeries, not everything
    KnockEncoder e = new KnockEncoder(Fixtures.key(99), CipherSuite.TWOFISH, PortMapping.INDEXED,
        s.basePort());
    int[] real = e.ports(e.seal(Command.close(22, Protocol.TCP), 0, NOW, 7));
    a.clear();
    assertThat(Fixtures.offerAll(a, real, NOW).isAccepted()).isTrue();
  }
}
