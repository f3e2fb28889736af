package org.knock.daemon.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The nfnetlink messages knockd sends for a grant, a revoke and a warm-up, as bytes: pure
 * functions of their arguments (no I/O). A batch is BATCH_BEGIN, the element messages (each with
 * NLM_F_ACK, so each is answered by one ack), BATCH_END: the kernel runs it as one transaction.
 * Netlink headers are in the host's byte order, nfnetlink's resource id and the timeout in network
 * order, as {@code nft} writes them.
 */
final class NftMessages {
  static final int NFNL_SUBSYS_NFTABLES = 10;
  static final int NFNL_MSG_BATCH_BEGIN = 0x10;
  static final int NFNL_MSG_BATCH_END = 0x11;
  static final int NFT_MSG_NEWSETELEM = 12;
  static final int NFT_MSG_DELSETELEM = 14;
  static final int NFT_MSG_GETGEN = 16;
  static final int NLMSG_ERROR = 2;
  static final int NLM_F_REQUEST = 1;
  static final int NLM_F_ACK = 4;
  static final int NLM_F_CREATE = 0x400;
  static final int NFPROTO_INET = 1;
  private static final int NLA_F_NESTED = 0x8000;
  private static final int LIST_TABLE = 1; // NFTA_SET_ELEM_LIST_TABLE
  private static final int LIST_SET = 2; // NFTA_SET_ELEM_LIST_SET
  private static final int LIST_ELEMENTS = 3; // NFTA_SET_ELEM_LIST_ELEMENTS
  private static final int LIST_ELEM = 1; // NFTA_LIST_ELEM
  private static final int ELEM_KEY = 1; // NFTA_SET_ELEM_KEY
  private static final int ELEM_TIMEOUT = 4; // NFTA_SET_ELEM_TIMEOUT (ms, big-endian)
  private static final int DATA_VALUE = 1; // NFTA_DATA_VALUE

  private NftMessages() {}

  /**
   * A request and the acks it is answered by: sequence numbers {@code firstAck} to
   * {@code firstAck + acks - 1}.
   */
  record Request(byte[] bytes, int firstAck, int acks) {}

  /**
   * add (no timeout), delete, add with {@code timeoutMs}: the element ends up with exactly that
   * timeout whether it existed or not, in one transaction (as knockd's nft grant script).
   *
   * @param seq the batch's first sequence number; it uses {@code seq} to {@code seq + 4}
   */
  static Request grant(String table, String set, byte[] key, long timeoutMs, int seq) {
    ByteBuffer b = buffer();
    batch(b, NFNL_MSG_BATCH_BEGIN, seq);
    element(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, seq + 1, table, set, key, 0);
    element(b, NFT_MSG_DELSETELEM, 0, seq + 2, table, set, key, 0);
    element(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, seq + 3, table, set, key, timeoutMs);
    batch(b, NFNL_MSG_BATCH_END, seq + 4);
    return new Request(bytes(b), seq + 1, 3);
  }

  /**
   * add then delete: the element is gone whether it was there or not, in one transaction.
   *
   * @param seq the batch's first sequence number; it uses {@code seq} to {@code seq + 3}
   */
  static Request revoke(String table, String set, byte[] key, int seq) {
    ByteBuffer b = buffer();
    batch(b, NFNL_MSG_BATCH_BEGIN, seq);
    element(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, seq + 1, table, set, key, 0);
    element(b, NFT_MSG_DELSETELEM, 0, seq + 2, table, set, key, 0);
    batch(b, NFNL_MSG_BATCH_END, seq + 3);
    return new Request(bytes(b), seq + 1, 2);
  }

  /** NFT_MSG_GETGEN with NLM_F_ACK: a harmless round trip (the reply, then the ack). */
  static Request getGen(int seq) {
    ByteBuffer b = buffer();
    int start = header(b, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN, NLM_F_ACK, seq);
    nfgen(b, 0, 0);
    end(b, start);
    return new Request(bytes(b), seq, 1);
  }

  private static ByteBuffer buffer() {
    return ByteBuffer.allocate(1024).order(ByteOrder.nativeOrder());
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.position()];
    System.arraycopy(b.array(), 0, out, 0, out.length);
    return out;
  }

  private static void batch(ByteBuffer b, int type, int seq) {
    int start = header(b, type, 0, seq);
    nfgen(b, 0, NFNL_SUBSYS_NFTABLES);
    end(b, start);
  }

  private static void element(ByteBuffer b, int msg, int flags, int seq, String table,
      String set, byte[] key, long timeoutMs) {
    int start = header(b, NFNL_SUBSYS_NFTABLES << 8 | msg, flags | NLM_F_ACK, seq);
    nfgen(b, NFPROTO_INET, 0);
    string(b, LIST_TABLE, table);
    string(b, LIST_SET, set);
    int list = open(b, LIST_ELEMENTS);
    int elem = open(b, LIST_ELEM);
    int k = open(b, ELEM_KEY);
    attribute(b, DATA_VALUE, key);
    close(b, k);
    if (timeoutMs > 0) {
      b.putShort((short) 12).putShort((short) ELEM_TIMEOUT).order(ByteOrder.BIG_ENDIAN)
          .putLong(timeoutMs).order(ByteOrder.nativeOrder());
    }
    close(b, elem);
    close(b, list);
    end(b, start);
  }

  /** struct nlmsghdr with its length to be filled by {@link #end}; port id 0 (the kernel). */
  private static int header(ByteBuffer b, int type, int flags, int seq) {
    int start = b.position();
    b.putInt(0).putShort((short) type).putShort((short) (flags | NLM_F_REQUEST)).putInt(seq)
        .putInt(0);
    return start;
  }

  private static void end(ByteBuffer b, int start) {
    b.putInt(start, b.position() - start);
  }

  /** struct nfgenmsg: family, version 0, resource id (big-endian). */
  private static void nfgen(ByteBuffer b, int family, int resId) {
    b.put((byte) family).put((byte) 0).put((byte) (resId >> 8)).put((byte) resId);
  }

  private static int open(ByteBuffer b, int type) {
    int p = b.position();
    b.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
    return p;
  }

  private static void close(ByteBuffer b, int p) {
    b.putShort(p, (short) (b.position() - p));
  }

  private static void string(ByteBuffer b, int type, String s) {
    byte[] text = s.getBytes(StandardCharsets.US_ASCII);
    byte[] z = new byte[text.length + 1];
    System.arraycopy(text, 0, z, 0, text.length);
    attribute(b, type, z);
  }

  private static void attribute(ByteBuffer b, int type, byte[] value) {
    b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
    while (b.position() % 4 != 0) {
      b.put((byte) 0);
    }
  }

  /**
   * Reads the acks in {@code len} bytes of received messages: counts in {@code state[0]} those of
   * {@code r} (other sequence numbers — late answers to an earlier request, GETGEN's reply — are
   * skipped).
   *
   * @return 0, or the first negative errno an ack of {@code r} carries
   * @throws IllegalArgumentException if the bytes are not whole netlink messages
   */
  static int acks(ByteBuffer in, int len, Request r, int[] state) {
    ByteBuffer b = in.duplicate().order(ByteOrder.nativeOrder());
    int p = 0;
    int error = 0;
    while (p + 16 <= len) {
      int ml = b.getInt(p);
      if (ml < 16 || p + ml > len) {
        throw new IllegalArgumentException("truncated netlink message (" + ml + " bytes at " + p
            + " of " + len + ")");
      }
      int type = b.getShort(p + 4) & 0xffff;
      int seq = b.getInt(p + 8);
      if (type == NLMSG_ERROR && ml >= 20 && seq - r.firstAck() >= 0
          && seq - r.firstAck() < r.acks()) {
        state[0]++;
        int e = b.getInt(p + 16);
        if (e != 0 && error == 0) {
          error = e;
        }
      }
      p += (ml + 3) & ~3;
    }
    return error;
  }
}
