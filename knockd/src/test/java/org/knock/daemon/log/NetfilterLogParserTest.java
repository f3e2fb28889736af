package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetfilterLogParserTest {
  private static final String KERNEL_LINE = "KNLOG: IN=vs OUT= MAC=06:94:a8:e9:b0:e4:fa:bd:63:db:4c:d5"
      + ":08:00 SRC=10.201.7.2 DST=10.201.7.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=48254 DF "
      + "PROTO=TCP SPT=39776 DPT=1077 WINDOW=64240 RES=0x00 SYN URGP=0 ";

  private final List<LoggedPacket> seen = new ArrayList<>();

  private NetfilterLogParser parseAll(String sample, String prefix) {
    NetfilterLogParser parser = new NetfilterLogParser(prefix);
    for (String line : Samples.lines(sample)) {
      parser.parse(line, seen::add);
    }
    return parser;
  }

  /** The packets of the raw /dev/kmsg capture: every other kernel-format sample must match. */
  private static List<LoggedPacket> kmsgPackets() {
    List<LoggedPacket> all = new ArrayList<>();
    NetfilterLogParser parser = new NetfilterLogParser(null);
    Samples.lines("kmsg.txt").forEach(l -> parser.parse(l, all::add));
    return all;
  }

  @Test
  void kmsgRecordsGiveEveryCapturedPacket() throws Exception {
    NetfilterLogParser parser = parseAll("kmsg.txt", null);
    assertThat(parser.packets()).isEqualTo(16);
    assertThat(parser.skipped()).isEqualTo(4);
    assertThat(parser.unparsable()).isZero();
    LoggedPacket first = seen.get(0);
    assertThat(first.prefix()).isEqualTo("KNLOG:");
    assertThat(first.source()).isEqualTo(InetAddress.getByName("10.201.7.2"));
    assertThat(first.destination()).isEqualTo(InetAddress.getByName("10.201.7.1"));
    assertThat(first.transport()).isEqualTo(Transport.TCP);
    assertThat(first.sourcePort()).isEqualTo(44340);
    assertThat(first.destinationPort()).isEqualTo(1077);
    assertThat(first.isInitialSyn()).isTrue();
    assertThat(first.isIpv4()).isTrue();
    assertThat(first.sourceV4()).isEqualTo(0x0AC90702);
    assertThat(seen).extracting(LoggedPacket::transport).containsOnly(Transport.TCP,
        Transport.UDP, Transport.OTHER);
    assertThat(seen).extracting(LoggedPacket::prefix)
        .containsOnly("KNLOG:", "KNLOG-SEQ:", "KNLOG-IPT:");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dmesg.txt", "dmesg-notime.txt", "dmesg-T.txt", "kern.log",
      "syslog-rfc5424.log", "syslog-rfc3339.log", "journalctl-short.txt",
      "journalctl-short-iso.txt", "journalctl-short-precise.txt", "journalctl-cat.txt"})
  void everyKernelFormatGivesTheSamePackets(String sample) {
    NetfilterLogParser parser = parseAll(sample, null);
    assertThat(seen).containsExactlyElementsOf(kmsgPackets());
    assertThat(parser.skipped()).isEqualTo(4);
    assertThat(parser.unparsable()).isZero();
  }

  @Test
  void ulogdLogemuFileGivesTheNflogPackets() {
    NetfilterLogParser parser = parseAll("ulogd-logemu.log", null);
    // ulogd saw the NFLOG copies, i.e. all but the iptables LOG rule's packet
    List<LoggedPacket> expected = new ArrayList<>(kmsgPackets());
    expected.removeIf(p -> p.prefix().equals("KNLOG-IPT:"));
    assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(parser.unparsable()).isZero();
  }

  @Test
  void ipchainsLinesOfTheOldDaysParse() throws Exception {
    NetfilterLogParser parser = parseAll("ipchains-kern.log", "input DENY");
    assertThat(parser.packets()).isEqualTo(13);
    assertThat(parser.skipped()).isEqualTo(4);
    assertThat(parser.unparsable()).isZero();
    LoggedPacket first = seen.get(0);
    assertThat(first).isEqualTo(new LoggedPacket("input DENY",
        InetAddress.getByName("10.201.7.2"), InetAddress.getByName("10.201.7.1"), Transport.TCP,
        44340, 1077, true, false));
    assertThat(seen).filteredOn(p -> p.transport() == Transport.UDP).hasSize(3);
    assertThat(seen).filteredOn(p -> p.transport() == Transport.OTHER)
        .singleElement().satisfies(p -> assertThat(p.destinationPort()).isEqualTo(-1));
  }

  @Test
  void ipchainsLineFromTheBriefParses() throws Exception {
    NetfilterLogParser parser = new NetfilterLogParser(null);
    assertThat(parser.parse("Packet log: input DENY eth0 PROTO=6 10.0.0.2:1043 10.0.0.1:747 "
        + "L=60 S=0x00 I=12345 F=0x4000 T=64 SYN (#5)", seen::add))
        .isEqualTo(NetfilterLogParser.Result.PACKET);
    assertThat(seen.get(0)).isEqualTo(new LoggedPacket("input DENY",
        InetAddress.getByName("10.0.0.2"), InetAddress.getByName("10.0.0.1"), Transport.TCP,
        1043, 747, true, false));
  }

  @Test
  void prefixFilterKeepsOnlyThatPrefix() {
    NetfilterLogParser parser = parseAll("kern.log", "  KNLOG:  ");
    assertThat(parser.packets()).isEqualTo(14);
    assertThat(parser.skipped()).isEqualTo(6);
    assertThat(seen).extracting(LoggedPacket::prefix).containsOnly("KNLOG:");
    seen.clear();
    NetfilterLogParser ipt = parseAll("kmsg.txt", "KNLOG-IPT:");
    assertThat(ipt.packets()).isEqualTo(1);
    assertThat(seen.get(0).destinationPort()).isEqualTo(4005);
  }

  @Test
  void emptyAndGluedPrefixes() {
    NetfilterLogParser any = new NetfilterLogParser(null);
    String bare = KERNEL_LINE.substring("KNLOG: ".length());
    assertThat(any.parse("[ 12.5] " + bare, seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
    assertThat(seen.get(0).prefix()).isEmpty();
    // iptables --log-prefix "DROP" without a trailing space
    assertThat(any.parse("DROP" + bare, seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
    assertThat(seen.get(1).prefix()).isEqualTo("DROP");
    // UFW's prefix contains brackets and a space, after the printk timestamp
    assertThat(any.parse("Nov  2 07:44:50 h kernel: [ 1234.567890] [UFW BLOCK] " + bare,
        seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
    assertThat(seen.get(2).prefix()).isEqualTo("[UFW BLOCK]");
    NetfilterLogParser empty = new NetfilterLogParser("");
    assertThat(empty.parse(KERNEL_LINE, seen::add)).isEqualTo(NetfilterLogParser.Result.SKIPPED);
    assertThat(empty.parse(bare, seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
  }

  @Test
  void ipv6LinesInKernelAndCompressedForm() throws Exception {
    parseAll("kmsg.txt", null);
    List<LoggedPacket> v6 = seen.stream().filter(p -> !p.isIpv4()).toList();
    assertThat(v6).hasSize(3);
    assertThat(v6).extracting(LoggedPacket::source)
        .containsOnly(InetAddress.getByName("fd10:201:7::2"));
    LoggedPacket tcp = v6.stream().filter(p -> p.transport() == Transport.TCP).findFirst()
        .orElseThrow();
    assertThat(tcp.destinationPort()).isEqualTo(1111);
    assertThat(tcp.isInitialSyn()).isTrue();
    org.assertj.core.api.Assertions.assertThatThrownBy(tcp::sourceV4)
        .isInstanceOf(IllegalStateException.class);
    seen.clear();
    parseAll("ulogd-logemu.log", null);
    assertThat(seen.stream().filter(p -> !p.isIpv4()).map(LoggedPacket::destination))
        .containsOnly(InetAddress.getByName("fd10:201:7::1"));
  }

  @Test
  void anIpv4MappedIpv6SourceIsNoPacketFromThatIpv4Address() {
    // Linux >= 5.12 lets IPv6 packets from ::ffff:a.b.c.d reach netfilter (dcc32f4f183a); Java's
    // InetAddress turns that literal into the IPv4 address a.b.c.d
    String kernel = "KNLOG: IN=vs OUT= SRC=0000:0000:0000:0000:0000:ffff:0ac9:0702 "
        + "DST=fd10:0201:0007:0000:0000:0000:0000:0001 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 "
        + "PROTO=TCP SPT=39776 DPT=1077 WINDOW=64240 RES=0x00 SYN URGP=0 ";
    NetfilterLogParser parser = new NetfilterLogParser("KNLOG:");
    for (String line : List.of(kernel, kernel.replace("0000:0000:0000:0000:0000:ffff:0ac9:0702",
        "::ffff:10.201.7.2"), KERNEL_LINE.replace("DST=10.201.7.1", "DST=::ffff:10.201.7.1"))) {
      assertThat(parser.parse(line, seen::add)).as(line)
          .isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
      assertThat(parser.lastProblem()).contains("IPv4-mapped");
    }
    assertThat(seen).isEmpty();
    assertThat(parser.parse(kernel.replace("0000:0000:0000:0000:0000:ffff:0ac9:0702",
        "fd10:201:7::2"), seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
  }

  @Test
  void udpAndTcpFlags() {
    parseAll("kmsg.txt", null);
    assertThat(seen).filteredOn(p -> p.transport() == Transport.UDP)
        .extracting(LoggedPacket::destinationPort).containsExactly(2005, 2005, 2001, 2003);
    assertThat(seen).filteredOn(p -> p.transport() == Transport.UDP)
        .allSatisfy(p -> assertThat(p.syn() || p.ack()).isFalse());
    List<LoggedPacket> to5000 = seen.stream().filter(p -> p.destinationPort() == 5000).toList();
    assertThat(to5000).extracting(LoggedPacket::syn).containsExactly(false, true);
    assertThat(to5000).extracting(LoggedPacket::ack).containsExactly(true, true);
    assertThat(to5000).noneMatch(LoggedPacket::isInitialSyn);
    // --log-tcp-sequence prints "ACK=0": a field, not the ACK flag
    assertThat(seen).filteredOn(p -> p.prefix().equals("KNLOG-SEQ:"))
        .singleElement().satisfies(p -> assertThat(p.isInitialSyn()).isTrue());
  }

  @Test
  void icmpErrorQuotingAnotherPacketUsesTheOuterHeaderOnly() throws Exception {
    NetfilterLogParser parser = new NetfilterLogParser(null);
    String line = "KNLOG: IN=vs OUT= SRC=10.201.7.9 DST=10.201.7.1 LEN=56 TOS=0x00 PREC=0xC0 TTL=64"
        + " ID=1 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.201.7.1 DST=10.201.7.9 LEN=28 TOS=0x00 PREC=0x00"
        + " TTL=64 ID=2 PROTO=UDP SPT=53 DPT=4444 LEN=8 ] ";
    assertThat(parser.parse(line, seen::add)).isEqualTo(NetfilterLogParser.Result.PACKET);
    assertThat(seen.get(0).source()).isEqualTo(InetAddress.getByName("10.201.7.9"));
    assertThat(seen.get(0).transport()).isEqualTo(Transport.OTHER);
    assertThat(seen.get(0).destinationPort()).isEqualTo(-1);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // truncated inside the ports
      "KNLOG: IN=vs OUT= MAC=06:94 SRC=10.201.7.2 DST=10.201.7.1 LEN=60 PROTO=TCP SPT=39776 DPT=10",
      // truncated before PROTO
      "[ 1.0] KNLOG: IN=vs OUT= MAC=06:94 SRC=10.201.7.2 DST=10.201.7.1 LEN=60 TOS=0x00",
      // truncated before IN=/OUT= are complete
      "6,1,2,-;KNLOG: IN=vs OU",
      // bad addresses
      "KNLOG: IN=vs OUT= SRC=10.201.7.256 DST=10.201.7.1 PROTO=TCP SPT=1 DPT=2 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=10.201.7 DST=10.201.7.1 PROTO=TCP SPT=1 DPT=2 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=fd10::1::2 DST=fd10::1 PROTO=TCP SPT=1 DPT=2 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=example.org DST=10.201.7.1 PROTO=UDP SPT=1 DPT=2 LEN=8",
      "KNLOG: IN=vs OUT= SRC=fd10:0201:0007:0000:0000:0000:0000:0002:9 DST=fd10::1 PROTO=UDP"
          + " SPT=1 DPT=2 LEN=8",
      // ports out of range or not numbers
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=TCP SPT=1 DPT=65536 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=TCP SPT=-1 DPT=22 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=UDP SPT=1 DPT=0x16 LEN=8",
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=UDP SPT=1 DPT= LEN=8",
      // missing DPT
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=TCP SPT=1 WINDOW=1 SYN URGP=0",
      "KNLOG: IN=vs OUT= SRC=10.201.7.2 DST=10.201.7.1 PROTO=UDP SPT=1 LEN=8",
      // garbage after our prefix, and loose SRC=/DPT= fields
      "KNLOG: \u0000\u0001\u00ff garbage",
      "Nov 22 07:44:50 host kernel: SRC=1.2.3.4 something",
      "kernel: weird DPT=22",
      // ipchains, truncated and with a bad port
      "Packet log: input DENY eth0 PROTO=6 10.0.0.2:1043 10.0.0.1:747 L=60 S=0x00",
      "Packet log: input DENY eth0 PROTO=6 10.0.0.2:1043 10.0.0.1:99999 L=60 T=64 SYN (#5)",
      "Packet log: input DENY",
  })
  void malformedLinesAreUnparsableAndCounted(String line) {
    NetfilterLogParser parser = new NetfilterLogParser(line.startsWith("Packet") ? null : "KNLOG:");
    assertThat(parser.parse(line, seen::add)).isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
    assertThat(parser.unparsable()).isEqualTo(1);
    assertThat(parser.lastProblem()).isNotBlank().doesNotContain("\n");
    assertThat(seen).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "[", "<", "<13>", "<13>1", "6,1,2", "Nov 22 07:44:50",
      "kernel:", "[ 1.0]", "gpio PIN=3 OUT=x", "random: crng init done",
      " SUBSYSTEM=acpi", "2026-11-22T08:09:18+0000 vm kernel: EXT4-fs (vda): mounted"})
  void ordinaryAndDegenerateLinesAreSkipped(String line) {
    NetfilterLogParser parser = new NetfilterLogParser("KNLOG:");
    assertThat(parser.parse(line, seen::add)).isEqualTo(NetfilterLogParser.Result.SKIPPED);
    assertThat(parser.skipped()).isEqualTo(1);
  }

  @Test
  void everyPrefixOfARealLineIsHandledWithoutException() {
    NetfilterLogParser parser = new NetfilterLogParser(null);
    String line = "<4>1 2026-11-22T08:09:00.822966+00:00 vm kernel - - - [ 1776.781303] "
        + Samples.lines("dmesg-notime.txt").get(14);
    List<String> endings = new ArrayList<>();
    for (int i = 0; i <= line.length(); i++) {
      if (parser.parse(line.substring(0, i), seen::add) == NetfilterLogParser.Result.PACKET) {
        endings.add(line.substring(i - 7, i));
      }
    }
    // only lines reaching the last field are packets (URGP= with or without its value)
    assertThat(endings).containsExactly("K URGP=", " URGP=0", "URGP=0 ");
    assertThat(parser.packets() + parser.skipped() + parser.unparsable())
        .isEqualTo(line.length() + 1);
  }
}
