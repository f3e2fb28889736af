package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The classic (Krzywinski) mapping: in order, junk tolerated between real knocks. */
class ClassicDecoderTest {
  private final KnockKey key = Fixtures.key(5);
  private final DecoderSettings settings =
      Fixtures.settings(CipherSuite.BLOWFISH, PortMapping.CLASSIC);
  private final KnockUser alice = new KnockUser("alice", key, false);

  private int[] knock(long seed) throws KnockException {
    return new KnockEncoder(key, CipherSuite.BLOWFISH, PortMapping.CLASSIC, settings.basePort())
        .encode(Command.parse("open 22 30m"), 0, NOW, new SplittableRandom(seed));
  }

  @Test
  void inOrderDecodes() throws Exception {
    assertThat(Fixtures.offerAll(Fixtures.decoder(settings, alice).newSequence(CLIENT),
        knock(1), NOW).isAccepted()).isTrue();
  }

  @Test
  void junkBetweenRealKnocksStillDecodes() throws Exception {
    Random rnd = new Random(9);
    for (int junk = 1; junk <= 3; junk++) {
      for (int i = 0; i < 50; i++) {
        List<Integer> ports = Fixtures.list(knock(100 + i));
        for (int j = 0; j < junk; j++) {
          ports.add(rnd.nextInt(ports.size() + 1), settings.basePort() + rnd.nextInt(256));
        }
        DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, alice).newSequence(CLIENT),
            Fixtures.array(ports), NOW);
        assertThat(r.isAccepted()).as("junk=%d i=%d", junk, i).isTrue();
      }
    }
  }

  @Test
  void swappedOrderIsRejected() throws Exception {
    int[] ports = knock(2);
    int i = 0;
    while (ports[i] == ports[i + 1]) {
      i++;
    }
    int t = ports[i];
    ports[i] = ports[i + 1];
    ports[i + 1] = t;
    DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, alice).newSequence(CLIENT),
        ports, NOW);
    assertThat(r.isAccepted()).isFalse();
  }

  @Test
  void anyAmountOfJunkBeforeTheKnockIsIgnored() throws Exception {
    Random rnd = new Random(11);
    for (int junk : new int[] {1, 19, 64, 300}) {
      List<Integer> ports = new java.util.ArrayList<>();
      for (int j = 0; j < junk; j++) {
        ports.add(settings.basePort() + rnd.nextInt(256));
      }
      ports.addAll(Fixtures.list(knock(200 + junk)));
      DecodeResult r = Fixtures.offerAll(Fixtures.decoder(settings, alice).newSequence(CLIENT),
          Fixtures.array(ports), NOW);
      assertThat(r.isAccepted()).as("junk=%d", junk).isTrue();
    }
  }

  @Test
  void freshKnockAfterAPartialOneDecodes() throws Exception {
    KnockDecoder d = Fixtures.decoder(settings, alice);
    SequenceAssembler a = d.newSequence(CLIENT);
    int[] partial = knock(300);
    for (int i = 0; i < partial.length; i++) {
      if (i != 7) {
        assertThat(a.offer(partial[i], NOW).isAccepted()).isFalse();
      }
    }
    assertThat(Fixtures.offerAll(a, knock(301), NOW.plusMillis(500)).isAccepted()).isTrue();
  }

  /**
   * Offers an open (seed {@code openSeed}) without its last port, then a close whose port at
   * {@code sharedAt} carries that lost byte (searched from the seed after); returns the verbs of
   * the knocks accepted on the way.
   */
  private List<Verb> partialOpenThenClose(SequenceAssembler a, long openSeed, int sharedAt)
      throws Exception {
    int[] partial = knock(openSeed);
    for (int i = 0; i < 19; i++) {
      a.offer(partial[i], NOW);
    }
    KnockEncoder e =
        new KnockEncoder(key, CipherSuite.BLOWFISH, PortMapping.CLASSIC, settings.basePort());
    int[] close = null;
    for (long seed = openSeed + 10; seed < openSeed + 20_010 && close == null; seed++) {
      int[] c = e.encode(Command.parse("close 22"), 0, NOW, new SplittableRandom(seed));
      close = c[sharedAt] == partial[19] ? c : null;
    }
    assertThat(close).as("a close sharing the byte within 20000 seeds").isNotNull();
    List<Verb> verbs = new java.util.ArrayList<>();
    for (int p : close) {
      DecodeResult r = a.offer(p, NOW.plusMillis(300));
      if (r.isAccepted()) {
        verbs.add(r.knock().payload().verb());
      }
    }
    return verbs;
  }

  @Test
  void aCloseWhoseFirstPortCompletesAPartialOpenStillDecodes() throws Exception {
    // the open lost its last SYN; the close's first port carries that byte (1 in 256) and
    // completes the open, which must not take the port from the close (DecoderTest's case)
    SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
    List<Verb> verbs = partialOpenThenClose(a, 310, 0);
    assertThat(verbs).containsExactly(Verb.OPEN, Verb.CLOSE);
  }

  @Test
  void aCloseWhoseLastPortCarriesThePartialOpensLostByteIsNotUndoneByIt() throws Exception {
    // the open lost its last SYN; the close's last port carries that byte: the close decodes
    // and keeps that port, which must not then complete the old open (the owed check)
    SequenceAssembler a = Fixtures.decoder(settings, alice).newSequence(CLIENT);
    List<Verb> verbs = partialOpenThenClose(a, 330, 19);
    DecodeResult owed = a.retryPending(NOW.plusMillis(310), CheckAllowance.UNLIMITED);
    if (owed.isAccepted()) {
      verbs.add(owed.knock().payload().verb());
    }
    assertThat(verbs).containsExactly(Verb.CLOSE);
  }
}
