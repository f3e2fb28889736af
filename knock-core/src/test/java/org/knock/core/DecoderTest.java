package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;
import static org.knock.core.Fixtures.OTHER;

import java.time.Duration;
import java.time.Instant;
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

  @Test
  void twelveJunkPortsAtTheWorstPlacesStayWithinTheBound() throws Exception {
    // 12 junk ports on 12 different positions, all before the real knock: 2^12 = 4096 combinations
    int[] real = knock("open 22 30m", 0, NOW, 5);
    int[] ports = new int[32];
    for (int j = 0; j < 12; j++) {
      ports[j] = real[j] ^ 1; // same position, another byte
    }
    System.arraycopy(real, 0, ports, 12, 20);
    KnockDecoder d = Fixtures.decoder(settings, alice);
    SequenceAssembler a = d.newSequence(CLIENT);
    DecodeResult r = Fixtures.offerAll(a, ports, NOW);
    assertThat(r.isAccepted()).isTrue();
    assertThat(a.combinationsTried()).isZero(); // cleared after acceptance
  }

  @Test
  void moreJunkThanTheBoundIsRefusedNotLooped() throws Exception {
    int[] real = knock("open 22 30m", 0, NOW, 5);
    int[] ports = new int[20 + 20 * 2];
    int n = 0;
    for (int j = 0; j < 20; j++) { // two junk candidates for every position: 3^20 combinations
      ports[n++] = real[j] ^ 1;
      ports[n++] = real[j] ^ 2;
    }
    System.arraycopy(real, 0, ports, n, 20);
    KnockDecoder d = Fixtures.decoder(settings, alice);
    SequenceAssembler a = d.newSequence(CLIENT);
    DecodeResult r = Fixtures.offerAll(a, ports, NOW);
    assertThat(r.status()).isEqualTo(DecodeResult.Status.REJECTED);
    assertThat(r.rejection()).isEqualTo(Rejection.TOO_MANY_COMBINATIONS);
    assertThat(a.combinationsTried()).isLessThanOrEqualTo(settings.maxCombinations());
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
}
