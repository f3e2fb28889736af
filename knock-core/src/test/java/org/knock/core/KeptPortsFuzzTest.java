package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.lang.reflect.Field;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Kept ports (the newest port of a message whose tag verified, see {@link SequenceAssembler}):
 * random mixes of knocks, replays, lost SYNs, junk, repeated ports, a refusing allowance, the
 * sliding window (also up to the oldest kept port), the port cap and clear, with fixed seeds.
 * After every operation the counter {@code kept} of each indexed and classic assembler equals the
 * number of flagged values it holds, the sizes add up, and no knock is accepted twice.
 */
class KeptPortsFuzzTest {
  private static final int KEPT = 0x100;
  private static final int OPS = 1500;
  private final KnockKey key = Fixtures.key(42);
  private final KnockUser alice = new KnockUser("alice", key, false);

  @Test
  void indexedKeepsItsCountRight() throws Exception {
    run(new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        DecoderSettings.DEFAULT_TIME_WINDOW, 64), 1, 2, 3);
  }

  @Test
  void classicKeepsItsCountRight() throws Exception {
    run(new DecoderSettings(CipherSuite.TWOFISH, PortMapping.CLASSIC, 20000,
        DecoderSettings.DEFAULT_TIME_WINDOW, 64), 4, 5, 6);
  }

  @Test
  void bothLengthsKeepTheirCountsRight() throws Exception {
    run(new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        DecoderSettings.DEFAULT_TIME_WINDOW, 64, List.of(), true), 7, 8, 9);
  }

  private void run(DecoderSettings settings, long... seeds) throws Exception {
    // 36-byte knocks too where both lengths are decoded (refused for an IPv4 source: verified)
    List<int[]> pool = Fixtures.knockPool(key, settings, 12, settings.longMessages() ? 4 : 0, 900);
    int range = settings.longMessages() ? PortMapping.INDEXED.rangeSize(Sealer.LONG_MESSAGE_SIZE)
        : settings.mapping().rangeSize();
    for (long seed : seeds) {
      Random rnd = new Random(seed);
      KnockDecoder d = Fixtures.decoder(settings, alice);
      SequenceAssembler a = d.newSequence(CLIENT);
      List<Integer> recent = new ArrayList<>();
      Set<String> acceptedKnocks = new HashSet<>();
      int verified = 0;
      long t = NOW.toEpochMilli();
      for (int op = 0; op < OPS; op++) {
        t += rnd.nextInt(40);
        Instant now = Instant.ofEpochMilli(t);
        CheckAllowance allowance = () -> rnd.nextInt(10) != 0;
        int what = rnd.nextInt(100);
        DecodeResult r = DecodeResult.INCOMPLETE;
        String did;
        if (what < 50) { // a knock or a replay, maybe shuffled, maybe a SYN lost, maybe junk
          List<Integer> ports = Fixtures.list(pool.get(rnd.nextInt(pool.size())));
          if (settings.mapping() == PortMapping.INDEXED && rnd.nextBoolean()) {
            Collections.shuffle(ports, rnd);
          }
          if (rnd.nextInt(4) == 0) {
            ports.remove(rnd.nextInt(ports.size()));
          }
          if (rnd.nextInt(4) == 0) {
            ports.add(rnd.nextInt(ports.size() + 1), settings.basePort() + rnd.nextInt(range));
          }
          for (int i = 0; i < ports.size(); i++) {
            int p = ports.get(i);
            recent.add(p);
            r = a.offer(p, now, allowance);
            verified += count(r, acceptedKnocks, "seed " + seed + " op " + op + " port " + i);
            checkCounts(a, "seed " + seed + " op " + op + " (knock port " + i + ")");
          }
          continue;
        } else if (what < 70) {
          int p = settings.basePort() + rnd.nextInt(range);
          recent.add(p);
          r = a.offer(p, now, allowance);
          did = "junk " + p;
        } else if (what < 82 && !recent.isEmpty()) {
          int p = recent.get(recent.size() - 1 - rnd.nextInt(Math.min(30, recent.size())));
          r = a.offer(p, now, allowance);
          did = "repeat " + p;
        } else if (what < 90) {
          r = a.retryPending(now, allowance);
          did = "retryPending";
        } else if (what < 95) {
          long window = rnd.nextInt(1500);
          a.forgetBefore(t - window);
          did = "forgetBefore(now - " + window + ")";
        } else if (what < 97) {
          int n = 1 + rnd.nextInt(8);
          a.forgetOldest(n);
          did = "forgetOldest(" + n + ")";
        } else if (what < 99) {
          // the window reaches kept ports that outlived the rest of their sequence
          long kept = a.oldestKeptMillis();
          if (kept != Long.MAX_VALUE) {
            a.forgetBefore(kept + 1);
            assertThat(a.oldestKeptMillis()).as("seed %d op %d: after forgetBefore", seed, op)
                .isGreaterThan(kept);
          }
          did = "forgetBefore(oldestKept + 1)";
        } else {
          a.clear();
          did = "clear";
        }
        verified += count(r, acceptedKnocks, "seed " + seed + " op " + op + " " + did);
        checkCounts(a, "seed " + seed + " op " + op + " (" + did + ")");
      }
      assertThat(verified).as("seed %d: verified messages (knocks and replays)", seed)
          .isGreaterThan(20);
    }
  }

  /** 1 if the tag of a message verified; fails if a knock is accepted a second time. */
  private static int count(DecodeResult r, Set<String> acceptedKnocks, String when) {
    if (r.isAccepted()) {
      Payload p = r.knock().payload();
      assertThat(acceptedKnocks.add(p.nonce() + "@" + p.timestamp()))
          .as("%s: accepted twice", when).isTrue();
    }
    return r.isAccepted() || r.status() == DecodeResult.Status.REJECTED
        && r.rejection().ordinal() >= Rejection.MALFORMED.ordinal() ? 1 : 0;
  }

  /** Checks {@code kept} and the size of {@code a}, or of both sides of a two-length one. */
  static void checkCounts(SequenceAssembler a, String when) throws Exception {
    if (a instanceof TwoLengthAssembler) {
      checkCounts((SequenceAssembler) field(a, "short20"), when + " short20");
      checkCounts((SequenceAssembler) field(a, "long36"), when + " long36");
      return;
    }
    int flagged = 0;
    int held = 0;
    if (a instanceof IndexedAssembler) {
      long[] entries = (long[]) field(a, "entries");
      held = a.size();
      Set<Integer> cells = new HashSet<>();
      for (int i = 0; i < held; i++) {
        assertThat(cells.add((int) entries[i] & 0xFFFF)).as("%s: a byte held twice", when)
            .isTrue();
        assertThat((int) (entries[i] >>> 8) & 0xFF).as(when).isLessThan(a.length);
        flagged += (entries[i] & 1L << 16) != 0 ? 1 : 0;
      }
    } else {
      int[] values = (int[]) field(a, "values");
      held = a.size();
      for (int i = 0; i < held; i++) {
        assertThat(values[i] & ~(KEPT | 0xFF)).as(when).isZero();
        flagged += (values[i] & KEPT) != 0 ? 1 : 0;
      }
    }
    assertThat(a.size()).as("%s: size", when).isEqualTo(held);
    assertThat(a.kept).as("%s: kept counter", when).isEqualTo(flagged);
    assertThat(a.onlyKept()).as("%s: onlyKept", when).isEqualTo(held == flagged);
  }

  private static Object field(Object o, String name) throws Exception {
    Field f = o.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(o);
  }
}
