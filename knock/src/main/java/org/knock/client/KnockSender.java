package org.knock.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;

/**
 * The only class of the client that opens sockets. A TCP knock is a non-blocking connect, closed
 * right after the SYN has left (so the kernel never retransmits it); a UDP knock is one 1-byte
 * datagram. Knocks go out in the order given.
 */
final class KnockSender {
  private static final byte[] ONE_BYTE = {0};

  private KnockSender() {}

  /**
   * Looks up the JDK's selector provider, which the first NIO channel otherwise does before the
   * first SYN (~8 ms: a service-loader scan of every module). {@link Main} calls it while Bouncy
   * Castle is being set up on another thread, before it needs the key.
   */
  static void findProvider() {
    java.nio.channels.spi.SelectorProvider.provider();
  }

  /**
   * Sends one knock per port, waiting {@code delayMs} between knocks.
   *
   * @param udp per knock: true for a datagram, false for a SYN
   * @throws IOException when the host cannot be reached (e.g. network unreachable)
   */
  static void send(InetAddress host, int[] ports, boolean[] udp, int delayMs)
      throws IOException, InterruptedException {
    ProtocolFamily family = family(host);
    for (int i = 0; i < ports.length; i++) {
      if (i > 0 && delayMs > 0) {
        Thread.sleep(delayMs);
      }
      InetSocketAddress to = new InetSocketAddress(host, ports[i]);
      if (udp[i]) {
        try (DatagramChannel ch = DatagramChannel.open(family)) {
          ch.send(ByteBuffer.wrap(ONE_BYTE), to);
        }
      } else {
        syn(family, to);
      }
    }
  }

  private static ProtocolFamily family(InetAddress host) {
    return host instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
  }

  private static void syn(ProtocolFamily family, InetSocketAddress to) throws IOException {
    try (SocketChannel ch = SocketChannel.open(family)) {
      ch.configureBlocking(false);
      ch.connect(to); // the SYN leaves inside connect(); closing now stops retransmits
    } catch (ConnectException refusedAtOnce) {
      // a local peer may refuse synchronously: the SYN was sent all the same
    }
  }

  /**
   * This machine's source address toward a host, as the routing table chooses it. Connecting a
   * UDP socket sends nothing.
   *
   * @throws IOException when there is no route
   */
  static InetAddress localAddressToward(InetAddress host) throws IOException {
    // a channel rather than a DatagramSocket, which wraps one in an adaptor (more classes and
    // lambdas at start-up); the channel the UDP knocks use too
    try (DatagramChannel ch = DatagramChannel.open(family(host))) {
      ch.connect(new InetSocketAddress(host, 9));
      InetAddress local = ((InetSocketAddress) ch.getLocalAddress()).getAddress();
      if (local == null || local.isAnyLocalAddress()) {
        throw new IOException("no route to " + host.getHostAddress());
      }
      return local;
    }
  }

  /** Tries one TCP connection to the address within the timeout, and closes it at once. */
  static DoorWaiter.Outcome tryConnect(InetSocketAddress to, int timeoutMs) {
    try (Socket s = new Socket()) {
      s.connect(to, timeoutMs);
      return DoorWaiter.Outcome.OPEN;
    } catch (SocketTimeoutException e) {
      return DoorWaiter.Outcome.TIMED_OUT;
    } catch (IOException e) {
      return DoorWaiter.Outcome.REFUSED;
    }
  }
}
