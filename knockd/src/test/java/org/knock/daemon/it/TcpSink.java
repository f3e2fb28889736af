package org.knock.daemon.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A TCP listener tests start inside a namespace ({@code java -cp TEST_CLASSES TcpSink PORT SECONDS}):
 * it accepts and closes connections on PORT, and exits by itself after SECONDS.
 */
public final class TcpSink {
  private TcpSink() {}

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    long deadline = System.nanoTime() + Long.parseLong(args[1]) * 1_000_000_000L;
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(port), 50);
      server.setSoTimeout(500);
      while (System.nanoTime() < deadline) {
        try (Socket s = server.accept()) {
          s.setSoLinger(true, 0);
        } catch (SocketTimeoutException e) {
          // check the deadline
        }
      }
    }
  }
}
