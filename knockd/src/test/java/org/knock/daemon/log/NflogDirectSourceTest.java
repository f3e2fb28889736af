package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.daemon.log.NflogFixtures.SYN;
import static org.knock.daemon.log.NflogFixtures.ipv4;
import static org.knock.daemon.log.NflogFixtures.packet;
import static org.knock.daemon.log.NflogFixtures.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.daemon.netlink.NetfilterChannel;

/**
 * The direct NFLOG reader's socket owner, with a fake socket that answers the bind request as the
 * kernel does (ack or error) and then hands out queued datagrams (NflogIT runs the real one).
 */
class NflogDirectSourceTest {
  private static final int[] A = {10, 0, 0, 2};
  private static final int[] B = {10, 0, 0, 1};

  @TempDir Path dir;

  /** A socket whose bind is refused with {@code refusals} errors first, then acked. */
  private static final class FakeChannel implements NflogDirectSource.Channel {
    final BlockingQueue<byte[]> datagrams = new LinkedBlockingQueue<>();
    final int error;
    int ackSeq = -1;

    FakeChannel(int error) {
      this.error = error;
    }

    @Override
    public long send(byte[] bytes) {
      ackSeq = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).getInt(8);
      return bytes.length;
    }

    @Override
    public int receive(ByteBuffer into) {
      byte[] d;
      if (ackSeq != -1) {
        d = NflogFixtures.ack(ackSeq, error);
        ackSeq = -1;
      } else {
        try {
          d = datagrams.poll(20, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return -NetfilterChannel.EINTR;
        }
        if (d == null) {
          return -NetfilterChannel.EAGAIN;
        }
        if (d.length == 0) {
          return -NetfilterChannel.ENOBUFS;
        }
      }
      into.clear();
      into.put(d);
      return d.length;
    }

    @Override
    public void close() {}
  }

  /** The source run on a thread of its own; closing it must end that thread within 1 s. */
  private static final class Running implements AutoCloseable {
    private final LineSource source;
    private final Thread thread;

    Running(LineSource source, LineSink sink) {
      this.source = source;
      this.thread = new Thread(() -> {
        try {
          source.run(sink);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      source.close();
      thread.join(1000);
      assertThat(thread.isAlive()).as("run() still running 1 s after close()").isFalse();
    }
  }

  /** Waits until {@code done} holds, at most {@code seconds}; the caller asserts what it needs. */
  private static void awaitUpTo(int seconds, java.util.function.BooleanSupplier done)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!done.getAsBoolean() && System.nanoTime() < end) {
      Thread.sleep(5);
    }
  }

  private static byte[] knock(String prefix, int port, long seq) {
    return packet(prefix, ipv4(A, B, 6, tcp(40000, port, SYN)), seq, -1);
  }

  @Test
  void aGroupBoundByAnotherProcessIsLostWithOneLineThenRecoveredWhenFree() throws Exception {
    Path bound = Files.writeString(dir.resolve("nfnetlink_log"),
        "    7   4242      0 2   256       1   1\n");
    FakeChannel good = new FakeChannel(0);
    List<FakeChannel> sockets = new CopyOnWriteArrayList<>(List.of(
        new FakeChannel(-NetfilterChannel.EPERM), new FakeChannel(-NetfilterChannel.EPERM), good));
    int[] opened = {0};
    RecordingListener listener = new RecordingListener();
    NflogDirectSource source = new NflogDirectSource(7, () -> sockets.get(opened[0]++), bound,
        listener, i -> "");
    List<String> lines = new CopyOnWriteArrayList<>();
    try (Running running = new Running(source, lines::add)) {
      assertThat(source.awaitStarted(5, TimeUnit.SECONDS)).isTrue();
      good.datagrams.add(knock("KN: ", 1001, 1));
      awaitUpTo(3, () -> !lines.isEmpty());
    }
    assertThat(opened[0]).isEqualTo(3);
    assertThat(listener.events()).containsExactly("lost NFLOG group 7 is bound by another process "
        + "(netlink portid 4242: a ulogd, or another knockd?); stop it or use another group",
        "recovered");
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).startsWith("KN: IN= OUT= SRC=10.0.0.2 DST=10.0.0.1 ");
  }

  @Test
  void aRefusalWithTheGroupFreeSaysTheErrno() throws Exception {
    Path bound = Files.writeString(dir.resolve("nfnetlink_log"), "");
    RecordingListener listener = new RecordingListener();
    NflogDirectSource source = new NflogDirectSource(7,
        () -> new FakeChannel(-NetfilterChannel.EPERM), bound, listener, i -> "");
    try (Running running = new Running(source, l -> { })) {
      assertThat(source.awaitStarted(300, TimeUnit.MILLISECONDS)).isFalse();
    }
    assertThat(listener.events()).containsExactly("lost the kernel refused to bind NFLOG group 7:"
        + " errno 1 (EPERM: knockd needs CAP_NET_ADMIN)");
  }

  @Test
  void aReceiveThatFailsDuringTheBindIsLostAtOnceNotSpunOnForASecond() throws Exception {
    RecordingListener listener = new RecordingListener();
    int[] receives = {0};
    NflogDirectSource source = new NflogDirectSource(7, () -> new NflogDirectSource.Channel() {
      @Override
      public long send(byte[] bytes) {
        return bytes.length;
      }

      @Override
      public int receive(ByteBuffer into) {
        receives[0]++;
        return -9; // EBADF: no timeout, no ack will ever come
      }

      @Override
      public void close() {}
    }, dir.resolve("none"), listener, i -> "");
    try (Running running = new Running(source, l -> { })) {
      awaitUpTo(2, () -> !listener.events().isEmpty());
      assertThat(listener.events()).containsExactly(
          "lost netlink recv() failed during the NFLOG bind of group 7: errno 9");
    }
    assertThat(receives[0]).as("receives before the report").isLessThan(10);
  }

  @Test
  void aSocketThatCannotBeOpenedIsLost() throws Exception {
    RecordingListener listener = new RecordingListener();
    NflogDirectSource source = new NflogDirectSource(7, () -> {
      throw new IOException("no module jdk.incubator.foreign");
    }, dir.resolve("none"), listener, i -> "");
    try (Running running = new Running(source, l -> { })) {
      assertThat(source.awaitStarted(300, TimeUnit.MILLISECONDS)).isFalse();
    }
    assertThat(listener.events()).containsExactly(
        "lost cannot open a netlink socket: no module jdk.incubator.foreign");
  }

  @Test
  void gapsInTheSequenceAndEnobufsAreOverrunsAtMostOnceASecondWithTheCount() throws Exception {
    FakeChannel socket = new FakeChannel(0);
    RecordingListener listener = new RecordingListener();
    NflogDirectSource source = new NflogDirectSource(7, () -> socket, dir.resolve("none"),
        listener, i -> "");
    List<String> lines = new CopyOnWriteArrayList<>();
    LineFilter only = LineFilter.containing("KN:");
    try (Running running = new Running(source, LineSink.filtered(() -> only,
        lines::add))) {
      assertThat(source.awaitStarted(5, TimeUnit.SECONDS)).isTrue();
      socket.datagrams.add(knock("KN: ", 1001, 10));
      socket.datagrams.add(knock("OTHER: ", 1002, 11)); // not wanted: dropped, still counted
      socket.datagrams.add(knock("KN: ", 1003, 15)); // 12, 13, 14 lost
      socket.datagrams.add(knock("KN: ", 1004, 20)); // 16..19 lost: reported a second later
      awaitUpTo(3, () -> listener.events().size() >= 2);
      Thread.sleep(1000);
      socket.datagrams.add(new byte[0]); // ENOBUFS, then nothing: a count the reader cannot know
      awaitUpTo(3, () -> listener.events().size() >= 3);
      Thread.sleep(1000);
      socket.datagrams.add(new byte[0]); // ENOBUFS, then a packet: its gap is the count
      socket.datagrams.add(knock("KN: ", 1005, 30));
      awaitUpTo(3, () -> listener.events().size() >= 4);
    }
    assertThat(lines).hasSize(4).allMatch(l -> l.startsWith("KN: "));
    assertThat(listener.events()).containsExactly("overrun 3", "overrun 4", "overrun -1",
        "overrun 9");
  }

  @Test
  void aGapAcrossTheWrapOfTheSequenceNumberIsCounted() throws Exception {
    FakeChannel socket = new FakeChannel(0);
    RecordingListener listener = new RecordingListener();
    NflogDirectSource source = new NflogDirectSource(7, () -> socket, dir.resolve("none"),
        listener, i -> "");
    List<String> lines = new CopyOnWriteArrayList<>();
    try (Running running = new Running(source, lines::add)) {
      assertThat(source.awaitStarted(5, TimeUnit.SECONDS)).isTrue();
      socket.datagrams.add(knock("KN: ", 1001, 0xfffffffeL));
      socket.datagrams.add(knock("KN: ", 1002, 1)); // 0xffffffff and 0 lost
      awaitUpTo(3, () -> !listener.events().isEmpty());
    }
    assertThat(lines).hasSize(2);
    assertThat(listener.events()).containsExactly("overrun 2");
  }
}
