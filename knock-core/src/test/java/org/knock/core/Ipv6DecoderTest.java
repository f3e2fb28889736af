package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.NOW;

import java.net.InetAddress;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Knocks from IPv6 sources to IPv6 server addresses (issue 15, first landing). */
class Ipv6DecoderTest {
  private static final byte[] CLIENT6 = Fixtures.v6("fd00:15::2");
  private static final byte[] SERVER6 = Fixtures.v6("fd00:15::1");
  private static final byte[] OTHER_SERVER6 = Fixtures.v6("fd00:15::9");
  private final KnockKey key = Fixtures.key(42);
  private final DecoderSettings settings =
      Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED);
  private final KnockUser alice = new KnockUser("alice", key, false);

  private int[] knock(byte[] server, int grant, long seed) throws KnockException {
    return new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, settings.basePort(),
        ServerBinding.of(server)).encode(Command.parse("open 22 30m"), grant, NOW,
        new SplittableRandom(seed));
  }

  @Test
  void aKnockFromAnIpv6SourceGrantsThatSource() throws Exception {
    KnockDecoder d = Fixtures.decoder(settings, alice);
    DecodeResult r = Fixtures.offerAll(d.newSequence6(CLIENT6, SERVER6), knock(SERVER6, 0, 1), NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().grantAddress().getHostAddress()).isEqualTo("fd00:15:0:0:0:0:0:2");
    assertThat(r.knock().sourceAddress()).isEqualTo(r.knock().grantAddress());
  }

  @Test
  void aKnockBoundToOneIpv6AddressFailsAtAnother() throws Exception {
    KnockDecoder d = Fixtures.decoder(settings, alice);
    assertThat(Fixtures.offerAll(d.newSequence6(CLIENT6, OTHER_SERVER6), knock(SERVER6, 0, 2),
        NOW).rejection()).isEqualTo(Rejection.BAD_TAG);
    // nor does an IPv6 knock open at the IPv4-mapped twin of nothing: bound to IPv4 fails over IPv6
    int[] v4bound = new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED,
        settings.basePort(), ServerBinding.ipv4(Fixtures.ip(203, 0, 113, 5)))
        .encode(Command.parse("open 22"), 0, NOW, new SplittableRandom(3));
    assertThat(Fixtures.offerAll(d.newSequence6(CLIENT6, SERVER6), v4bound, NOW).rejection())
        .isEqualTo(Rejection.BAD_TAG);
  }

  @Test
  void shuffledIpv6KnocksWithJunkDecode() throws Exception {
    Random rnd = new Random(4);
    for (int i = 0; i < 100; i++) {
      KnockDecoder d = Fixtures.decoder(settings, alice);
      List<Integer> ports = Fixtures.list(knock(SERVER6, 0, 100 + i));
      Collections.shuffle(ports, rnd);
      ports.add(rnd.nextInt(ports.size()), settings.basePort() + rnd.nextInt(5120));
      assertThat(Fixtures.offerAll(d.newSequence6(CLIENT6, SERVER6), Fixtures.array(ports), NOW)
          .isAccepted()).as("knock %d", i).isTrue();
    }
  }

  @Test
  void anIpv4AddressNamedInAnIpv6KnockNeedsAllowOtherAddress() throws Exception {
    int named = Fixtures.ip(192, 0, 2, 7);
    DecodeResult strict = Fixtures.offerAll(Fixtures.decoder(settings, alice)
        .newSequence6(CLIENT6, SERVER6), knock(SERVER6, named, 5), NOW);
    assertThat(strict.rejection()).isEqualTo(Rejection.ADDRESS_NOT_ALLOWED);
    KnockUser lenient = new KnockUser("alice", key, true);
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, lenient)
        .newSequence6(CLIENT6, SERVER6), knock(SERVER6, named, 6), NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().grantAddress().getHostAddress()).isEqualTo("192.0.2.7");
  }

  @Test
  void anIpv6ReplayIsRefused() throws Exception {
    KnockDecoder d = Fixtures.decoder(settings, alice);
    int[] ports = knock(SERVER6, 0, 7);
    assertThat(Fixtures.offerAll(d.newSequence6(CLIENT6, SERVER6), ports, NOW).isAccepted())
        .isTrue();
    assertThat(Fixtures.offerAll(d.newSequence6(CLIENT6, SERVER6), ports, NOW).rejection())
        .isEqualTo(Rejection.REPLAY);
  }

  private int[] knock64(byte[] server, long seed) throws KnockException {
    return new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, settings.basePort(),
        ServerBinding.of(server)).encode(Command.parse("open 22 30m"), 0,
        Payload.ADDRESS_SOURCE_64, NOW, new SplittableRandom(seed));
  }

  @Test
  void aSource64KnockGrantsTheSourcesSlash64WithoutAllowOtherAddress() throws Exception {
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, alice)
        .newSequence6(Fixtures.v6("fd00:15::1234:5678:9abc:def0"), SERVER6), knock64(SERVER6, 8),
        NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().payload().grantsSource64()).isTrue();
    assertThat(r.knock().grantPrefix()).isEqualTo(64);
    assertThat(r.knock().grantAddress()).isEqualTo(InetAddress.getByName("fd00:15::"));
    assertThat(r.knock().sourceAddress())
        .isEqualTo(InetAddress.getByName("fd00:15::1234:5678:9abc:def0"));
  }

  @Test
  void aSource64KnockOverIpv4IsRefusedAsAddressNotAllowed() throws Exception {
    int server4 = Fixtures.ip(203, 0, 113, 5);
    int[] ports = new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED,
        settings.basePort(), ServerBinding.ipv4(server4)).encode(Command.parse("open 22"), 0,
        Payload.ADDRESS_SOURCE_64, NOW, new SplittableRandom(9));
    KnockUser lenient = new KnockUser("alice", key, true); // not even AllowOtherAddress helps
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, lenient)
        .newSequence(Fixtures.CLIENT, server4), ports, NOW);
    assertThat(r.rejection()).isEqualTo(Rejection.ADDRESS_NOT_ALLOWED);
  }

  @Test
  void anIpv6SourceGrantIsAFullAddress() throws Exception {
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, alice)
        .newSequence6(CLIENT6, SERVER6), knock(SERVER6, 0, 10), NOW);
    assertThat(r.knock().grantPrefix()).isEqualTo(128);
  }
}
