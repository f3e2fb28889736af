package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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
import org.knock.core.PortMapping;

/**
 * One address, as a script or users behind one NAT use it: random runs of whole knocks (in order
 * or shuffled), junk before them, knocks that lost a SYN, and pauses from 20 ms to past
 * SequenceTimeout, with fixed seeds. Every whole knock whose burst no junk interrupts must be
 * accepted, and by its own ports: the knock accepted while its ports arrive is that knock (each
 * asks for its own duration). The port cap, kept ports and the owed checks all come into play:
 * a knock every few hundred milliseconds puts over 512 ports in a 10 s window.
 */
class SourceTrackerFuzzTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  private static final int SRC = 0x0A630002;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(7));
  private final DecoderSettings d = DecoderSettings.defaults();

  @Test
  void everyWholeKnockFromABusyAddressOpensAsItself() throws Exception {
    run(d, d.mapping().rangeSize(), true);
  }

  @Test
  void everyWholeClassicKnockOpensAsItself() throws Exception {
    // Krzywinski's mapping: 256 ports, the bytes in the order of arrival
    run(new DecoderSettings(d.suite(), PortMapping.CLASSIC, d.basePort(), d.timeWindow(),
        d.maxCombinations()), PortMapping.CLASSIC.rangeSize(), false);
  }

  @Test
  void everyWholeKnockOpensAsItselfWhereBothLengthsAreDecoded() throws Exception {
    // IPv6 knock ranges of 9,216 ports: every port goes to a 20-byte and a 36-byte assembler
    run(new DecoderSettings(d.suite(), PortMapping.INDEXED, d.basePort(), d.timeWindow(),
        d.maxCombinations(), List.of(), true), PortMapping.INDEXED.rangeSize(36), true);
  }

  private void run(DecoderSettings settings, int range, boolean anyOrder) throws Exception {
    KnockEncoder encoder = new KnockEncoder(key, settings.suite(), settings.mapping(),
        settings.basePort());
    for (long seed = 1; seed <= 3; seed++) {
      Random rnd = new Random(seed);
      KnockDecoder decoder = new KnockDecoder(settings,
          List.of(new KnockUser("alice", key, false)), new InMemoryReplayCache());
      SourceTracker t = new SourceTracker(decoder, Duration.ofSeconds(10), 100, 512);
      List<SourceTracker.Ended> ended = new ArrayList<>();
      long now = T0.toEpochMilli() + seed * 3_600_000;
      int sport = 1024;
      int whole = 0;
      for (int op = 0; op < 250; op++) {
        int what = rnd.nextInt(100);
        now += what < 90 ? 20 + rnd.nextInt(400) : 2_000 + rnd.nextInt(10_000);
        if (what < 15) { // junk from the knocker's address, before a knock
          for (int j = rnd.nextInt(16); j >= 0; j--) {
            t.offer(SRC, sport, settings.basePort() + rnd.nextInt(range),
                Instant.ofEpochMilli(now), ended);
            sport = sport == 65535 ? 1024 : sport + 1;
          }
          continue;
        }
        int seconds = 1 + op; // the knock's own duration: which knock was accepted
        List<Integer> ports = new ArrayList<>();
        for (int p : encoder.encode(Command.parse("open 22 " + seconds + "s"), 0,
            Instant.ofEpochMilli(now), new SplittableRandom(seed * 1000 + op))) {
          ports.add(p);
        }
        if (anyOrder && rnd.nextInt(3) == 0) {
          Collections.shuffle(ports, rnd); // indexed: any order
        }
        boolean lost = what < 25; // a SYN lost on the way: this one need not open
        if (lost) {
          ports.remove(rnd.nextInt(ports.size()));
        }
        boolean own = false;
        for (int i = 0; i < ports.size(); i++) {
          DecodeResult r = t.offer(SRC, sport, ports.get(i), Instant.ofEpochMilli(now + i / 4),
              ended);
          sport = sport == 65535 ? 1024 : sport + 1;
          own |= r.isAccepted()
              && r.knock().payload().duration().equals(Duration.ofSeconds(seconds));
        }
        if (!lost) {
          whole++;
          assertThat(own).as("seed %d op %d: a whole knock, accepted as itself", seed, op)
              .isTrue();
        }
      }
      assertThat(whole).as("seed %d: whole knocks", seed).isGreaterThan(150);
    }
  }
}
