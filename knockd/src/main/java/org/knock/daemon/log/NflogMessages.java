package org.knock.daemon.log;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The netlink messages of the kernel's NFLOG (nfnetlink subsystem ULOG): the configuration
 * request that binds a group, the kernel's ack of it, and a walk over the packet messages of one
 * received datagram. Pure: bytes in, bytes or callbacks out; never throws for bad input.
 */
final class NflogMessages {
  static final int NLMSG_HDRLEN = 16;
  static final int NLMSG_ERROR = 2;
  static final int NLMSG_DONE = 3;
  static final int NLM_F_REQUEST = 1;
  static final int NLM_F_ACK = 4;
  /** NFNL_SUBSYS_ULOG in the message type's high byte. */
  static final int SUBSYS_ULOG = 4;
  static final int MSG_PACKET = SUBSYS_ULOG << 8;
  static final int MSG_CONFIG = SUBSYS_ULOG << 8 | 1;
  static final int CFG_CMD = 1;
  static final int CFG_MODE = 2;
  static final int CFG_QTHRESH = 5;
  static final int CFG_FLAGS = 6;
  static final int CMD_BIND = 1;
  static final int COPY_PACKET = 2;
  /** NFULNL_CFG_F_SEQ: each packet carries the group's sequence number (gaps: records lost). */
  static final int FLAG_SEQ = 1;
  /** Bytes of each packet copied: room for IPv6 with extension headers, TCP with options. */
  static final int COPY_RANGE = 256;
  static final int ATTR_IFINDEX_INDEV = 4;
  static final int ATTR_PAYLOAD = 9;
  static final int ATTR_PREFIX = 10;
  static final int ATTR_SEQ = 12;
  private static final int AF_UNSPEC = 0;

  /** What a walk over a datagram finds. */
  interface Visitor {
    /** One packet message: its attributes as offsets into the datagram (-1: absent). */
    void packet(Packet p);

    /** A message that cannot be walked (the rest of the datagram is skipped), one line. */
    void malformed(String why);
  }

  /** The attributes of one NFULNL_MSG_PACKET, as regions of {@link #bytes}; reused. */
  static final class Packet {
    byte[] bytes;
    int family;
    int prefixFrom = -1;
    int prefixTo = -1;
    int payloadFrom = -1;
    int payloadTo = -1;
    int inIndex = -1;
    long seq = -1;

    private void reset(byte[] a, int family) {
      bytes = a;
      this.family = family;
      prefixFrom = -1;
      prefixTo = -1;
      payloadFrom = -1;
      payloadTo = -1;
      inIndex = -1;
      seq = -1;
    }
  }

  private NflogMessages() {}

  /**
   * The request that binds {@code group} to the sending socket, copies up to {@link #COPY_RANGE}
   * bytes of each packet, sends each packet at once (queue threshold 1) and numbers them; acked.
   */
  static byte[] bind(int group, int seq) {
    ByteBuffer b = ByteBuffer.allocate(NLMSG_HDRLEN + 4 + 8 + 12 + 8 + 8)
        .order(ByteOrder.nativeOrder());
    b.putInt(b.capacity()).putShort((short) MSG_CONFIG)
        .putShort((short) (NLM_F_REQUEST | NLM_F_ACK)).putInt(seq).putInt(0);
    b.put((byte) AF_UNSPEC).put((byte) 0).order(ByteOrder.BIG_ENDIAN).putShort((short) group)
        .order(ByteOrder.nativeOrder());
    b.putShort((short) 5).putShort((short) CFG_CMD).put((byte) CMD_BIND).put(new byte[3]);
    b.putShort((short) 10).putShort((short) CFG_MODE).order(ByteOrder.BIG_ENDIAN)
        .putInt(COPY_RANGE).put((byte) COPY_PACKET).put(new byte[3])
        .order(ByteOrder.nativeOrder());
    b.putShort((short) 8).putShort((short) CFG_QTHRESH).order(ByteOrder.BIG_ENDIAN).putInt(1)
        .order(ByteOrder.nativeOrder());
    b.putShort((short) 6).putShort((short) CFG_FLAGS).order(ByteOrder.BIG_ENDIAN)
        .putShort((short) FLAG_SEQ).put(new byte[2]);
    return b.array();
  }

  /**
   * The error of the ack of request {@code seq} in a[0, n): 0 for success, a negative errno,
   * or 1 when the datagram holds no ack of it.
   */
  static int ack(byte[] a, int n, int seq) {
    ByteBuffer b = ByteBuffer.wrap(a, 0, n).order(ByteOrder.nativeOrder());
    for (int at = 0; at + NLMSG_HDRLEN <= n; ) {
      int len = b.getInt(at);
      if (len < NLMSG_HDRLEN || len > n - at) {
        return 1;
      }
      if (b.getShort(at + 4) == NLMSG_ERROR && b.getInt(at + 8) == seq
          && len >= NLMSG_HDRLEN + 4) {
        return Math.min(0, b.getInt(at + NLMSG_HDRLEN));
      }
      at += align(len);
    }
    return 1;
  }

  /**
   * Walks the netlink messages in a[0, n): each NFLOG packet message goes to the visitor, acks
   * and other messages are skipped; a packet message whose attributes do not fit is reported as
   * malformed, and a message whose length does not fit is reported as malformed and ends the walk.
   */
  static void walk(byte[] a, int n, Packet p, Visitor v) {
    int at = 0;
    while (at < n) {
      if (n - at < NLMSG_HDRLEN) {
        v.malformed("truncated netlink header: " + (n - at) + " bytes");
        return;
      }
      int len = intAt(a, at);
      if (len < NLMSG_HDRLEN || len > n - at) {
        v.malformed("netlink message length " + len + " with " + (n - at) + " bytes left");
        return;
      }
      int type = shortAt(a, at + 4);
      if (type == MSG_PACKET) {
        if (len < NLMSG_HDRLEN + 4) {
          v.malformed("NFLOG packet message without its nfgenmsg header");
          return;
        }
        p.reset(a, a[at + NLMSG_HDRLEN] & 0xff);
        String why = attributes(a, at + NLMSG_HDRLEN + 4, at + len, p);
        if (why != null) {
          v.malformed(why); // its length is sound: the messages after it are still walked
        } else {
          v.packet(p);
        }
      }
      at += align(len);
    }
  }

  private static String attributes(byte[] a, int from, int to, Packet p) {
    int at = from;
    while (at + 4 <= to) {
      int len = shortAt(a, at);
      int type = shortAt(a, at + 2) & 0x3fff; // without NLA_F_NESTED, NLA_F_NET_BYTEORDER
      if (len < 4 || len > to - at) {
        return "NFLOG attribute " + type + " of length " + len + " with " + (to - at)
            + " bytes left";
      }
      int v = at + 4;
      int vlen = len - 4;
      switch (type) {
        case ATTR_PREFIX -> {
          int end = v;
          while (end < v + vlen && a[end] != 0) {
            end++;
          }
          p.prefixFrom = v;
          p.prefixTo = end;
        }
        case ATTR_PAYLOAD -> {
          p.payloadFrom = v;
          p.payloadTo = v + vlen;
        }
        case ATTR_IFINDEX_INDEV -> {
          if (vlen == 4) {
            p.inIndex = beInt(a, v);
          }
        }
        case ATTR_SEQ -> {
          if (vlen == 4) {
            p.seq = beInt(a, v) & 0xffffffffL;
          }
        }
        default -> {
          // hardware header, timestamps, uid, ...: not needed
        }
      }
      at += align(len);
    }
    return null;
  }

  /**
   * Records lost between sequence numbers {@code last} and {@code seq} (NFULA_SEQ, a u32 that
   * wraps, compared as serial numbers): 0 when {@code seq} follows {@code last}, when either is
   * unknown (-1), or when {@code seq} is not after {@code last} (a repeat, or a restart).
   */
  static long lostBetween(long last, long seq) {
    if (last < 0 || seq < 0) {
      return 0;
    }
    long gap = (seq - last - 1) & 0xffffffffL;
    return gap < 0x7fffffffL ? gap : 0;
  }

  static int align(int len) {
    return (len + 3) & ~3;
  }

  private static int intAt(byte[] a, int at) {
    return ByteBuffer.wrap(a).order(ByteOrder.nativeOrder()).getInt(at);
  }

  private static int shortAt(byte[] a, int at) {
    return ByteBuffer.wrap(a).order(ByteOrder.nativeOrder()).getShort(at) & 0xffff;
  }

  static int beInt(byte[] a, int at) {
    return (a[at] & 0xff) << 24 | (a[at + 1] & 0xff) << 16 | (a[at + 2] & 0xff) << 8
        | (a[at + 3] & 0xff);
  }
}
