package org.knock.daemon.it;

import org.knock.daemon.netlink.KmsgChannel;
import org.knock.daemon.netlink.KnockPorts;

/**
 * Run by {@link KmsgWakeIT} inside a namespace (a packet socket sees its own namespace's
 * packets): opens {@link KmsgChannel} for ports LOW to HIGH, prints {@code wake: on} or
 * {@code wake: REASON}, then {@code ready}, then {@code packet} each time a wait ends for a packet
 * to those ports, for at most SECONDS; then {@code done}.
 */
public final class KmsgWakeDriver {
  private KmsgWakeDriver() {}

  public static void main(String[] args) throws Exception {
    int low = Integer.parseInt(args[0]);
    int high = Integer.parseInt(args[1]);
    long end = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
    try (KmsgChannel ch = KmsgChannel.open(new KnockPorts(low, high, true))) {
      String problem = ch.wakeProblem();
      System.out.println("wake: " + (problem == null ? "on" : problem));
      System.out.println("ready");
      System.out.flush();
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(16 * 1024);
      for (int i = 0; i < 10_000 && System.nanoTime() - end < 0; i++) {
        while (ch.read(buf) > 0) { // the records are not what this checks: keep the fd quiet
          buf.clear();
        }
        if (ch.await(100)) {
          System.out.println("packet");
          System.out.flush();
        }
      }
    }
    System.out.println("done");
  }
}
