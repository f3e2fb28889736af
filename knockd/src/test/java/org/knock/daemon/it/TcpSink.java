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
    serve(Integer.parseInt(args[0]), Long.parseLong(args[1]), s -> {
      try (s) {
        s.setSoLinger(true, 0);
      }
    });
  }

  /** What to do with one accepted connection (it owns the socket). */
  interface Handler {
    void handle(Socket s) throws IOException;
  }

  /** Accepts connections on {@code port} for {@code seconds}, each handed to {@code handler}. */
  static void serve(int port, long seconds, Handler handler) throws IOException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(port), 50);
      server.setSoTimeout(500);
      while (System.nanoTime() < deadline) {
        try {
          handler.handle(server.accept());
        } catch (SocketTimeoutException e) {
          // check the deadline
        }
      }
    }
  }
}
