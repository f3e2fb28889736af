package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The parser at the edges of each field: a field with nothing after its '=', the largest and
 * smallest numbers, a line that ends where a field should start. Each line is a real kernel or
 * ipchains line with one thing changed, and each outcome names the problem, so a check that
 * moved by one shows. Written for the mutants PIT found alive (docs/TESTING.md).
 */
class ParserEdgesTest {
  private static final String TCP = "KNLOG: IN=vs OUT= MAC=06:94 SRC=10.201.7.2 DST=10.201.7.1 "
      + "LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=48254 DF PROTO=TCP SPT=39776 DPT=1077 "
      + "WINDOW=64240 RES=0x00 SYN URGP=0";
  private static final String CHAINS = "Packet log: input DENY eth0 PROTO=6 10.0.0.2:1043 "
      + "10.0.0.1:747 L=60 S=0x00 I=12345 F=0x4000 T=64 SYN (#5)";

  private final List<LoggedPacket> seen = new ArrayList<>();

  private String outcome(String line) {
    NetfilterLogParser p = new NetfilterLogParser(null);
    NetfilterLogParser.Result r = p.parse(line, seen::add);
    return r == NetfilterLogParser.Result.UNPARSABLE ? p.lastProblem() : r.name();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "SRC=10.201.7.2 | SRC=         | SRC= or DST= is not an IP address literal",
      "DST=10.201.7.1 | DST=         | SRC= or DST= is not an IP address literal",
      "SPT=39776      | SPT=         | source port not a number in 1..65535",
      "DPT=1077       | DPT=         | destination port not a number in 1..65535",
      "DPT=1077       | DPT=65535    | PACKET",
      "DPT=1077       | DPT=65536    | destination port not a number in 1..65535",
      "DPT=1077       | DPT=01077    | PACKET",
      "DPT=1077       | DPT=001077   | destination port not a number in 1..65535",
      "DPT=1077       | DPT=10x7     | destination port not a number in 1..65535",
      "DPT=1077       | DPT=0        | destination port not a number in 1..65535",
      "PROTO=TCP      | PROTO=       | PACKET",
      "PROTO=TCP      | PROTO=TCPX   | PACKET",
      "URGP=0         | URG          | truncated after the ports",
      // only ASCII digits: Character.digit took a fullwidth 2 for 2 (2::1), bytes do not
      "SRC=10.201.7.2 | SRC=fd10::\uFF12 | SRC= or DST= is not an IP address literal",
      "SRC=10.201.7.2 | SRC=fd10::2  | PACKET",
      "SRC=10.201.7.2 | SRC=\u0661.2.3.4 | SRC= or DST= is not an IP address literal",
  })
  void netfilterFields(String from, String to, String expected) {
    assertThat(outcome(TCP.replace(from, to))).isEqualTo(expected);
  }

  @Test
  void aRangeOutsideTheBufferIsTheCallersBugNotBadInput() {
    NetfilterLogParser p = new NetfilterLogParser(null);
    byte[] b = TCP.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> p.parse(b, 5, 4, seen::add))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> p.parse(b, 0, b.length + 1, seen::add))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(p.parse(b, 0, b.length, seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
  }

  @Test
  void aFieldWithNothingAfterItsEqualsSignIsStillThatField() {
    assertThat(outcome(TCP.replace("PROTO=TCP", "PROTO="))).isEqualTo("PACKET");
    assertThat(seen.get(0).transport()).isEqualTo(Transport.OTHER);
    assertThat(seen.get(0).destinationPort()).isEqualTo(1077); // OTHER keeps what it found
    assertThat(outcome(TCP.replace("DPT=1077", "DPT=65535"))).isEqualTo("PACKET");
    assertThat(seen.get(1).destinationPort()).isEqualTo(65535);
  }

  @Test
  void aBareKernelLineWithoutAnyPrefix() {
    String bare = TCP.substring("KNLOG: ".length());
    assertThat(outcome("   " + bare)).isEqualTo("PACKET");
    assertThat(seen.get(0).prefix()).isEmpty();
    NetfilterLogParser empty = new NetfilterLogParser("");
    assertThat(empty.parse("  " + bare, seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
    assertThat(outcome("  KNLOG:   " + bare)).isEqualTo("PACKET");
    assertThat(seen.get(2).prefix()).isEqualTo("KNLOG:");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "RC=1",
      "PT=1",
      "N=1 OUT=",
  })
  void linesStartingWithAFieldsTailAreSkipped(String line) {
    assertThat(outcome(line)).isEqualTo("SKIPPED");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "Packet log: input DENY eth0                                  | ipchains line truncated",
      "Packet log: input DENY eth0 L=60 (#5)                        | ipchains line without PROTO=",
      "Packet log: input DENY eth0 PROTO=6 10.0.0.2: 10.0.0.1 T=64 (#5) "
          + "| ipchains addresses not host:port",
      "Packet log: input DENY eth0 PROTO=6 10.0.0.2 10.0.0.1 T=64 (#5) "
          + "| ipchains addresses not host:port",
      "Packet log: input DENY eth0 PROTO=6 :1043 10.0.0.1:747 T=64 (#5) "
          + "| ipchains address is not an IPv4 literal",
      "Packet log: input DENY eth0 PROTO=6 10.0.0.2:1043 10.0.0.1:747 "
          + "| ipchains line truncated (no rule number)",
      "Packet log: input DENY eth0 PROTO=6 10.0.0.2:1043 10.0.0.1:747 T=64 (# "
          + "| ipchains line truncated (no rule number)",
      "Packet log: input DENY eth0 PROTO=0 10.0.0.2:0 10.0.0.1:0 T=64 (#5) | PACKET",
      "Packet log: input DENY eth0 PROTO=1 10.0.0.2:8 10.0.0.1:0 T=64 (#5) | PACKET",
      "Packet log: input DENY eth0 PROTO=1 10.0.0.2: 10.0.0.1:0 T=64 (#5) "
          + "| ipchains port not a number in 1..65535",
      "Packet log: input DENY eth0 PROTO=1 10.0.0.2:x 10.0.0.1:0 T=64 (#5) "
          + "| ipchains port not a number in 1..65535",
      "Packet log: input DENY eth0 PROTO=1 10.0.0.2:000008 10.0.0.1:0 T=64 (#5) "
          + "| ipchains port not a number in 1..65535",
      "Packet log: input DENY eth0 PROTO=17 10.0.0.2:53 10.0.0.1:65535 T=64 (#5) | PACKET",
  })
  void ipchainsFields(String line, String expected) {
    assertThat(outcome(line)).isEqualTo(expected);
  }

  @Test
  void ipchainsIcmpKeepsNoPorts() {
    assertThat(outcome(CHAINS.replace("PROTO=6", "PROTO=1").replace(":1043", ":0")))
        .isEqualTo("PACKET");
    assertThat(seen.get(0).transport()).isEqualTo(Transport.OTHER);
    assertThat(seen.get(0).sourcePort()).isEqualTo(-1);
    assertThat(seen.get(0).syn()).isFalse();
  }

  @Test
  void anIpchainsLineIsSkippedUnlessItsChainAndTargetAreThePrefix() {
    NetfilterLogParser p = new NetfilterLogParser("input KNOCK");
    assertThat(p.parse(CHAINS, seen::add)).isEqualTo(NetfilterLogParser.Result.SKIPPED);
    assertThat(p.skipped()).isEqualTo(1);
    assertThat(seen).isEmpty();
    assertThat(p.parse(CHAINS.replace(" DENY ", " KNOCK "), seen::add))
        .isEqualTo(NetfilterLogParser.Result.PACKET);
    assertThat(seen).singleElement().satisfies(x -> assertThat(x.destinationPort()).isEqualTo(747));
  }
}
