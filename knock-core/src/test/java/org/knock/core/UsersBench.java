package org.knock.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Benchmark, not a test: the daemon-side cost of one completed indexed knock (20 ports offered to a
 * fresh sequence) with 1, 100 and 10,000 configured users, the knocking user last in the list (every
 * other key is tried first), and of a 20-port sequence no key accepts. Prints median and p95 per
 * completed sequence after a warm-up, and the first (cold) one. Run by {@code bench/users.sh}.
 */
public final class UsersBench {
  private UsersBench() {}

  public static void main(String[] args) throws KnockException {
    int[] counts = args.length > 0
        ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray() : new int[] {1, 100, 10_000};
    SplittableRandom random = new SplittableRandom(42);
    DecoderSettings settings = DecoderSettings.defaults();
    Command open = Command.parse("open 22 30m");
    Instant now = Instant.parse("2026-11-22T08:00:00Z");
    int source = 0x0ACF0002;
    System.out.printf("%-7s %-9s %10s %10s %10s %6s%n", "users", "sequence", "first_ms",
        "median_ms", "p95_ms", "runs");
    for (int n : counts) {
      List<KnockUser> users = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        users.add(new KnockUser("u" + i, KnockKey.generate(random), false));
      }
      KnockKey last = users.get(n - 1).key();
      KnockDecoder decoder = new KnockDecoder(settings, users, new InMemoryReplayCache());
      KnockEncoder enc = new KnockEncoder(last, settings.suite(), settings.mapping(),
          settings.basePort());
      int runs = Math.max(50, Math.min(2000, 2_000_000 / n));
      for (String kind : List.of("accepted", "no-key")) {
        double[] ms = new double[runs];
        double first = 0;
        for (int r = -runs / 2; r < runs; r++) { // the first half-round warms the JIT up
          int[] ports = kind.equals("accepted") ? enc.encode(open, 0, now, random)
              : randomPorts(random, settings);
          SequenceAssembler seq = decoder.newSequence(source);
          long t0 = System.nanoTime();
          DecodeResult res = null;
          for (int p : ports) {
            res = seq.offer(p, now);
          }
          long t = System.nanoTime() - t0;
          if (res.isAccepted() != kind.equals("accepted")) {
            throw new IllegalStateException(kind + ": unexpected " + res.status());
          }
          if (r == -runs / 2) {
            first = t / 1e6;
          }
          if (r >= 0) {
            ms[r] = t / 1e6;
          }
        }
        Arrays.sort(ms);
        System.out.printf("%-7d %-9s %10.3f %10.3f %10.3f %6d%n", n, kind, first,
            ms[runs / 2], ms[(int) Math.ceil(runs * 0.95) - 1], runs);
      }
    }
  }

  private static int[] randomPorts(SplittableRandom r, DecoderSettings s) {
    int[] p = new int[20];
    for (int i = 0; i < 20; i++) {
      p[i] = s.basePort() + 256 * i + r.nextInt(256);
    }
    return p;
  }
}
