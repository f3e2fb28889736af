package org.knock.daemon.netlink;

/**
 * The classic BPF program of {@link KmsgChannel}'s packet socket (AF_PACKET, SOCK_DGRAM: the
 * program sees each packet from its network header): it keeps a packet that arrives (not one this
 * host sends) as IPv4 or IPv6 TCP or UDP, not a later fragment, to a destination port in
 * [{@code low}, {@code high}], and trims it to one byte; it drops every other packet. An IPv6
 * packet with extension headers before TCP or UDP is dropped: the wake-up is a hint, and a
 * knock it misses is read at the kernel's own wake-up, as without it.
 */
final class KnockPortFilter {
  /** The ancillary load of the packet's type (SKF_AD_OFF + SKF_AD_PKTTYPE). */
  private static final int PKTTYPE = 0xfffff000 + 4;
  private static final int PACKET_OUTGOING = 4;
  private static final int TCP = 6;
  private static final int UDP = 17;

  // opcodes (linux/filter.h)
  static final short LD_W_ABS = 0x20;
  static final short LD_H_ABS = 0x28;
  static final short LD_B_ABS = 0x30;
  static final short LD_H_IND = 0x48;
  static final short LDX_B_MSH = 0xb1;
  static final short RSH_K = 0x74;
  static final short JA = 0x05;
  static final short JEQ_K = 0x15;
  static final short JGT_K = 0x25;
  static final short JGE_K = 0x35;
  static final short JSET_K = 0x45;
  static final short RET_K = 0x06;

  /** One instruction: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
  record Insn(short code, int jt, int jf, int k) {}

  private KnockPortFilter() {}

  /** The program for destination ports {@code low} to {@code high} (inclusive). */
  static Insn[] program(int low, int high) {
    if (low < 0 || high > 65535 || low > high) {
      throw new IllegalArgumentException("ports " + low + "-" + high);
    }
    final int v6 = 13;
    final int range = 18;
    final int accept = 20;
    final int drop = 21;
    Insn[] p = new Insn[22];
    p[0] = i(LD_W_ABS, 0, 0, PKTTYPE);
    p[1] = jump(1, JEQ_K, PACKET_OUTGOING, drop, 2);
    p[2] = i(LD_B_ABS, 0, 0, 0); // version and header length
    p[3] = i(RSH_K, 0, 0, 4);
    p[4] = jump(4, JEQ_K, 4, 5, v6);
    p[5] = i(LD_B_ABS, 0, 0, 9); // IPv4 protocol
    p[6] = jump(6, JEQ_K, TCP, 8, 7);
    p[7] = jump(7, JEQ_K, UDP, 8, drop);
    p[8] = i(LD_H_ABS, 0, 0, 6); // flags and fragment offset
    p[9] = jump(9, JSET_K, 0x1fff, drop, 10);
    p[10] = i(LDX_B_MSH, 0, 0, 0); // X = the IPv4 header's length
    p[11] = i(LD_H_IND, 0, 0, 2); // the destination port
    p[12] = i(JA, 0, 0, range - 13);
    p[13] = jump(13, JEQ_K, 6, 14, drop); // v6
    p[14] = i(LD_B_ABS, 0, 0, 6); // IPv6 next header
    p[15] = jump(15, JEQ_K, TCP, 17, 16);
    p[16] = jump(16, JEQ_K, UDP, 17, drop);
    p[17] = i(LD_H_ABS, 0, 0, 40 + 2); // the destination port after the fixed header
    p[18] = jump(18, JGE_K, low, 19, drop); // range
    p[19] = jump(19, JGT_K, high, drop, accept);
    p[20] = i(RET_K, 0, 0, 1);
    p[21] = i(RET_K, 0, 0, 0);
    assert v6 == 13 && range == 18;
    return p;
  }

  private static Insn i(short code, int jt, int jf, int k) {
    return new Insn(code, jt, jf, k);
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
