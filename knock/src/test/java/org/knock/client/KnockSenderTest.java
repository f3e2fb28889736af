package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Knocks on loopback only. */
class KnockSenderTest {
  @TempDir java.nio.file.Path home;

  private static DatagramChannel receiver() throws Exception {
    DatagramChannel ch = DatagramChannel.open();
    ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    ch.configureBlocking(false);
    return ch;
  }

  private static int port(DatagramChannel ch) throws Exception {
    return ((InetSocketAddress) ch.getLocalAddress()).getPort();
  }

  /** Datagrams received within the time, at most {@code n}. */
  private static int received(DatagramChannel ch, int n, long ms) throws Exception {
    int got = 0;
    long end = System.nanoTime() + ms * 1_000_000L;
    ByteBuffer b = ByteBuffer.allocate(16);
    while (got < n && System.nanoTime() < end) {
      b.clear();
      if (ch.receive(b) != null) {
        assertThat(b.position()).isEqualTo(1);
        got++;
      } else {
        Thread.sleep(5);
      }
    }
    return got;
  }

  @Test
  void staticUdpSequenceSendsOneDatagramPerPort() throws Exception {
    List<DatagramChannel> rx = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        rx.add(receiver());
      }
      ClientRun c = new ClientRun(home).run("-v", "-d", "10", "127.0.0.1",
          port(rx.get(0)) + ":udp", port(rx.get(1)) + ":udp", port(rx.get(2)) + ":udp");
      assertThat(c.exit).as(c.err).isZero();
      assertThat(c.out).isEqualTo("hitting udp 127.0.0.1:" + port(rx.get(0)) + "\n"
          + "hitting udp 127.0.0.1:" + port(rx.get(1)) + "\n"
          + "hitting udp 127.0.0.1:" + port(rx.get(2)) + "\n");
      for (DatagramChannel ch : rx) {
        assertThat(received(ch, 1, 2000)).isEqualTo(1);
        assertThat(received(ch, 1, 100)).isZero();
      }
    } finally {
      for (DatagramChannel ch : rx) {
        ch.close();
      }
    }
  }

  @Test
  void dashUMakesEveryKnockUdpUnlessSaidOtherwise() throws Exception {
    try (DatagramChannel a = receiver(); DatagramChannel b = receiver()) {
      ClientRun c = new ClientRun(home).run("-u", "-v", "127.0.0.1", String.valueOf(port(a)),
          port(b) + ":tcp");
      assertThat(c.exit).as(c.err).isZero();
      assertThat(c.out).contains("hitting udp 127.0.0.1:" + port(a))
          .contains("hitting tcp 127.0.0.1:" + port(b));
      assertThat(received(a, 1, 2000)).isEqualTo(1);
      assertThat(received(b, 1, 300)).isZero();
    }
  }

  @Test
  void tcpKnocksToClosedPortsDoNotFail() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    long t0 = System.nanoTime();
    ClientRun c = new ClientRun(home).run("127.0.0.1", closed + "", closed + ":tcp");
    assertThat(c.exit).as(c.err).isZero();
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
  }

  @Test
  void tcpKnocksReachEachPortOnceInOrder() throws Exception {
    try (ServerSocket a = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      ClientRun c = new ClientRun(home).run("-v", "127.0.0.1", a.getLocalPort() + "",
          b.getLocalPort() + ":tcp");
      assertThat(c.exit).as(c.err).isZero();
      assertThat(c.out).isEqualTo("hitting tcp 127.0.0.1:" + a.getLocalPort() + "\n"
          + "hitting tcp 127.0.0.1:" + b.getLocalPort() + "\n");
      for (ServerSocket s : List.of(a, b)) { // the knock's SYN completed a handshake here
        s.setSoTimeout(2000);
        s.accept().close();
        s.setSoTimeout(200);
        assertThat(catchThrowable(s::accept)).as("one connection, not two")
            .isInstanceOf(java.net.SocketTimeoutException.class);
      }
    }
  }

  @Test
  void waitSucceedsOnceThePortAccepts() throws Exception {
    ClientRun c = new ClientRun(home);
    c.writeKey();
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      c.run("--wait", "3", "--source", "127.0.0.1", "open " + s.getLocalPort());
      assertThat(c.exit).as(c.err).isZero();
      assertThat(c.err).isEmpty();
    }
  }

  @Test
  void waitExitsWithThreeWhenThePortNeverOpens() throws Exception {
    ClientRun c = new ClientRun(home);
    c.writeKey();
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    c.run("--wait", "1", "--source", "127.0.0.1", "open " + closed);
    assertThat(c.exit).isEqualTo(3);
    assertThat(c.err).isEqualTo("knock: 127.0.0.1:" + closed + " did not open within 1 s\n");
  }
}
