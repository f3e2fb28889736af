package org.knock.daemon.netlink;

/**
 * The classic BPF program of {@link KmsgChannel}'s packet sockets (AF_PACKET, SOCK_DGRAM: the
 * program sees each packet from its network header): it keeps a packet that arrives addressed to
 * this host's link address (PACKET_HOST: not one this host sends, nor a broadcast, multicast or
 * another host's frame seen in promiscuous mode or on a bridge port) as IPv4 or IPv6 and is a
 * TCP segment whose FIN, SYN, RST and ACK are SYN alone, as knockd's LOG rules want, or with
 * {@link KnockPorts#udp} a UDP datagram, not a later fragment, to a destination port of the
 * range, and trims it to one byte; it drops every other packet. A host that routes still sees
 * SYNs it forwards to such ports (they come to its link address): each costs the reader a short
 * poll, never a decision. An IPv6 packet with extension headers before TCP or UDP is
 * dropped: the wake-up is a hint, and a knock it misses is read at the kernel's own wake-up, as
 * without it.
 */
final class KnockPortFilter {
  /** The ancillary load of the packet's type (SKF_AD_OFF + SKF_AD_PKTTYPE). */
  private static final int PKTTYPE = 0xfffff000 + 4;
  /** To this host's link address (PACKET_HOST in linux/if_packet.h). */
  private static final int PACKET_HOST = 0;
  private static final int TCP = 6;
  private static final int UDP = 17;
  /** FIN | SYN | RST | ACK, and SYN: of these, a knock's SYN has SYN alone (knockd's rules). */
  private static final int FLAGS = 0x17;
  private static final int SYN = 0x02;

  // opcodes (linux/filter.h)
  static final short LD_W_ABS = 0x20;
  static final short LD_H_ABS = 0x28;
  static final short LD_B_ABS = 0x30;
  static final short LD_B_IND = 0x50;
  static final short LD_H_IND = 0x48;
  static final short LDX_B_MSH = 0xb1;
  static final short RSH_K = 0x74;
  static final short AND_K = 0x54;
  static final short JA = 0x05;
  static final short JEQ_K = 0x15;
  static final short JGT_K = 0x25;
  static final short JGE_K = 0x35;
  static final short JSET_K = 0x45;
  static final short RET_K = 0x06;

  /** One instruction: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
  record Insn(short code, int jt, int jf, int k) {}

  private KnockPortFilter() {}

  /** The program for {@code ports}. */
  static Insn[] program(KnockPorts ports) {
    final int udp4 = 14;
    final int v6 = 16;
    final int udp6 = 23;
    final int range = 24;
    final int accept = 26;
    final int drop = 27;
    Insn[] p = new Insn[28];
    p[0] = i(LD_W_ABS, PKTTYPE);
    p[1] = jump(1, JEQ_K, PACKET_HOST, 2, drop);
    p[2] = i(LD_B_ABS, 0); // version and header length
    p[3] = i(RSH_K, 4);
    p[4] = jump(4, JEQ_K, 4, 5, v6);
    p[5] = i(LD_H_ABS, 6); // IPv4 flags and fragment offset
    p[6] = jump(6, JSET_K, 0x1fff, drop, 7);
    p[7] = i(LDX_B_MSH, 0); // X = the IPv4 header's length
    p[8] = i(LD_B_ABS, 9); // protocol
    p[9] = jump(9, JEQ_K, TCP, 11, 10);
    p[10] = jump(10, JEQ_K, UDP, ports.udp() ? udp4 : drop, drop);
    p[11] = i(LD_B_IND, 13); // TCP flags
    p[12] = i(AND_K, FLAGS);
    p[13] = jump(13, JEQ_K, SYN, udp4, drop);
    p[udp4] = i(LD_H_IND, 2); // the destination port, TCP or UDP
    p[15] = i(JA, range - 16);
    p[v6] = jump(v6, JEQ_K, 6, 17, drop);
    p[17] = i(LD_B_ABS, 6); // IPv6 next header
    p[18] = jump(18, JEQ_K, TCP, 20, 19);
    p[19] = jump(19, JEQ_K, UDP, ports.udp() ? udp6 : drop, drop);
    p[20] = i(LD_B_ABS, 40 + 13); // TCP flags after the fixed header
    p[21] = i(AND_K, FLAGS);
    p[22] = jump(22, JEQ_K, SYN, udp6, drop);
    p[udp6] = i(LD_H_ABS, 40 + 2); // the destination port
    p[range] = jump(range, JGE_K, ports.low(), 25, drop);
    p[25] = jump(25, JGT_K, ports.high(), drop, accept);
    p[accept] = i(RET_K, 1);
    p[drop] = i(RET_K, 0);
    return p;
  }

  private static Insn i(short code, int k) {
    return new Insn(code, 0, 0, k);
  }

  /** A conditional jump at {@code at} to absolute targets (cBPF jumps are forward offsets). */
  private static Insn jump(int at, short code, int k, int ifTrue, int ifFalse) {
    int jt = ifTrue - at - 1;
    int jf = ifFalse - at - 1;
    if (jt < 0 || jf < 0 || jt > 255 || jf > 255) {
      throw new IllegalStateException("jump out of range at " + at);
    }
    return new Insn(code, jt, jf, k);
  }
}
