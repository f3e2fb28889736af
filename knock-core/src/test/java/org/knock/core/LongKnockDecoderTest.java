package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.NOW;

import java.net.InetAddress;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * 36-byte knocks (address mode 2: an explicit IPv6 address, issue 15) next to 20-byte ones, in a
 * decoder whose range holds 9216 ports: the address rule for IPv6 and IPv4 (mixed) sources, any
 * order with junk, both lengths from one source, and forgery.
 */
class LongKnockDecoderTest {
  private static final byte[] CLIENT6 = Fixtures.v6("fd00:15::2");
  private static final byte[] OTHER6 = Fixtures.v6("fd00:15::99");
  private static final byte[] SERVER6 = Fixtures.v6("fd00:15::1");
  private static final int SERVER4 = Fixtures.ip(203, 0, 113, 5);
  private final KnockKey key = Fixtures.key(42);
  private final DecoderSettings settings = new DecoderSettings(CipherSuite.TWOFISH,
      PortMapping.INDEXED, 20000, DecoderSettings.DEFAULT_TIME_WINDOW,
      DecoderSettings.DEFAULT_MAX_COMBINATIONS, List.of(), true);
  private final KnockUser strict = new KnockUser("alice", key, false);
  private final KnockUser lenient = new KnockUser("alice", key, true);

  private KnockEncoder encoder(ServerBinding server) {
    return new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000, server);
  }

  private int[] knock6(ServerBinding server, byte[] grant6, long seed) throws KnockException {
    return encoder(server).encode6(Command.parse("open 22 30m"), grant6, NOW,
        new SplittableRandom(seed));
  }

  @Test
  void aLongKnockHas36PortsIn9216() throws Exception {
    int[] ports = knock6(ServerBinding.of(SERVER6), CLIENT6, 1);
    assertThat(ports).hasSize(36);
    for (int i = 0; i < 36; i++) {
      assertThat(ports[i]).isBetween(20000 + 256 * i, 20000 + 256 * i + 255);
    }
    assertThat(PortMapping.INDEXED.rangeSize(Sealer.LONG_MESSAGE_SIZE)).isEqualTo(9216);
  }

  @Test
  void anIpv6SourceNamingItselfIsGrantedWithoutAllowOtherAddress() throws Exception {
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, strict)
        .newSequence6(CLIENT6, SERVER6), knock6(ServerBinding.of(SERVER6), CLIENT6, 2), NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().grantAddress()).isEqualTo(InetAddress.getByAddress(CLIENT6));
    assertThat(r.knock().grantPrefix()).isEqualTo(128);
  }

  @Test
  void anotherIpv6AddressNeedsAllowOtherAddress() throws Exception {
    assertThat(Fixtures.offerAll(Fixtures.decoder(settings, strict)
        .newSequence6(CLIENT6, SERVER6), knock6(ServerBinding.of(SERVER6), OTHER6, 3), NOW)
        .rejection()).isEqualTo(Rejection.ADDRESS_NOT_ALLOWED);
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, lenient)
        .newSequence6(CLIENT6, SERVER6), knock6(ServerBinding.of(SERVER6), OTHER6, 4), NOW);
    assertThat(r.knock().grantAddress()).isEqualTo(InetAddress.getByAddress(OTHER6));
  }

  @Test
  void anIpv4KnockNamingAnIpv6AddressIsTheMixedCase() throws Exception {
    int[] ports = knock6(ServerBinding.ipv4(SERVER4), CLIENT6, 5);
    assertThat(Fixtures.offerAll(Fixtures.decoder(settings, strict)
        .newSequence(Fixtures.CLIENT, SERVER4), ports, NOW).rejection())
        .isEqualTo(Rejection.ADDRESS_NOT_ALLOWED);
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, lenient)
        .newSequence(Fixtures.CLIENT, SERVER4), knock6(ServerBinding.ipv4(SERVER4), CLIENT6, 6),
        NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().sourceAddress().getHostAddress()).isEqualTo("10.99.0.2");
    assertThat(r.knock().grantAddress()).isEqualTo(InetAddress.getByAddress(CLIENT6));
  }

  @Test
  void shuffledLongKnocksWithJunkDecodeAndShortOnesStillDo() throws Exception {
    Random rnd = new Random(7);
    KnockDecoder d = Fixtures.decoder(settings, strict);
    for (int i = 0; i < 100; i++) {
      List<Integer> ports = Fixtures.list(i % 2 == 0
          ? knock6(ServerBinding.of(SERVER6), CLIENT6, 100 + i)
          : encoder(ServerBinding.of(SERVER6)).encode(Command.parse("open 22"), 0, NOW,
              new SplittableRandom(100 + i)));
      Collections.shuffle(ports, rnd);
      ports.add(rnd.nextInt(ports.size()), 20000 + rnd.nextInt(9216));
      // a fresh sequence per knock; the loop below sends both lengths into one sequence
      DecodeResult r = Fixtures.offerAll(d.newSequence6(CLIENT6, SERVER6), Fixtures.array(ports),
          NOW);
      assertThat(r.isAccepted()).as("knock %d (%d ports)", i, ports.size() - 1).isTrue();
    }
    SequenceAssembler one = d.newSequence6(CLIENT6, SERVER6);
    for (int i = 0; i < 20; i++) {
      int[] ports = i % 2 == 0 ? knock6(ServerBinding.of(SERVER6), CLIENT6, 300 + i)
          : encoder(ServerBinding.of(SERVER6)).encode(Command.parse("open 22"), 0, NOW,
              new SplittableRandom(300 + i));
      assertThat(Fixtures.offerAll(one, ports, NOW).isAccepted()).as("knock %d", i).isTrue();
      assertThat(one.onlyKept()).as("a verified message leaves both lengths, but its newest port")
          .isTrue();
    }
  }

  @Test
  void aDecoderWithoutTheLongRangeDoesNotDecodeLongKnocks() throws Exception {
    KnockDecoder d = Fixtures.decoder(Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED),
        strict);
    assertThat(Fixtures.offerAll(d.newSequence6(CLIENT6, SERVER6),
        knock6(ServerBinding.of(SERVER6), CLIENT6, 8), NOW).isAccepted()).isFalse();
  }

  @Test
  void aLongKnockOnlyOpensAtTheAddressItWasMadeFor() throws Exception {
    assertThat(Fixtures.offerAll(Fixtures.decoder(settings, lenient)
        .newSequence6(CLIENT6, OTHER6), knock6(ServerBinding.of(SERVER6), CLIENT6, 9), NOW)
        .rejection()).isEqualTo(Rejection.BAD_TAG);
  }

  @Test
  void aHundredThousandRandomLongSequencesAreAllRejected() throws Exception {
    KnockDecoder d = Fixtures.decoder(settings, lenient);
    SplittableRandom rnd = new SplittableRandom(10);
    int accepted = 0;
    for (int i = 0; i < 100_000; i++) {
      SequenceAssembler a = d.newSequence6(CLIENT6, SERVER6);
      for (int pos = 0; pos < 36; pos++) {
        if (a.offer(20000 + 256 * pos + rnd.nextInt(256), NOW).isAccepted()) {
          accepted++;
        }
      }
    }
    assertThat(accepted).isZero();
  }

  @Test
  void aLongKnockWhosePortCompletesAPartialShortOneStillDecodes() throws Exception {
    // a 20-byte open lost a SYN; a 36-byte knock's port carries the lost byte and completes it
    // on the 20-byte side: the 36-byte side must keep that port too (PROTOCOL.md 5, kept ports)
    Random rnd = new Random(11);
    for (int round = 0; round < 10; round++) {
      SequenceAssembler a = Fixtures.decoder(settings, strict).newSequence6(CLIENT6, SERVER6);
      int[] partial = encoder(ServerBinding.of(SERVER6)).encode(Command.parse("open 22"), 0, NOW,
          new SplittableRandom(1100 + round));
      int lost = rnd.nextInt(20);
      for (int j = 0; j < 20; j++) {
        if (j != lost) {
          a.offer(partial[j], NOW);
        }
      }
      int[] longKnock = null;
      for (long seed = 100_000L * (round + 1); longKnock == null; seed++) {
        assertThat(seed).as("a 36-byte knock sharing the byte").isLessThan(100_000L * (round + 1)
            + 20_000);
        int[] k = knock6(ServerBinding.of(SERVER6), CLIENT6, seed);
        longKnock = k[lost] == partial[lost] ? k : null;
      }
      int[] order = longKnock.clone(); // the shared port first
      order[0] = longKnock[lost];
      order[lost] = longKnock[0];
      int longAccepted = 0;
      for (int p : order) {
        DecodeResult r = a.offer(p, NOW.plusMillis(300));
        if (r.isAccepted() && r.knock().payload().addressMode() == Payload.ADDRESS_IPV6) {
          longAccepted++;
        }
      }
      assertThat(longAccepted).as("round %d (position %d lost)", round, lost).isEqualTo(1);
    }
  }
}
