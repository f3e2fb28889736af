package org.knock.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Keys, clocks and helpers shared by the core tests. */
final class Fixtures {
  static final Instant NOW = Instant.parse("2026-11-22T08:00:00Z");
  static final int CLIENT = ip(10, 99, 0, 2);
  static final int OTHER = ip(10, 99, 0, 77);

  private Fixtures() {}

  static int ip(int a, int b, int c, int d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
  }

  /** The 16 bytes of an IPv6 literal (parsed, never looked up). */
  static byte[] v6(String literal) {
    try {
      return java.net.InetAddress.getByName(literal).getAddress();
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  static KnockKey key(long seed) {
    return KnockKey.generate(new SplittableRandom(seed));
  }

  static DecoderSettings settings(CipherSuite suite, PortMapping mapping) {
    return new DecoderSettings(suite, mapping, DecoderSettings.DEFAULT_BASE_PORT,
        DecoderSettings.DEFAULT_TIME_WINDOW, DecoderSettings.DEFAULT_MAX_COMBINATIONS);
  }

  static KnockDecoder decoder(DecoderSettings s, KnockUser... users) {
    return new KnockDecoder(s, List.of(users), new InMemoryReplayCache());
  }

  /** Offers the ports in order; returns the first non-incomplete result of the last offers. */
  static DecodeResult offerAll(SequenceAssembler a, int[] ports, Instant now) {
    DecodeResult last = DecodeResult.INCOMPLETE;
    for (int p : ports) {
      DecodeResult r = a.offer(p, now);
      if (r.isAccepted()) {
        return r;
      }
      if (r.status() != DecodeResult.Status.INCOMPLETE) {
        last = r;
      }
    }
    return last;
  }

  /**
   * Knocks for the fuzzers: {@code shorts} 20-byte ones, open and close in turn, then
   * {@code longs} 36-byte ones (address mode 2, bound to 0.0.0.0: refused for an IPv4 source
   * after their tag verified), each encoded at {@link #NOW} with its own seed from {@code seed}.
   */
  static List<int[]> knockPool(KnockKey key, DecoderSettings settings, int shorts, int longs,
      long seed) throws KnockException {
    KnockEncoder encoder =
        new KnockEncoder(key, CipherSuite.TWOFISH, settings.mapping(), settings.basePort());
    List<int[]> pool = new ArrayList<>();
    for (int i = 0; i < shorts; i++) {
      pool.add(encoder.encode(Command.parse(i % 2 == 0 ? "open 22 30m" : "close 22"), 0, NOW,
          new SplittableRandom(seed + i)));
    }
    KnockEncoder long36 = new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED,
        settings.basePort(), ServerBinding.ipv4(0));
    for (int i = 0; i < longs; i++) {
      pool.add(long36.encode6(Command.parse("open 22 30m"), v6("fd00:15::2"), NOW,
          new SplittableRandom(seed + 50 + i)));
    }
    return pool;
  }

  static List<Integer> list(int[] ports) {
    List<Integer> l = new ArrayList<>();
    for (int p : ports) {
      l.add(p);
    }
    return l;
  }

  static int[] array(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
