package org.knock.daemon.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A long-lived TCP connection for tests, started inside a namespace ({@code java -cp
 * TEST_CLASSES TcpEcho ...}): {@code serve PORT SECONDS} echoes every byte on each connection
 * (exits after SECONDS); {@code hold HOST PORT SECONDS} connects, exchanges one byte, waits
 * SECONDS, exchanges another on the same connection, and exits 0 only if both came back;
 * {@code from LOCAL_PORT HOST PORT} connects from that local port (exit 0; a reset during the
 * connect counts: the handshake was done), then waits ≤ 2 s for the server's reset or end before
 * closing, so a server that resets (TcpSink) ends the connection without a FIN of ours; exit 1
 * if the connect is refused or times out (2 s).
 */
public final class TcpEcho {
  private TcpEcho() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args[0].equals("serve")) {
      serve(Integer.parseInt(args[1]), Long.parseLong(args[2]));
    } else if (args[0].equals("from")) {
      System.exit(from(Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3])) ? 0 : 1);
    } else {
      System.exit(hold(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3])) ? 0 : 1);
    }
  }

  private static void serve(int port, long seconds) throws IOException {
    TcpSink.serve(port, seconds, s -> {
      Thread t = new Thread(() -> echo(s));
      t.setDaemon(true);
      t.start();
    });
  }

  private static void echo(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      for (int b = in.read(); b >= 0; b = in.read()) {
        out.write(b);
        out.flush();
      }
    } catch (IOException e) {
      // the peer went away
    }
  }

  private static boolean hold(String host, int port, long seconds)
      throws IOException, InterruptedException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      s.setSoTimeout(3000);
      if (!exchange(s, 'a')) {
        return false;
      }
      Thread.sleep(seconds * 1000);
      boolean ok = exchange(s, 'b');
      System.out.println(ok ? "held" : "lost");
      return ok;
    } catch (IOException e) {
      System.out.println("lost: " + e.getMessage());
      return false;
    }
  }

  private static boolean from(int localPort, String host, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(localPort));
      try {
        s.connect(new InetSocketAddress(host, port), 2000);
      } catch (java.net.SocketException e) {
        boolean reset = String.valueOf(e.getMessage()).contains("reset");
        System.out.println((reset ? "connected, reset: " : "not connected: ") + e.getMessage());
        return reset;
      } catch (java.net.SocketTimeoutException e) {
        System.out.println("not connected: timed out");
        return false;
      }
      System.out.println("connected");
      s.setSoTimeout(2000);
      try {
        s.getInputStream().read(); // the server's reset (or end) comes before our close
      } catch (IOException e) {
        // reset: what TcpSink does
      }
      return true;
    }
  }

  private static boolean exchange(Socket s, char c) throws IOException {
    s.getOutputStream().write(c);
    s.getOutputStream().flush();
    return s.getInputStream().read() == c;
  }
}
