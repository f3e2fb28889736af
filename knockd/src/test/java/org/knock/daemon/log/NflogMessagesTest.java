package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.daemon.log.NflogFixtures.ACK;
import static org.knock.daemon.log.NflogFixtures.SYN;
import static org.knock.daemon.log.NflogFixtures.concat;
import static org.knock.daemon.log.NflogFixtures.ipv4;
import static org.knock.daemon.log.NflogFixtures.ipv6;
import static org.knock.daemon.log.NflogFixtures.packet;
import static org.knock.daemon.log.NflogFixtures.tcp;
import static org.knock.daemon.log.NflogFixtures.udp;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The direct NFLOG reader's pure half: netlink bytes (built here as the kernel lays them out) to
 * the lines {@link NetfilterLogParser} reads, one test per kind of packet and per malformed input.
 */
class NflogMessagesTest {
  private static final int[] CLIENT = {10, 204, 17, 2};
  private static final int[] SERVER = {10, 204, 17, 1};
  private static final String PREFIX = "KNTEST: ";

  /** What a walk over {@code datagram} handed on: lines, malformed reasons, sequence numbers. */
  private record Walked(List<String> lines, List<String> malformed, List<Long> seqs) {}

  private static Walked walk(byte[] datagram) {
    Walked w = new Walked(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    String[] why = new String[1];
    NflogMessages.walk(datagram, datagram.length, new NflogMessages.Packet(),
        new NflogMessages.Visitor() {
          @Override
          public void packet(NflogMessages.Packet p) {
            w.seqs().add(p.seq);
            String line = NflogLine.of(p, i -> i == 3 ? "vs0" : null, why);
            if (line == null) {
              w.malformed().add(why[0]);
            } else {
              w.lines().add(line);
            }
          }

          @Override
          public void malformed(String problem) {
            w.malformed().add(problem);
          }
        });
    return w;
  }

  private static LoggedPacket parsed(String line, String prefix) {
    List<LoggedPacket> got = new ArrayList<>();
    NetfilterLogParser parser = new NetfilterLogParser(prefix);
    assertThat(parser.parse(line, got::add)).as(line + ": " + parser.lastProblem())
        .isEqualTo(NetfilterLogParser.Result.PACKET);
    return got.get(0);
  }

  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void aTcpSynIsTheLineTheKernelsLogWouldWrite() throws Exception {
    Walked w = walk(packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(44340, 1077, SYN)), 7, 3));
    assertThat(w.malformed()).isEmpty();
    assertThat(w.seqs()).containsExactly(7L);
    assertThat(w.lines()).containsExactly("KNTEST: IN=vs0 OUT= SRC=10.204.17.2 DST=10.204.17.1 "
        + "LEN=40 TTL=64 ID=4711 DF PROTO=TCP SPT=44340 DPT=1077 WINDOW=64240 RES=0x00 SYN "
        + "URGP=0 ");
    assertThat(parsed(w.lines().get(0), "KNTEST:")).isEqualTo(new LoggedPacket("KNTEST:",
        ip("10.204.17.2"), ip("10.204.17.1"), Transport.TCP, 44340, 1077, true, false));
  }

  @Test
  void aNonSynTcpPacketIsNoInitialSyn() throws Exception {
    String line = walk(packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(22, 50000, SYN | ACK)), -1, -1))
        .lines().get(0);
    assertThat(line).contains(" ACK SYN URGP=0 ").contains("IN= OUT= ");
    LoggedPacket p = parsed(line, "KNTEST:");
    assertThat(p.syn()).isTrue();
    assertThat(p.ack()).isTrue();
    assertThat(p.isInitialSyn()).isFalse();
    assertThat(parsed(walk(packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(22, 5, ACK)), -1, -1))
        .lines().get(0), null).syn()).isFalse();
  }

  @Test
  void udpHasItsPortsAndLength() throws Exception {
    String line = walk(packet(PREFIX, ipv4(CLIENT, SERVER, 17, udp(5353, 1200, 12)), -1, -1))
        .lines().get(0);
    assertThat(line).endsWith("PROTO=UDP SPT=5353 DPT=1200 LEN=20 ");
    assertThat(parsed(line, "KNTEST:")).isEqualTo(new LoggedPacket("KNTEST:", ip("10.204.17.2"),
        ip("10.204.17.1"), Transport.UDP, 5353, 1200, false, false));
  }

  @Test
  void ipv6SkipsExtensionHeaders() throws Exception {
    byte[] src = InetAddress.getByName("fd00:204:17::2").getAddress();
    byte[] dst = InetAddress.getByName("fd00:204:17::1").getAddress();
    for (boolean hop : new boolean[] {false, true}) {
      Walked w = walk(packet(PREFIX, ipv6(src, dst, 6, hop, tcp(40000, 1300, SYN)), -1, -1));
      assertThat(w.malformed()).isEmpty();
      assertThat(w.lines().get(0)).contains("SRC=fd00:204:17:0:0:0:0:2 ");
      assertThat(parsed(w.lines().get(0), "KNTEST:")).isEqualTo(new LoggedPacket("KNTEST:",
          ip("fd00:204:17::2"), ip("fd00:204:17::1"), Transport.TCP, 40000, 1300, true, false));
    }
  }

  @Test
  void anIpv6SynFromAnIpv4MappedSourceIsNoPacketFromThatIpv4Address() throws Exception {
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(new byte[] {10, (byte) 204, 17, 2}, 0, mapped, 12, 4);
    byte[] dst = InetAddress.getByName("fd00:204:17::1").getAddress();
    String line = walk(packet(PREFIX, ipv6(mapped, dst, 6, false, tcp(40000, 1300, SYN)), -1, -1))
        .lines().get(0);
    assertThat(line).contains("SRC=0:0:0:0:0:ffff:acc:1102 ");
    NetfilterLogParser parser = new NetfilterLogParser("KNTEST:");
    List<LoggedPacket> got = new ArrayList<>();
    assertThat(parser.parse(line, got::add)).isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
    assertThat(got).isEmpty();
  }

  @Test
  void aPrefixWithSpacesMatchesTheTrimmedLogPrefixAndControlCharactersCannotSplitTheLine()
      throws Exception {
    String line = walk(packet("KNE2E0a1b: ", ipv4(CLIENT, SERVER, 6, tcp(1, 2, SYN)), -1, -1))
        .lines().get(0);
    assertThat(line).startsWith("KNE2E0a1b: IN=");
    assertThat(parsed(line, "KNE2E0a1b:").prefix()).isEqualTo("KNE2E0a1b:");
    assertThat(walk(packet("a\nb ", ipv4(CLIENT, SERVER, 6, tcp(1, 2, SYN)), -1, -1)).lines()
        .get(0)).startsWith("a?b IN=");
  }

  @Test
  void otherProtocolsAreLinesOfThatProtocolWithoutPorts() throws Exception {
    String icmp = walk(packet(PREFIX, ipv4(CLIENT, SERVER, 1, new byte[] {8, 0, 0, 0}), -1, -1))
        .lines().get(0);
    assertThat(icmp).endsWith("PROTO=ICMP TYPE=8 CODE=0 ");
    assertThat(parsed(icmp, null).transport()).isEqualTo(Transport.OTHER);
    assertThat(walk(packet(PREFIX, ipv4(CLIENT, SERVER, 47, new byte[4]), -1, -1)).lines().get(0))
        .endsWith("PROTO=47 ");
  }

  @Test
  void aTruncatedTcpHeaderIsIncompleteWhichTheParserCountsAsUnparsable() {
    byte[] cut = Arrays.copyOf(tcp(1, 2, SYN), 10);
    String line = walk(packet(PREFIX, ipv4(CLIENT, SERVER, 6, cut), -1, -1)).lines().get(0);
    assertThat(line).endsWith("PROTO=TCP INCOMPLETE [10 bytes] ");
    assertThat(new NetfilterLogParser("KNTEST:").parse(line, p -> { }))
        .isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
  }

  @Test
  void aLaterFragmentHasNoPortsLikeTheKernelsLine() {
    byte[] ip = ipv4(CLIENT, SERVER, 6, new byte[8]);
    ip[6] = 0x00;
    ip[7] = 0x10; // fragment offset 16
    String line = walk(packet(PREFIX, ip, -1, -1)).lines().get(0);
    assertThat(line).contains(" FRAG:16 PROTO=TCP ").doesNotContain("SPT=");
    assertThat(new NetfilterLogParser("KNTEST:").parse(line, p -> { }))
        .isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
  }

  @Test
  void aPacketWithoutPayloadIsMalformed() {
    Walked w = walk(packet(PREFIX, null, 9, -1));
    assertThat(w.lines()).isEmpty();
    assertThat(w.seqs()).containsExactly(9L); // still counted for gaps
    assertThat(w.malformed()).containsExactly(
        "NFLOG packet without payload (copy mode not packet?)");
  }

  @Test
  void aPayloadThatIsNoIpPacketIsMalformed() {
    assertThat(walk(packet(PREFIX, new byte[] {0x20, 1, 2}, -1, -1)).malformed())
        .containsExactly("NFLOG payload is no IPv4 or IPv6 packet (3 bytes, version 2)");
    assertThat(walk(packet(PREFIX, new byte[0], -1, -1)).malformed()).hasSize(1);
  }

  @Test
  void aShortIpHeaderIsIncomplete() {
    String line = walk(packet(PREFIX, new byte[] {0x45, 0, 0, 20}, -1, -1)).lines().get(0);
    assertThat(line).isEqualTo("KNTEST: IN= OUT= INCOMPLETE [4 bytes] ");
    assertThat(new NetfilterLogParser("KNTEST:").parse(line, p -> { }))
        .isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
  }

  @Test
  void aTruncatedNetlinkMessageEndsTheWalk() {
    byte[] good = packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(1, 2, SYN)), 1, -1);
    byte[] two = concat(good, good);
    Walked w = walk(Arrays.copyOf(two, two.length - 5));
    assertThat(w.lines()).hasSize(1);
    assertThat(w.malformed()).containsExactly("netlink message length " + good.length + " with "
        + (good.length - 5) + " bytes left");
    assertThat(walk(Arrays.copyOf(good, 10)).malformed())
        .containsExactly("truncated netlink header: 10 bytes");
  }

  @Test
  void aNetlinkLengthBelowTheHeaderEndsTheWalk() {
    byte[] m = packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(1, 2, SYN)), 1, -1);
    ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putInt(0, 8);
    assertThat(walk(m).malformed()).containsExactly("netlink message length 8 with " + m.length
        + " bytes left");
  }

  @Test
  void anAttributeLongerThanItsMessageIsMalformed() {
    byte[] m = packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(1, 2, SYN)), 1, -1);
    // the first attribute (NFULA_PACKET_HDR, 8 bytes) claims 400
    ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putShort(20, (short) 400);
    Walked w = walk(m);
    assertThat(w.lines()).isEmpty();
    assertThat(w.malformed()).containsExactly("NFLOG attribute 1 of length 400 with "
        + (m.length - 20) + " bytes left");
    ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putShort(20, (short) 2);
    assertThat(walk(m).malformed()).containsExactly("NFLOG attribute 1 of length 2 with "
        + (m.length - 20) + " bytes left");
  }

  @Test
  void acksAndOtherMessagesBetweenPacketsAreSkipped() {
    byte[] a = packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(1, 1001, SYN)), 1, -1);
    byte[] b = packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(1, 1002, SYN)), 2, -1);
    Walked w = walk(concat(a, NflogFixtures.ack(5, 0), NflogFixtures.message(0x0401, 0,
        new byte[4]), b));
    assertThat(w.malformed()).isEmpty();
    assertThat(w.seqs()).containsExactly(1L, 2L);
    assertThat(w.lines()).hasSize(2);
    assertThat(w.lines().get(1)).contains("DPT=1002 ");
  }

  @Test
  void aMessageWithABadAttributeIsOneMalformedAndThePacketsAfterItAreStillRead() {
    byte[] bad = packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(1, 1001, SYN)), 1, -1);
    ByteBuffer.wrap(bad).order(ByteOrder.nativeOrder()).putShort(20, (short) 400);
    byte[] good = packet(PREFIX, ipv4(CLIENT, SERVER, 6, tcp(1, 1002, SYN)), 2, -1);
    Walked w = walk(concat(bad, good));
    assertThat(w.malformed()).containsExactly("NFLOG attribute 1 of length 400 with "
        + (bad.length - 20) + " bytes left");
    assertThat(w.seqs()).containsExactly(2L);
    assertThat(w.lines()).hasSize(1);
    assertThat(w.lines().get(0)).contains("DPT=1002 ");
  }

  @Test
  void ipv6WalksAsManyExtensionHeadersAsTheKernelsLog() throws Exception {
    byte[] src = InetAddress.getByName("fd00:204:17::2").getAddress();
    byte[] dst = InetAddress.getByName("fd00:204:17::1").getAddress();
    int headers = 12; // destination options, 8 bytes each: the kernel's LOG skips them all
    byte[] l4 = tcp(40000, 1300, SYN);
    ByteBuffer b = ByteBuffer.allocate(40 + 8 * headers + l4.length);
    b.putInt(0x60000000).putShort((short) (8 * headers + l4.length)).put((byte) 60)
        .put((byte) 64).put(src).put(dst);
    for (int h = 0; h < headers; h++) {
      b.put((byte) (h == headers - 1 ? 6 : 60)).put((byte) 0).put(new byte[] {1, 4, 0, 0, 0, 0});
    }
    Walked w = walk(packet(PREFIX, b.put(l4).array(), -1, -1));
    assertThat(w.malformed()).isEmpty();
    assertThat(parsed(w.lines().get(0), "KNTEST:")).isEqualTo(new LoggedPacket("KNTEST:",
        ip("fd00:204:17::2"), ip("fd00:204:17::1"), Transport.TCP, 40000, 1300, true, false));
  }

  @Test
  void anAckSearchPastAMessageClaimingNearly2GibEndsWithoutAnAck() {
    ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
    b.putInt(16).putShort((short) NflogMessages.NLMSG_DONE).putShort((short) 0).putInt(0)
        .putInt(0);
    b.putInt(Integer.MAX_VALUE).putShort((short) NflogMessages.MSG_PACKET).putShort((short) 0)
        .putInt(0).putInt(0); // at + len overflows
    assertThat(NflogMessages.ack(b.array(), 32, 4)).isEqualTo(1);
  }

  @Test
  void recordsLostAreCountedAcrossTheWrapOfTheSequenceNumberButNotForARepeatOrARestart() {
    assertThat(NflogMessages.lostBetween(6, 7)).isZero();
    assertThat(NflogMessages.lostBetween(6, 10)).isEqualTo(3);
    assertThat(NflogMessages.lostBetween(0xfffffffeL, 1)).isEqualTo(2);
    assertThat(NflogMessages.lostBetween(0xffffffffL, 0)).isZero();
    assertThat(NflogMessages.lostBetween(-1, 5)).isZero();
    assertThat(NflogMessages.lostBetween(7, 7)).isZero();
    assertThat(NflogMessages.lostBetween(900, 3)).isZero();
  }

  @Test
  void theBindRequestAsksForTheGroupPacketCopiesAQueueOfOneAndSequenceNumbers() {
    byte[] r = NflogMessages.bind(5, 77);
    ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.nativeOrder());
    assertThat(b.getInt(0)).isEqualTo(r.length);
    assertThat(b.getShort(4)).isEqualTo((short) 0x0401); // ULOG << 8 | NFULNL_MSG_CONFIG
    assertThat(b.getShort(6)).isEqualTo((short) 5); // NLM_F_REQUEST | NLM_F_ACK
    assertThat(b.getInt(8)).isEqualTo(77);
    assertThat(HexFormat.of().formatHex(r, 16, r.length)).isEqualTo("0000" + "0005" // res_id BE
        + le(5, 1) + "01000000" // CMD BIND
        + le(10, 2) + "00000100" + "02000000" // MODE: range 256 BE, COPY_PACKET, padding
        + le(8, 5) + "00000001" // QTHRESH 1
        + le(6, 6) + "0001" + "0000"); // FLAGS SEQ
  }

  private static String le(int len, int type) {
    return HexFormat.of().formatHex(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder())
        .putShort((short) len).putShort((short) type).array());
  }

  @Test
  void theAckOfTheBindIsFoundByItsSequenceNumber() {
    byte[] acks = concat(NflogFixtures.ack(3, -1), NflogFixtures.ack(4, 0));
    assertThat(NflogMessages.ack(acks, acks.length, 3)).isEqualTo(-1);
    assertThat(NflogMessages.ack(acks, acks.length, 4)).isZero();
    assertThat(NflogMessages.ack(acks, acks.length, 5)).isEqualTo(1);
    assertThat(NflogMessages.ack(acks, 20, 4)).isEqualTo(1); // cut short
  }
}
