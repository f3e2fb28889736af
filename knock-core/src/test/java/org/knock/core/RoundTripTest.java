package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every command × cipher × mapping: encode to ports, decode back to the same command. */
class RoundTripTest {
  static Stream<Arguments> cases() throws KnockException {
    List<Arguments> all = new ArrayList<>();
    String[] commands = {"open 22 30m", "open 53/udp 5m", "open 873", "close 22", "close 53/udp",
        "deny-further 1h", "deny-further", "run backup"};
    for (CipherSuite s : CipherSuite.values()) {
      for (PortMapping m : PortMapping.values()) {
        for (String c : commands) {
          all.add(Arguments.of(s, m, Command.parse(c)));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void decodesToTheSameCommand(CipherSuite suite, PortMapping mapping, Command command) {
    KnockKey key = Fixtures.key(1);
    DecoderSettings s = Fixtures.settings(suite, mapping);
    KnockEncoder enc = new KnockEncoder(key, suite, mapping, s.basePort());
    int[] ports = enc.encode(command, 0, NOW, new SplittableRandom(7));

    assertThat(ports).hasSize(20);
    for (int p : ports) {
      assertThat(mapping.inRange(p, s.basePort())).isTrue();
    }
    KnockDecoder dec = Fixtures.decoder(s, new KnockUser("alice", key, false));
    DecodeResult r = Fixtures.offerAll(dec.newSequence(CLIENT), ports, NOW);

    assertThat(r.status()).isEqualTo(DecodeResult.Status.ACCEPTED);
    Knock k = r.knock();
    assertThat(k.user()).isEqualTo("alice");
    assertThat(k.grant()).isEqualTo(CLIENT);
    Payload p = k.payload();
    assertThat(p.verb()).isEqualTo(command.verb());
    assertThat(p.protocol()).isEqualTo(command.protocol());
    assertThat(p.duration()).isEqualTo(command.duration());
    assertThat(p.timestamp()).isEqualTo(NOW.getEpochSecond());
    if (command.verb() == Verb.RUN) {
      assertThat(p.port()).isEqualTo(Payload.actionId(command.action()));
    } else {
      assertThat(p.port()).isEqualTo(command.port());
    }
  }
}
