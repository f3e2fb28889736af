package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 12: a LOG line holding a value no packet can have — {@code DPT=0} (any LOG rule with our
 * prefix can log one), ports above 65535, absurd numbers, addresses that are no IP literal — is
 * counted as unparsable and skipped, never handed on, in every log format the parser reads. The
 * lines are the samples' own packet lines with one value replaced.
 */
class OutOfRangeValuesTest {
  private static final Pattern DPT = Pattern.compile("DPT=\\d+");
  /** ipchains: "PROTO=6 10.201.7.2:44340 10.201.7.1:1077": the destination's port. */
  private static final Pattern IPCHAINS_DST =
      Pattern.compile("(PROTO=(?:6|17) \\S+:\\d+ [0-9.]+:)\\d+");

  private final List<LoggedPacket> seen = new ArrayList<>();

  /** The sample's packet lines (journal JSON: their MESSAGE) whose destination port is edited. */
  private static List<String> withDestinationPort(String sample, String port) {
    List<String> out = new ArrayList<>();
    for (String line : Samples.lines(sample)) {
      String l = sample.equals("journalctl-json.txt")
          ? JournalJson.field(line, "MESSAGE") : line;
      Matcher m = (sample.startsWith("ipchains") ? IPCHAINS_DST : DPT).matcher(l);
      if (m.find()) {
        out.add(sample.startsWith("ipchains")
            ? m.replaceFirst("$1" + port) : m.replaceFirst("DPT=" + port));
      }
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"kmsg.txt", "dmesg.txt", "dmesg-notime.txt", "dmesg-T.txt", "kern.log",
      "syslog-rfc5424.log", "syslog-rfc3339.log", "journalctl-short.txt",
      "journalctl-short-iso.txt", "journalctl-short-precise.txt", "journalctl-cat.txt",
      "journalctl-json.txt", "ulogd-logemu.log", "ipchains-kern.log"})
  void destinationPortZeroIsUnparsableAndCountedInEveryFormat(String sample) {
    for (String port : List.of("0", "00000", "65536", "99999", "99999999999", "-1")) {
      List<String> lines = withDestinationPort(sample, port);
      assertThat(lines).as(sample).hasSizeGreaterThanOrEqualTo(10);
      NetfilterLogParser parser = new NetfilterLogParser(null);
      for (String l : lines) {
        assertThat(parser.parse(l, seen::add)).as(l).isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
      }
      assertThat(parser.unparsable()).isEqualTo(lines.size());
      assertThat(parser.lastProblem()).contains("1..65535");
      assertThat(seen).as("DPT=%s in %s", port, sample).isEmpty();
    }
  }

  @Test
  void theSameLinesWithTheirOwnPortsParse() {
    NetfilterLogParser parser = new NetfilterLogParser(null);
    for (String l : withDestinationPort("kern.log", "1")) {
      assertThat(parser.parse(l, seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
    }
    assertThat(seen).extracting(LoggedPacket::destinationPort).containsOnly(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=TCP SPT=0 DPT=22 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=UDP SPT=1 DPT=0 LEN=8",
      "KNLOG: IN=vs OUT= SRC=999.1.1.1 DST=10.201.7.1 PROTO=TCP SPT=1 DPT=22 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=1.2.3.4.5 DST=10.201.7.1 PROTO=TCP SPT=1 DPT=22 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=0x0a.1.1.1 PROTO=TCP SPT=1 DPT=22 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC= DST=10.201.7.1 PROTO=TCP SPT=1 DPT=22 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=TCP SPT=1 DPT=4294967318 SYN URGP=0",
      "Packet log: input DENY eth0 PROTO=6 10.0.0.2:0 10.0.0.1:747 L=60 T=64 SYN (#5)",
      "Packet log: input DENY eth0 PROTO=17 10.0.0.2:53 10.0.0.1:0 L=60 T=64 (#5)",
  })
  void otherImpossibleValuesAreUnparsable(String line) {
    NetfilterLogParser parser = new NetfilterLogParser(line.startsWith("Packet") ? null : "KNLOG:");
    assertThat(parser.parse(line, seen::add)).isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
    assertThat(parser.unparsable()).isEqualTo(1);
    assertThat(seen).isEmpty();
  }
}
