package org.knock.daemon.log;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** NFLOG netlink messages and IP packets built byte by byte, as the kernel lays them out. */
final class NflogFixtures {
  static final int SYN = 0x02;
  static final int ACK = 0x10;

  private NflogFixtures() {}

  /** An NFULNL_MSG_PACKET with the prefix (null: none), payload (null: none), seq (-1: none). */
  static byte[] packet(String prefix, byte[] payload, long seq, int inIndex) {
    ByteArrayOutputStream attrs = new ByteArrayOutputStream();
    attr(attrs, 1, new byte[] {8, 0, 1, 0}); // NFULA_PACKET_HDR: hw_protocol, hook
    if (prefix != null) {
      byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
      byte[] z = new byte[p.length + 1];
      System.arraycopy(p, 0, z, 0, p.length);
      attr(attrs, 10, z);
    }
    if (inIndex >= 0) {
      attr(attrs, 4, be(inIndex));
    }
    if (seq >= 0) {
      attr(attrs, 12, be((int) seq));
    }
    if (payload != null) {
      attr(attrs, 9, payload);
    }
    return message(0x0400, 2, attrs.toByteArray());
  }

  /** A netlink message of {@code type} with an nfgenmsg of {@code family} and the body. */
  static byte[] message(int type, int family, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(16 + 4 + body.length).order(ByteOrder.nativeOrder());
    b.putInt(b.capacity()).putShort((short) type).putShort((short) 0).putInt(0).putInt(0);
    b.put((byte) family).put((byte) 0).putShort((short) 0).put(body);
    return b.array();
  }

  /** An NLMSG_ERROR ack of request {@code seq} with {@code error} (0 or minus errno). */
  static byte[] ack(int seq, int error) {
    ByteBuffer b = ByteBuffer.allocate(36).order(ByteOrder.nativeOrder());
    b.putInt(36).putShort((short) 2).putShort((short) 0).putInt(seq).putInt(0).putInt(error);
    b.putInt(36).putShort((short) 0x0401).putShort((short) 5).putInt(seq).putInt(0);
    return b.array();
  }

  static void attr(ByteArrayOutputStream out, int type, byte[] value) {
    ByteBuffer h = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
    h.putShort((short) (4 + value.length)).putShort((short) type);
    out.writeBytes(h.array());
    out.writeBytes(value);
    out.writeBytes(new byte[NflogMessages.align(value.length) - value.length]);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** An IPv4 header (20 bytes, DF) for protocol {@code proto} then {@code l4}. */
  static byte[] ipv4(int[] src, int[] dst, int proto, byte[] l4) {
    ByteBuffer b = ByteBuffer.allocate(20 + l4.length);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putShort((short) 4711)
        .putShort((short) 0x4000).put((byte) 64).put((byte) proto).putShort((short) 0);
    for (int x : src) {
      b.put((byte) x);
    }
    for (int x : dst) {
      b.put((byte) x);
    }
    return b.put(l4).array();
  }

  /** An IPv6 header, then a hop-by-hop options header if {@code hopByHop}, then {@code l4}. */
  static byte[] ipv6(byte[] src, byte[] dst, int proto, boolean hopByHop, byte[] l4) {
    int ext = hopByHop ? 8 : 0;
    ByteBuffer b = ByteBuffer.allocate(40 + ext + l4.length);
    b.putInt(0x60000000).putShort((short) (ext + l4.length))
        .put((byte) (hopByHop ? 0 : proto)).put((byte) 64).put(src).put(dst);
    if (hopByHop) {
      b.put((byte) proto).put((byte) 0).put(new byte[] {1, 4, 0, 0, 0, 0}); // PadN
    }
    return b.put(l4).array();
  }

  /** A TCP header (20 bytes) with the flags. */
  static byte[] tcp(int sport, int dport, int flags) {
    ByteBuffer b = ByteBuffer.allocate(20);
    b.putShort((short) sport).putShort((short) dport).putInt(12345).putInt(0)
        .put((byte) 0x50).put((byte) flags).putShort((short) 64240).putInt(0);
    return b.array();
  }

  /** A UDP header with {@code data} bytes of payload (not included). */
  static byte[] udp(int sport, int dport, int data) {
    ByteBuffer b = ByteBuffer.allocate(8);
    b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + data))
        .putShort((short) 0);
    return b.array();
  }

  static byte[] be(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }
}
