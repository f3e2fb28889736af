package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The packed {@link IndexedAssembler} against the per-position one it replaced
 * ({@link ReferenceIndexedAssembler}): the same random operations (knocks shuffled, with a lost
 * SYN or junk, replays, junk, repeats, owed checks, the sliding window, the port cap, kept ports,
 * clear) offered to both, each with its own decoder and an allowance that answers both alike as
 * long as they ask in the same order. After every operation both give the same result (status,
 * refusal, checks spent, knock) and hold the same number of ports, kept ports, combinations
 * tried and owed checks. The budgets are small, so a check made in another order shows.
 */
class IndexedAssemblerEquivalenceTest {
  private static final int OPS = 2500;
  private final KnockKey key = Fixtures.key(42);
  private final KnockUser alice = new KnockUser("alice", key, false);

  @Test
  void shortMessagesDecodeAsBefore() throws Exception {
    run(settings(false, 64), Sealer.MESSAGE_SIZE, 11, 12, 13, 14);
  }

  @Test
  void shortMessagesWithATightBudgetDecodeAsBefore() throws Exception {
    run(settings(false, 6), Sealer.MESSAGE_SIZE, 21, 22, 23);
  }

  @Test
  void longMessagesDecodeAsBefore() throws Exception {
    run(settings(true, 64), Sealer.LONG_MESSAGE_SIZE, 31, 32, 33);
  }

  private static DecoderSettings settings(boolean longMessages, int maxCombinations) {
    return new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        DecoderSettings.DEFAULT_TIME_WINDOW, maxCombinations, List.of(), longMessages);
  }

  private void run(DecoderSettings settings, int length, long... seeds) throws Exception {
    List<int[]> pool = Fixtures.knockPool(key, settings, 12,
        length == Sealer.LONG_MESSAGE_SIZE ? 6 : 0, 700); // 36 bytes: verified, then refused
    int range = PortMapping.INDEXED.rangeSize(length);
    for (long seed : seeds) {
      Random rnd = new Random(seed);
      Random allowNew = new Random(seed * 31);
      Random allowRef = new Random(seed * 31);
      IndexedAssembler packed = new IndexedAssembler(Fixtures.decoder(settings, alice), CLIENT, 0,
          null, null, length);
      ReferenceIndexedAssembler ref = new ReferenceIndexedAssembler(
          Fixtures.decoder(settings, alice), CLIENT, 0, null, null, length);
      CheckAllowance allowanceNew = () -> allowNew.nextInt(8) != 0;
      CheckAllowance allowanceRef = () -> allowRef.nextInt(8) != 0;
      List<Integer> recent = new ArrayList<>();
      int accepted = 0;
      int searched = 0;
      long t = NOW.toEpochMilli();
      for (int op = 0; op < OPS; op++) {
        t += rnd.nextInt(rnd.nextInt(10) == 0 ? 400 : 30);
        Instant now = Instant.ofEpochMilli(t);
        String when = "seed " + seed + " op " + op;
        int what = rnd.nextInt(100);
        if (what < 40) {
          List<Integer> ports = Fixtures.list(pool.get(rnd.nextInt(pool.size())));
          if (rnd.nextBoolean()) {
            Collections.shuffle(ports, rnd);
          }
          if (rnd.nextInt(4) == 0) {
            ports.remove(rnd.nextInt(ports.size()));
          }
          for (int j = rnd.nextInt(3); j > 0; j--) {
            ports.add(rnd.nextInt(ports.size() + 1), settings.basePort() + rnd.nextInt(range));
          }
          for (int i = 0; i < ports.size(); i++) {
            int p = ports.get(i);
            recent.add(p);
            DecodeResult r = same(packed.offer(p, now, allowanceNew),
                ref.offer(p, now, allowanceRef), when + " knock port " + i);
            accepted += r.isAccepted() ? 1 : 0;
            searched += r.combinations() > 1 ? 1 : 0;
            same(packed, ref, when + " knock port " + i);
          }
          continue;
        }
        String did;
        if (what < 65) {
          int p = settings.basePort() + rnd.nextInt(range);
          recent.add(p);
          same(packed.offer(p, now, allowanceNew), ref.offer(p, now, allowanceRef), when);
          did = "junk " + p;
        } else if (what < 77 && !recent.isEmpty()) {
          int p = recent.get(recent.size() - 1 - rnd.nextInt(Math.min(30, recent.size())));
          same(packed.offer(p, now, allowanceNew), ref.offer(p, now, allowanceRef), when);
          did = "repeat " + p;
        } else if (what < 85) {
          same(packed.retryPending(now, allowanceNew), ref.retryPending(now, allowanceRef), when);
          did = "retryPending";
        } else if (what < 89 && !recent.isEmpty()) {
          int p = recent.get(recent.size() - 1 - rnd.nextInt(Math.min(30, recent.size())));
          packed.keep(p, now);
          ref.keep(p, now);
          did = "keep " + p;
        } else if (what < 94) {
          long window = rnd.nextInt(1500);
          packed.forgetBefore(t - window);
          ref.forgetBefore(t - window);
          did = "forgetBefore(now - " + window + ")";
        } else if (what < 97) {
          int n = 1 + rnd.nextInt(8);
          packed.forgetOldest(n);
          ref.forgetOldest(n);
          did = "forgetOldest(" + n + ")";
        } else if (what < 99) {
          assertThat(packed.oldestKeptMillis()).as(when + " oldestKeptMillis")
              .isEqualTo(ref.oldestKeptMillis());
          did = "oldestKeptMillis";
        } else {
          packed.clear();
          ref.clear();
          did = "clear";
        }
        same(packed, ref, when + " " + did);
      }
      assertThat(length == Sealer.MESSAGE_SIZE ? accepted : ref.verified)
          .as("seed %d: knocks accepted (36 bytes from an IPv4 source: verified)", seed)
          .isGreaterThan(10);
      assertThat(searched).as("seed %d: offers that ran the depth search", seed)
          .isGreaterThan(10);
    }
  }

  private static DecodeResult same(DecodeResult packed, DecodeResult ref, String when) {
    assertThat(packed.status()).as("%s: status", when).isEqualTo(ref.status());
    assertThat(packed.rejection()).as("%s: refusal", when).isEqualTo(ref.rejection());
    assertThat(packed.combinations()).as("%s: checks", when).isEqualTo(ref.combinations());
    if (ref.isAccepted()) {
      assertThat(packed.knock().payload()).as("%s: knock", when)
          .isEqualTo(ref.knock().payload());
    }
    return ref;
  }

  private static void same(IndexedAssembler packed, ReferenceIndexedAssembler ref, String when) {
    assertThat(packed.size()).as("%s: size", when).isEqualTo(ref.size());
    assertThat(packed.kept).as("%s: kept", when).isEqualTo(ref.kept);
    assertThat(packed.onlyKept()).as("%s: onlyKept", when).isEqualTo(ref.onlyKept());
    assertThat(packed.hasPending()).as("%s: pending", when).isEqualTo(ref.hasPending());
    assertThat(packed.combinationsTried()).as("%s: tried", when)
        .isEqualTo(ref.combinationsTried());
    assertThat(packed.verified).as("%s: verified", when).isEqualTo(ref.verified);
  }
}
