package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The random service port (docs/PROTOCOL.md §10): a fixed vector (computed independently with
 * Python's hmac and hashlib), the range, and the same port on both sides of a real knock.
 */
class RandomPortTest {
  /** The secret 00 01 02 … 1f. */
  private static final KnockKey KEY = KnockKey.of(secret());

  private static byte[] secret() {
    byte[] s = new byte[32];
    for (int i = 0; i < s.length; i++) {
      s[i] = (byte) i;
    }
    return s;
  }

  @Test
  void vectorsComputedIndependently() {
    // python3: hmac(HKDF mac key, b"kn random" + ts.to_bytes(4) + nonce.to_bytes(3))[:4]
    assertThat(RandomPort.draw(KEY, 1764547200L, 0x123456)).isEqualTo(1526251369L);
    assertThat(RandomPort.draw(KEY, 1764547200L, 0x123457)).isEqualTo(1098384252L);
    assertThat(RandomPort.draw(KEY, 0xFFFFFFFFL, 0xFFFFFF)).isEqualTo(3682303973L);
    assertThat(RandomPort.of(KEY, 1764547200L, 0x123456, 40000, 49999)).isEqualTo(41369);
    assertThat(RandomPort.of(KEY, 1764547200L, 0x123457, 40000, 49999)).isEqualTo(44252);
    assertThat(RandomPort.of(KEY, 0xFFFFFFFFL, 0xFFFFFF, 40000, 49999)).isEqualTo(43973);
  }

  @Test
  void portsStayInTheRangeAndSpreadOverIt() {
    Set<Integer> seen = new HashSet<>();
    for (int nonce = 0; nonce < 2000; nonce++) {
      int p = RandomPort.of(KEY, 1764547200L, nonce, 40000, 40099);
      assertThat(p).isBetween(40000, 40099);
      seen.add(p);
    }
    assertThat(seen).hasSize(100); // 2,000 draws hit all 100 ports
    assertThat(RandomPort.port(0xFFFFFFFFL, 65535, 65535)).isEqualTo(65535);
    assertThatThrownBy(() -> RandomPort.port(1, 50000, 40000))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anotherKeyDrawsAnotherPort() {
    assertThat(RandomPort.draw(Fixtures.key(1), 1764547200L, 0x123456))
        .isNotEqualTo(RandomPort.draw(KEY, 1764547200L, 0x123456));
  }

  @Test
  void theDecoderDrawsWhatTheClientDrew() throws Exception {
    DecoderSettings settings = Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED);
    int server = Fixtures.ip(10, 99, 0, 1);
    KnockEncoder encoder = new KnockEncoder(KEY, CipherSuite.TWOFISH, PortMapping.INDEXED,
        settings.basePort(), ServerBinding.ipv4(server));
    KnockDecoder d = Fixtures.decoder(settings, new KnockUser("alice", KEY, false));
    Command open = Command.parse("open 22 30m random");
    int nonce = new SplittableRandom(7).nextInt(1 << 24);
    int[] ports = encoder.ports(encoder.seal(open, 0, NOW, nonce));
    DecodeResult r = Fixtures.offerAll(d.newSequence(CLIENT, server), ports, NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().payload().randomPort()).isTrue();
    assertThat(r.knock().payload().version()).isEqualTo(Payload.VERSION_2);
    assertThat(r.knock().randomPort(40000, 49999))
        .isEqualTo(RandomPort.of(KEY, NOW.getEpochSecond(), nonce, 40000, 49999));
    // a knock without the word asks for no random port
    int[] plain = encoder.ports(encoder.seal(Command.parse("open 22 30m"), 0, NOW, nonce + 1));
    DecodeResult p = Fixtures.offerAll(d.newSequence(CLIENT, server), plain, NOW);
    assertThat(p.knock().randomDraw()).isEqualTo(-1);
    assertThat(p.knock().randomPort(40000, 49999)).isEqualTo(-1);
  }

  @Test
  void version1CannotCarryTheRandomBit() {
    KnockEncoder v1 = new KnockEncoder(KEY, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000);
    assertThatThrownBy(() -> v1.seal(Command.parse("open 22 random"), 0, NOW, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
