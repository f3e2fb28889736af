package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.knock.core.Command;
import org.knock.core.DecodeResult;
import org.knock.core.DecoderSettings;
import org.knock.core.InMemoryReplayCache;
import org.knock.core.KnockDecoder;
import org.knock.core.KnockEncoder;
import org.knock.core.KnockKey;
import org.knock.core.KnockUser;
import org.knock.core.ServerBinding;

/** IPv6 sources: knocks decode, and a flood from one /64 evicts only that /64's sources. */
class Ipv6SourcesTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  private static final byte[] SERVER = v6(0xfd00_0015_0000_0000L, 1);
  private static final byte[] CLIENT = v6(0xfd00_0015_0000_0000L, 2);
  private final KnockKey key = KnockKey.generate(new SplittableRandom(1));
  private final DecoderSettings settings = DecoderSettings.defaults();
  private final KnockDecoder decoder = new KnockDecoder(settings,
      List.of(new KnockUser("alice", key, false)), new InMemoryReplayCache());
  private int sport = 40000;

  private static byte[] v6(long hi, long lo) {
    return java.nio.ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
  }

  private int[] knock(long seed) throws Exception {
    return new KnockEncoder(key, settings.suite(), settings.mapping(), settings.basePort(),
        ServerBinding.of(SERVER)).encode(Command.parse("open 22 30m"), 0, T0,
        new SplittableRandom(seed));
  }

  private Ipv6Sources sources(int maxSources) {
    return new Ipv6Sources(new SourceTracker(decoder, Duration.ofSeconds(10), maxSources, 512));
  }

  private DecodeResult offer(Ipv6Sources s, byte[] source, int port) {
    return s.offer(source, SERVER, sport++, port, T0, new ArrayList<>());
  }

  @Test
  void aKnockFromAnIpv6SourceIsAcceptedAndGrantsThatSource() throws Exception {
    Ipv6Sources s = sources(100);
    DecodeResult last = null;
    for (int p : knock(1)) {
      last = offer(s, CLIENT, p);
    }
    assertThat(last.isAccepted()).isTrue();
    assertThat(last.knock().grant6()).isEqualTo(CLIENT);
    assertThat(s.size()).as("the source, holding the knock's newest port").isEqualTo(1);
    assertThat(s.sweep(T0.plusSeconds(60))).isEmpty();
    assertThat(s.size()).isZero();
  }

  @Test
  void aFloodFromOneSlash64CannotEvictASourceOfAnotherSlash64() throws Exception {
    Ipv6Sources s = sources(1000);
    int[] ports = knock(2);
    for (int i = 0; i < 10; i++) {
      offer(s, CLIENT, ports[i]); // half a knock, then 20,000 random sources of one /64
    }
    SplittableRandom r = new SplittableRandom(3);
    long flood = 0x2001_0db8_0bad_0001L;
    for (int i = 0; i < 20_000; i++) {
      offer(s, v6(flood, r.nextLong()), settings.basePort() + r.nextInt(5120));
      assertThat(s.ids()).isLessThanOrEqualTo(Ipv6Sources.maxIds(1000));
    }
    assertThat(s.size()).isEqualTo(1 + Ipv6Sources.MAX_PER_PREFIX);
    assertThat(s.evictions()).isEqualTo(20_000 - Ipv6Sources.MAX_PER_PREFIX);
    DecodeResult last = null;
    for (int i = 10; i < 20; i++) {
      last = offer(s, CLIENT, ports[i]);
    }
    assertThat(last.isAccepted()).as("the knock's first half survived the flood").isTrue();
  }

  @Test
  void fewMaxSourcesBoundTheIdsBelowTheFirstTableSize() throws Exception {
    Ipv6Sources s = sources(20);
    SplittableRandom r = new SplittableRandom(6);
    for (int i = 0; i < 2_000; i++) {
      offer(s, v6(r.nextLong(), r.nextLong()), settings.basePort() + r.nextInt(5120));
      assertThat(s.ids()).isLessThanOrEqualTo(Ipv6Sources.maxIds(20));
    }
    assertThat(s.size()).isEqualTo(20);
  }

  @Test
  void manySlash64sAreBoundedByMaxSources() throws Exception {
    Ipv6Sources s = sources(500);
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < 5_000; i++) {
      offer(s, v6(r.nextLong(), r.nextLong()), settings.basePort() + r.nextInt(5120));
    }
    assertThat(s.size()).isEqualTo(500);
    assertThat(s.ids()).isLessThanOrEqualTo(Ipv6Sources.maxIds(500));
  }

  @Test
  void idsAreReusedAcrossPurgesAndKnocksStillDecodeFromTheRightAddress() throws Exception {
    Ipv6Sources s = sources(300);
    SplittableRandom r = new SplittableRandom(5);
    long[] nets = new long[200];
    for (int i = 0; i < nets.length; i++) {
      nets[i] = 0x2001_0db8_0000_0000L | r.nextInt() & 0xFFFF_FFFFL;
    }
    for (int round = 0; round < 6; round++) {
      byte[] knocker = v6(nets[round], 0x1000 + round);
      int[] ports = knock(10 + round);
      DecodeResult last = null;
      for (int i = 0; i < 20; i++) {
        last = offer(s, knocker, ports[i]);
        for (int j = 0; j < 40; j++) { // 800 junk sources per knock: several purges in each
          offer(s, v6(nets[r.nextInt(nets.length)], r.nextLong()),
              settings.basePort() + r.nextInt(5120));
          assertThat(s.ids()).isLessThanOrEqualTo(Ipv6Sources.maxIds(300));
          assertThat(s.size()).isLessThanOrEqualTo(300);
        }
      }
      assertThat(last.isAccepted()).as("round %d's knock: %s", round, last).isTrue();
      assertThat(last.knock().grant6()).isEqualTo(knocker);
    }
  }
}
