package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the LOG line parser with arbitrary lines. Every line is counted exactly once, the handler
 * sees a packet exactly when the line counts as one, the packet is well-formed, and the parser
 * never throws; the line's bytes read in place, amid other bytes, give the same. Seeds (real lines of every format) are in
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
    // read in place, as the daemon reads lines: the same bytes (valid UTF-8), amid bytes that
    // would make a packet of a line that read past its ends
    if (java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), input)) {
      byte[] before = "KNLOG: IN=eth0 OUT= SRC=10.9.9.9 ".getBytes(StandardCharsets.US_ASCII);
      byte[] after =
          " DST=10.0.0.1 PROTO=TCP SPT=1 DPT=2 SYN URGP=0".getBytes(StandardCharsets.US_ASCII);
      byte[] buf = new byte[before.length + input.length + after.length];
      System.arraycopy(before, 0, buf, 0, before.length);
      System.arraycopy(input, 0, buf, before.length, input.length);
      System.arraycopy(after, 0, buf, before.length + input.length, after.length);
      NetfilterLogParser inPlace = new NetfilterLogParser(prefix);
      List<LoggedPacket> seenInPlace = new ArrayList<>();
      assertThat(inPlace.parse(buf, before.length, before.length + input.length,
          seenInPlace::add)).isEqualTo(r);
      assertThat(seenInPlace).isEqualTo(seen);
      assertThat(inPlace.lastProblem()).isEqualTo(parser.lastProblem());
    }
  }
}
