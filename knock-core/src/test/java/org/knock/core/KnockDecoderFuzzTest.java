package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Fuzzes the decoder with the ports one source sends, as {@link SequenceAssembler#offer} sees
 * them, under either mapping and cipher. The only message sealed with the user's key is one real
 * knock, which the input may or may not replay, in pieces and in any order, mixed with junk and
 * with the clock moving. Properties: nothing throws, and the only knock ever accepted is that real
 * one, at most once (the replay cache) — i.e. no acceptance without the key.
 *
 * <p>Input: byte 0 picks the mapping (bit 0), the cipher (bit 1) and the real knock's command
 * (bits 2-3); then records of 3 bytes {@code op a b}: op&3 = 0 a junk port in the range (a,b),
 * 1 the real knock's port number a%20, 2 any port 0-65535 (a,b), 3 the clock moves by (a-128)
 * seconds, or with b odd, a new sequence from the same source. Seeds:
 * {@code KnockDecoderFuzzTestInputs/offerPorts/}.
 */
class KnockDecoderFuzzTest {
  private static final KnockKey KEY = Fixtures.key(7);
  private static final int SOURCE = Fixtures.CLIENT;
  private static final Command[] COMMANDS = {
    Command.open(22, Protocol.TCP, Duration.ofMinutes(30)),
    Command.close(22, Protocol.TCP),
    Command.denyFurther(Duration.ofHours(1)),
    Command.run("backup"),
  };

  /** What byte 0 picks (mapping, cipher, command), and the knock sealed with that nonce. */
  private record Case(DecoderSettings settings, PortMapping mapping, Payload sealed, int[] real) {
    static Case of(byte b, int nonce) {
      PortMapping mapping = (b & 1) == 0 ? PortMapping.INDEXED : PortMapping.CLASSIC;
      CipherSuite suite = (b & 2) == 0 ? CipherSuite.TWOFISH : CipherSuite.BLOWFISH;
      Command command = COMMANDS[(b >> 2) & 3];
      DecoderSettings s = Fixtures.settings(suite, mapping);
      KnockEncoder encoder = new KnockEncoder(KEY, suite, mapping, s.basePort());
      return new Case(s, mapping,
          Payload.of(command, SOURCE, Fixtures.NOW.getEpochSecond(), nonce),
          encoder.ports(encoder.seal(command, SOURCE, Fixtures.NOW, nonce)));
    }

    KnockDecoder decoder() {
      return new KnockDecoder(settings, List.of(new KnockUser("alice", KEY, false),
          new KnockUser("bob", Fixtures.key(8), true)), new InMemoryReplayCache());
    }
  }

  @FuzzTest(maxDuration = "5m")
  void offerPorts(byte[] input) {
    if (input.length == 0) {
      return;
    }
    Case c = Case.of(input[0], 0x00abcdef);
    PortMapping mapping = c.mapping();
    DecoderSettings s = c.settings();
    Payload sealed = c.sealed();
    int[] real = c.real();
    KnockDecoder decoder = c.decoder();
    SequenceAssembler seq = decoder.newSequence(SOURCE);
    Instant now = Fixtures.NOW;
    int accepted = 0;
    for (int i = 1; i + 2 < input.length; i += 3) {
      int op = input[i] & 3;
      int a = input[i + 1] & 0xff;
      int b = input[i + 2] & 0xff;
      DecodeResult r;
      int triedBefore = seq.combinationsTried();
      switch (op) {
        case 0:
          r = seq.offer(s.basePort() + ((a << 8 | b) % mapping.rangeSize()), now);
          break;
        case 1:
          r = seq.offer(real[a % real.length], now);
          break;
        case 2:
          r = seq.offer(a << 8 | b, now);
          break;
        default:
          if ((b & 1) == 1) {
            seq = decoder.newSequence(SOURCE);
          } else {
            now = now.plusSeconds(a - 128);
          }
          continue;
      }
      // the depth search's budget, plus the newest-first check that it is not charged for
      assertThat(r.combinations()).isBetween(0, s.maxCombinations() + 1);
      // the depth search's budget refills with the clock: a packet adds at most a budget's worth
      assertThat(seq.combinationsTried()).isBetween(0, triedBefore + s.maxCombinations());
      if (r.isAccepted()) {
        accepted++;
        assertThat(r.knock().user()).isEqualTo("alice");
        assertThat(r.knock().payload()).isEqualTo(sealed);
        assertThat(r.knock().source()).isEqualTo(SOURCE);
      } else if (r.status() == DecodeResult.Status.REJECTED) {
        assertThat(r.rejection()).isNotNull();
      }
    }
    assertThat(accepted).isLessThanOrEqualTo(1);
  }

  /**
   * The other way round: a real knock sent whole after any junk from the same source (indexed: in
   * an order the input picks; classic: in order, as the classic mapping needs), then sent again,
   * then followed by more junk, is accepted exactly once, with its own command. A decoder that
   * refuses good knocks fails here. Input: byte 0 as in {@link #offerPorts}, byte 1 how many of
   * the rest are junk before the knock (the others come after it), byte 2 seeds the order; then
   * junk ports as pairs of bytes (port = base + value mod the range). Seeds:
   * {@code KnockDecoderFuzzTestInputs/knockInJunk/}.
   */
  @FuzzTest(maxDuration = "5m")
  void knockInJunk(byte[] input) {
    if (input.length < 3) {
      return;
    }
    Case c = Case.of(input[0], 0x00123456);
    PortMapping mapping = c.mapping();
    DecoderSettings s = c.settings();
    Payload sealed = c.sealed();
    int[] real = c.real();
    if (mapping == PortMapping.INDEXED) {
      real = shuffled(real, input[2]);
    }
    int pairs = (input.length - 3) / 2;
    int before = pairs == 0 ? 0 : (input[1] & 0xFF) * pairs / 256;
    SequenceAssembler seq = c.decoder().newSequence(SOURCE);
    int accepted = 0;
    for (int k = 0; k < pairs; k++) {
      if (k == before) {
        accepted += sendKnock(seq, real, sealed);
        assertThat(accepted).as("the knock, after %d junk ports", before).isEqualTo(1);
        sendKnock(seq, real, sealed); // the same packets again: a replay, refused
      }
      int v = (input[3 + 2 * k] & 0xFF) << 8 | (input[4 + 2 * k] & 0xFF);
      if (seq.offer(s.basePort() + v % mapping.rangeSize(), Fixtures.NOW).isAccepted()) {
        accepted++;
      }
    }
    if (before == pairs) {
      accepted += sendKnock(seq, real, sealed);
      accepted += sendKnock(seq, real, sealed);
    }
    assertThat(accepted).isEqualTo(1);
  }

  /** Offers the ports; how many offers were accepted (each must be the sealed knock). */
  private static int sendKnock(SequenceAssembler seq, int[] ports, Payload sealed) {
    int n = 0;
    for (int p : ports) {
      DecodeResult r = seq.offer(p, Fixtures.NOW);
      if (r.isAccepted()) {
        assertThat(r.knock().user()).isEqualTo("alice");
        assertThat(r.knock().payload()).isEqualTo(sealed);
        n++;
      }
    }
    return n;
  }

  private static int[] shuffled(int[] ports, long seed) {
    List<Integer> l = Fixtures.list(ports);
    java.util.Collections.shuffle(l, new java.util.Random(seed));
    return Fixtures.array(l);
  }
}
