package org.knock.daemon.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * {@link KnockPortFilter}'s program, run by a small interpreter of the classic BPF instructions it
 * uses (the kernel's own run and its verifier are in KmsgWakeIT): which packets it keeps. The
 * packets start at their network header, as a SOCK_DGRAM packet socket's filter sees them.
 */
class KnockPortFilterTest {
  private static final int LOW = 20000;
  private static final int HIGH = 25119;
  private static final int INCOMING = 0;
  private static final int OUTGOING = 4;

  /** Runs the program on {@code packet}: what it returns (0: dropped). */
  private static int run(KnockPortFilter.Insn[] p, byte[] packet, int pktType) {
    int a = 0;
    int x = 0;
    for (int pc = 0, steps = 0; steps < 100; steps++) {
      KnockPortFilter.Insn in = p[pc];
      int k = in.k();
      switch (in.code()) {
        case KnockPortFilter.LD_W_ABS -> a = k == 0xfffff004 ? pktType : word(packet, k, 4);
        case KnockPortFilter.LD_H_ABS -> a = word(packet, k, 2);
        case KnockPortFilter.LD_B_ABS -> a = word(packet, k, 1);
        case KnockPortFilter.LD_H_IND -> a = word(packet, x + k, 2);
        case KnockPortFilter.LD_B_IND -> a = word(packet, x + k, 1);
        case KnockPortFilter.AND_K -> a = a & k;
        case KnockPortFilter.LDX_B_MSH -> x = (word(packet, k, 1) & 0xf) * 4;
        case KnockPortFilter.RSH_K -> a = a >>> k;
        case KnockPortFilter.RET_K -> {
          return k;
        }
        default -> {
        }
      }
      if (a == Integer.MIN_VALUE) {
        return 0; // a load past the packet's end ends the program: dropped, as in the kernel
      }
      switch (in.code()) {
        case KnockPortFilter.JA -> pc += 1 + k;
        case KnockPortFilter.JEQ_K -> pc += 1 + (a == k ? in.jt() : in.jf());
        case KnockPortFilter.JGT_K -> pc += 1 + (Integer.compareUnsigned(a, k) > 0
            ? in.jt() : in.jf());
        case KnockPortFilter.JGE_K -> pc += 1 + (Integer.compareUnsigned(a, k) >= 0
            ? in.jt() : in.jf());
        case KnockPortFilter.JSET_K -> pc += 1 + ((a & k) != 0 ? in.jt() : in.jf());
        default -> pc++;
      }
    }
    throw new AssertionError("no return within 100 steps");
  }

  private static int word(byte[] b, int at, int size) {
    if (at < 0 || at + size > b.length) {
      return Integer.MIN_VALUE;
    }
    int v = 0;
    for (int i = 0; i < size; i++) {
      v = v << 8 | (b[at + i] & 0xff);
    }
    return v;
  }

  private static final int SYN = 0x02;
  private static final int ACK = 0x10;
  private static final int RST = 0x04;
  private static final int FIN = 0x01;

  private static byte[] v4(int protocol, int dport, int ihl, int fragmentField) {
    return v4(protocol, dport, ihl, fragmentField, SYN);
  }

  /** An IPv4 packet with a header of {@code ihl} words, then the ports (and TCP flags). */
  private static byte[] v4(int protocol, int dport, int ihl, int fragmentField, int flags) {
    byte[] b = new byte[ihl * 4 + 20];
    b[ihl * 4 + 13] = (byte) flags;
    b[0] = (byte) (0x40 | ihl);
    b[6] = (byte) (fragmentField >> 8);
    b[7] = (byte) fragmentField;
    b[9] = (byte) protocol;
    b[ihl * 4] = (byte) 0xc3; // source port 50000
    b[ihl * 4 + 1] = 0x50;
    b[ihl * 4 + 2] = (byte) (dport >> 8);
    b[ihl * 4 + 3] = (byte) dport;
    return b;
  }

  private static byte[] v6(int nextHeader, int dport) {
    return v6(nextHeader, dport, SYN);
  }

  private static byte[] v6(int nextHeader, int dport, int flags) {
    byte[] b = new byte[40 + 20];
    b[40 + 13] = (byte) flags;
    b[0] = 0x60;
    b[6] = (byte) nextHeader;
    b[42] = (byte) (dport >> 8);
    b[43] = (byte) dport;
    return b;
  }

  private final KnockPortFilter.Insn[] p = KnockPortFilter.program(new KnockPorts(LOW, HIGH,
      true));

  @Test
  void keepsTcpSynsAndUdpToTheRangeOverIpv4AndIpv6() {
    for (int port : new int[] {LOW, LOW + 1, 22222, HIGH}) {
      assertThat(run(p, v4(6, port, 5, 0x4000), INCOMING)).as("v4 tcp " + port).isEqualTo(1);
      assertThat(run(p, v4(17, port, 5, 0), INCOMING)).as("v4 udp " + port).isEqualTo(1);
      assertThat(run(p, v6(6, port), INCOMING)).as("v6 tcp " + port).isEqualTo(1);
      assertThat(run(p, v6(17, port), INCOMING)).as("v6 udp " + port).isEqualTo(1);
    }
    assertThat(run(p, v4(6, LOW, 15, 0), INCOMING)).as("the longest IPv4 header").isEqualTo(1);
    assertThat(run(p, v4(6, LOW, 5, 0, 0xc2), INCOMING)).as("a SYN with ECN bits").isEqualTo(1);
    assertThat(run(p, v6(6, HIGH, SYN | 0x08), INCOMING)).as("SYN with PSH").isEqualTo(1);
  }

  @Test
  void dropsTcpThatIsNoInitialSynWhichKnockdsRulesDoNotLog() {
    for (int flags : new int[] {ACK, SYN | ACK, RST, RST | ACK, FIN | ACK, 0, SYN | RST,
        SYN | FIN, SYN | FIN | 0x08}) {
      assertThat(run(p, v4(6, LOW + 5, 5, 0, flags), INCOMING)).as("v4 flags " + flags).isZero();
      assertThat(run(p, v6(6, LOW + 5, flags), INCOMING)).as("v6 flags " + flags).isZero();
    }
    // the flags are read after the IPv4 header's options, not at a fixed offset
    byte[] options = v4(6, LOW, 6, 0, ACK);
    options[20 + 13 - 4] = SYN; // where a 20-byte header's flags would be
    assertThat(run(p, options, INCOMING)).isZero();
  }

  @Test
  void withoutUdpKnocksUdpIsDropped() {
    KnockPortFilter.Insn[] tcpOnly = KnockPortFilter.program(new KnockPorts(LOW, HIGH, false));
    assertThat(run(tcpOnly, v4(17, LOW, 5, 0), INCOMING)).isZero();
    assertThat(run(tcpOnly, v6(17, LOW), INCOMING)).isZero();
    assertThat(run(tcpOnly, v4(6, LOW, 5, 0), INCOMING)).isEqualTo(1);
    assertThat(run(tcpOnly, v6(6, LOW), INCOMING)).isEqualTo(1);
  }

  @Test
  void dropsPortsOutsideTheRange() {
    for (int port : new int[] {0, 22, LOW - 1, HIGH + 1, 65535}) {
      assertThat(run(p, v4(6, port, 5, 0), INCOMING)).as("v4 " + port).isZero();
      assertThat(run(p, v6(6, port), INCOMING)).as("v6 " + port).isZero();
    }
  }

  @Test
  void dropsWhatThisHostSendsOrOnlySeesLaterFragmentsOtherProtocolsAndShortPackets() {
    assertThat(run(p, v4(6, LOW, 5, 0), OUTGOING)).isZero();
    assertThat(run(p, v6(6, LOW), OUTGOING)).isZero();
    // a broadcast, a multicast, and another host's frame (promiscuous mode, a bridge port)
    for (int type : new int[] {1, 2, 3}) {
      assertThat(run(p, v4(6, LOW, 5, 0), type)).as("packet type " + type).isZero();
      assertThat(run(p, v6(6, LOW), type)).as("packet type " + type).isZero();
    }
    assertThat(run(p, v4(6, LOW, 5, 0x2001), INCOMING)).as("a later fragment").isZero();
    assertThat(run(p, v4(1, LOW, 5, 0), INCOMING)).as("ICMP").isZero();
    assertThat(run(p, v6(58, LOW), INCOMING)).as("ICMPv6").isZero();
    assertThat(run(p, v6(0, LOW), INCOMING)).as("an extension header first").isZero();
    byte[] arp = new byte[28];
    arp[0] = 0x00;
    assertThat(run(p, arp, INCOMING)).as("not IP").isZero();
    assertThat(run(p, new byte[] {0x45, 0, 0}, INCOMING)).as("cut short").isZero();
  }

  @Test
  void aRangeOfOnePortAndTheWholeSpaceWork() {
    KnockPortFilter.Insn[] one = KnockPortFilter.program(new KnockPorts(7000, 7000, false));
    assertThat(run(one, v4(6, 7000, 5, 0), INCOMING)).isEqualTo(1);
    assertThat(run(one, v4(6, 7001, 5, 0), INCOMING)).isZero();
    assertThat(run(one, v4(6, 6999, 5, 0), INCOMING)).isZero();
    KnockPortFilter.Insn[] all = KnockPortFilter.program(new KnockPorts(0, 65535, true));
    assertThat(run(all, v4(6, 0, 5, 0), INCOMING)).isEqualTo(1);
    assertThat(run(all, v6(17, 65535), INCOMING)).isEqualTo(1);
    assertThatThrownBy(() -> new KnockPorts(5, 4, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new KnockPorts(0, 65536, false))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
