package org.knock.daemon.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The writer's ack discipline over a fake socket: it succeeds only on every ack of its request. */
class SetElementWriterTest {
  private static final byte[] KEY = new byte[12];

  /** Answers each send with the acks a script gives for its sequence numbers. */
  private static final class FakeSocket implements NetlinkSocket {
    final List<byte[]> sent = new ArrayList<>();
    final Deque<byte[]> queued = new ArrayDeque<>();
    long sendResult = -2; // -2: the full length
    int[] errors = {}; // per ack of the request; missing: no ack
    boolean closed;

    @Override
    public long send(byte[] bytes) {
      sent.add(bytes);
      ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
      int p = 0;
      int ack = 0;
      while (p < bytes.length) {
        int len = in.getInt(p);
        int flags = in.getShort(p + 6);
        if ((flags & NftMessages.NLM_F_ACK) != 0 && ack < errors.length) {
          queued.add(ack(in.getInt(p + 8), errors[ack]));
        }
        if ((flags & NftMessages.NLM_F_ACK) != 0) {
          ack++;
        }
        p += len;
      }
      return sendResult == -2 ? bytes.length : sendResult;
    }

    @Override
    public long receive(ByteBuffer into) {
      byte[] m = queued.poll();
      if (m == null) {
        return -1;
      }
      into.clear();
      into.put(m);
      return m.length;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  static byte[] ack(int seq, int error) {
    ByteBuffer b = ByteBuffer.allocate(36).order(ByteOrder.nativeOrder());
    b.putInt(36).putShort((short) NftMessages.NLMSG_ERROR).putShort((short) 0).putInt(seq)
        .putInt(0).putInt(error).putInt(20).putInt(0).putInt(seq).putInt(0);
    return b.array();
  }

  @Test
  void aGrantSucceedsOnItsThreeAcks() throws Exception {
    FakeSocket s = new FakeSocket();
    s.errors = new int[] {0, 0, 0};
    SetElementWriter w = new SetElementWriter(s, 1000);
    w.grant("knockd", "granted", KEY, 60_000);
    w.revoke("knockd", "granted", KEY);
    assertThat(s.sent).hasSize(2);
    assertThat(ByteBuffer.wrap(s.sent.get(1)).order(ByteOrder.nativeOrder()).getInt(8))
        .as("the revoke's batch follows the grant's five sequence numbers").isEqualTo(1005);
  }

  @Test
  void anErrorAckFailsTheCall() {
    FakeSocket s = new FakeSocket();
    s.errors = new int[] {-2, 0, 0};
    SetElementWriter w = new SetElementWriter(s, 1);
    assertThatThrownBy(() -> w.grant("knockd", "granted", KEY, 60_000))
        .isInstanceOf(NetlinkException.class).hasMessageContaining("errno 2 (ENOENT");
  }

  @Test
  void missingAcksFailTheCallWithinTheBound() {
    FakeSocket s = new FakeSocket();
    s.errors = new int[] {0, 0}; // the third never comes
    SetElementWriter w = new SetElementWriter(s, 1);
    long t = System.nanoTime();
    assertThatThrownBy(() -> w.grant("knockd", "granted", KEY, 60_000))
        .isInstanceOf(NetlinkException.class).hasMessageContaining("2 of 3 acks");
    assertThat(System.nanoTime() - t).isLessThan(SetElementWriter.ACK_WAIT_NANOS * 50);
  }

  @Test
  void aShortSendFailsTheCall() {
    FakeSocket s = new FakeSocket();
    s.errors = new int[] {0, 0, 0};
    s.sendResult = 20;
    SetElementWriter w = new SetElementWriter(s, 1);
    assertThatThrownBy(() -> w.grant("knockd", "granted", KEY, 60_000))
        .isInstanceOf(NetlinkException.class).hasMessageContaining("returned 20");
  }

  @Test
  void staleAcksOfAnEarlierRequestDoNotCount() throws Exception {
    FakeSocket s = new FakeSocket();
    s.errors = new int[] {0, 0};
    SetElementWriter w = new SetElementWriter(s, 1);
    assertThatThrownBy(() -> w.grant("knockd", "granted", KEY, 60_000))
        .isInstanceOf(NetlinkException.class);
    s.queued.add(ack(4, 0)); // the failed grant's third ack, late
    s.queued.add(ack(4, 0));
    s.errors = new int[] {0, 0};
    w.revoke("knockd", "granted", KEY); // drains them first, then counts its own two
    assertThat(s.queued).isEmpty();
    s.errors = new int[] {0};
    s.queued.add(ack(3, 0)); // an old ack still queued: drained, not counted
    assertThatThrownBy(() -> w.revoke("knockd", "granted", KEY))
        .isInstanceOf(NetlinkException.class).hasMessageContaining("1 of 2 acks");
  }

  @Test
  void closeClosesTheSocket() {
    FakeSocket s = new FakeSocket();
    new SetElementWriter(s, 1).close();
    assertThat(s.closed).isTrue();
  }
}
