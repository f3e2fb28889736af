package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the command grammar: any text either parses to a command whose canonical form parses
 * back to the same command, or fails with a {@link KnockException} carrying one non-empty line.
 * Nothing else may escape. Seeds: {@code CommandFuzzTestInputs/parse/}.
 */
class CommandFuzzTest {
  @FuzzTest(maxDuration = "5m")
  void parse(byte[] input) throws KnockException {
    String text = new String(input, StandardCharsets.UTF_8);
    Command c;
    try {
      c = Command.parse(text);
    } catch (KnockException e) {
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n", "\r");
      return;
    }
    assertThat(Command.parse(c.toString())).isEqualTo(c);
    if ((c.verb() == Verb.OPEN || c.verb() == Verb.CLOSE) && c.action() != null) {
      assertThat(c.port()).as("open or close of a forward").isZero(); // [forward NAME]
    } else if (c.verb() == Verb.OPEN || c.verb() == Verb.CLOSE) {
      assertThat(c.port()).isBetween(1, 65535);
    }
    assertThat(Durations.isEncodable(c.duration())).isTrue();
  }
}
