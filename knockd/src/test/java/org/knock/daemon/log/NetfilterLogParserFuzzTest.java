package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the LOG line parser with arbitrary lines. Every line is counted exactly once, the handler
 * sees a packet exactly when the line counts as one, the packet is well-formed, and the parser
 * never throws; an ASCII line read in place ({@link AsciiLine}) gives the same. Seeds (real lines of every format) are in
 * {@code NetfilterLogParserFuzzTestInputs/parseLine/}; a plain test run replays them,
 * {@code JAZZER_FUZZ=1} fuzzes (see docs/SECURITY.md).
 */
class NetfilterLogParserFuzzTest {
  @FuzzTest(maxDuration = "5m")
  void parseLine(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    // the seeds carry the prefix KNLOG:, which the first byte may switch to "any prefix"
    String prefix = input.length > 0 && (input[0] & 1) == 1 ? null : "KNLOG:";
    NetfilterLogParser parser = new NetfilterLogParser(prefix);
    List<LoggedPacket> seen = new ArrayList<>();
    NetfilterLogParser.Result r = parser.parse(text, seen::add);

    assertThat(parser.packets() + parser.skipped() + parser.unparsable()).isEqualTo(1);
    assertThat(seen).hasSize(r == NetfilterLogParser.Result.PACKET ? 1 : 0);
    if (r == NetfilterLogParser.Result.UNPARSABLE) {
      assertThat(parser.lastProblem()).isNotEmpty().doesNotContain("\n", "\r");
    }
    for (LoggedPacket p : seen) {
      if (prefix != null) {
        assertThat(p.prefix()).isEqualTo(prefix);
      }
      if (p.transport() == Transport.TCP || p.transport() == Transport.UDP) {
        assertThat(p.sourcePort()).isBetween(0, 65535);
        assertThat(p.destinationPort()).isBetween(0, 65535);
      }
      if (p.transport() != Transport.TCP) {
        assertThat(p.syn() || p.ack()).isFalse();
      }
      if (p.isIpv4()) {
        p.sourceV4();
      }
    }
    if (AsciiLine.isAscii(input, 0, input.length)) { // read in place, as the daemon reads lines
      NetfilterLogParser inPlace = new NetfilterLogParser(prefix);
      List<LoggedPacket> seenInPlace = new ArrayList<>();
      assertThat(inPlace.parse(new AsciiLine().set(input, 0, input.length), seenInPlace::add))
          .isEqualTo(r);
      assertThat(seenInPlace).isEqualTo(seen);
      assertThat(inPlace.lastProblem()).isEqualTo(parser.lastProblem());
    }
  }
}
