package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A flood of SYNs from random source addresses, each a real non-blocking {@code connect()} from a
 * socket bound to that address and then closed (a socket closed in SYN-SENT sends nothing more).
 * The sending namespace must own the IPv4 sources ({@code ip route add local 198.18.0.0/15 dev lo})
 * and allow binding foreign IPv6 addresses ({@code sysctl net.ipv6.ip_nonlocal_bind=1}): see
 * {@link #prepare}. It sends to its peer only. Sources never repeat: IPv4
 * sources walk 198.18.0.0/15 with an odd stride; IPv6 sources are distinct /128s, a quarter from
 * one /64 ({@code fd99:ffff::/64}, random interface ids: a /64 flooding with privacy addresses)
 * and the rest each from a random /64 of {@code fd99::/16} (~4 sources per /64 when the pool is
 * count / 4). Destination ports are random in [lo, hi]. Paced to {@code pps} per second, in 1 ms
 * steps; at most {@code count} SYNs, at most {@code count / pps + 5} seconds. Prints the number
 * sent and failed. Seeded: the same arguments send the same packets. With POOL, the sources are
 * the first POOL of that walk, taken in turn: each sends again and again (bench/junk.sh's case b,
 * sources whose ports soon cover every position of the indexed range).
 *
 * <p>usage: {@code SynFlood SERVER LO-HI COUNT PPS SEED [POOL]}; SERVER's family chooses the
 * sources'.
 */
public final class SynFlood {
  private SynFlood() {}

  /** A SynFlood running in a namespace, its output in two files. */
  record Run(Process process, Path out, Path err, int count, int pps) {
    /**
     * Waits for its end (at most count / pps + 10 s), asserts that it sent all its SYNs, and
     * returns its report ("sent N failed 0 in T ms").
     */
    String awaitSent() throws IOException, InterruptedException {
      assertThat(process.waitFor(count / pps + 10, TimeUnit.SECONDS)).as("SynFlood ended")
          .isTrue();
      String report = Files.readString(out).strip();
      assertThat(report).as("SynFlood: %s", Files.readString(err))
          .startsWith("sent " + count + " failed 0");
      return report;
    }
  }

  /**
   * Starts SynFlood in {@code ns} ({@link #prepare}d): {@code count} SYNs at {@code pps} to
   * {@code server}'s ports {@code range} ("LO-HI"), from {@code pool} sources in turn (0: each
   * new); its output goes to {@code dir}/{@code name}.out and .err.
   */
  static Run start(Netns ns, String server, String range, int count, int pps, long seed,
      int pool, Path dir, String name) throws IOException {
    Path out = dir.resolve(name + ".out");
    Path err = dir.resolve(name + ".err");
    Process p = ns.start(Probes.javaMain(SynFlood.class, server, range, String.valueOf(count),
        String.valueOf(pps), String.valueOf(seed), String.valueOf(pool)), out, err);
    return new Run(p, out, err, count, pps);
  }

  /** Lets namespace {@code ns} send from SynFlood's source addresses (both families). */
  static void prepare(Netns ns) {
    ns.exec("ip", "route", "add", "local", "198.18.0.0/15", "dev", "lo").ok();
    ns.exec("sysctl", "-qw", "net.ipv6.ip_nonlocal_bind=1").ok();
  }

  public static void main(String[] args) throws IOException {
    InetAddress server = InetAddress.getByName(args[0]);
    String[] range = args[1].split("-");
    int lo = Integer.parseInt(range[0]);
    int hi = Integer.parseInt(range[1]);
    int count = Integer.parseInt(args[2]);
    int pps = Integer.parseInt(args[3]);
    Random random = new Random(Long.parseLong(args[4]));
    boolean v6 = server.getAddress().length == 16;
    Sources sources = new Sources(random, v6, count);
    InetAddress[] pool = new InetAddress[args.length > 5 ? Integer.parseInt(args[5]) : 0];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = sources.next();
    }
    long start = System.nanoTime();
    long deadline = start + (count / Math.max(1, pps) + 5) * 1_000_000_000L;
    int sent = 0;
    int failed = 0;
    while (sent + failed < count && System.nanoTime() < deadline) {
      long due = start + (long) (sent + failed) * 1_000_000_000L / pps;
      long wait = due - System.nanoTime();
      if (wait > 1_000_000) {
        LockSupport.parkNanos(wait);
      }
      int port = lo + random.nextInt(hi - lo + 1);
      try (SocketChannel ch = SocketChannel.open(v6 ? StandardProtocolFamily.INET6
          : StandardProtocolFamily.INET)) {
        ch.configureBlocking(false);
        InetAddress from = pool.length > 0 ? pool[(sent + failed) % pool.length] : sources.next();
        ch.bind(new InetSocketAddress(from, 0));
        ch.connect(new InetSocketAddress(server, port));
        sent++;
      } catch (IOException e) {
        if (failed++ == 0) {
          System.err.println("SynFlood: " + e);
        }
      }
    }
    System.out.println("sent " + sent + " failed " + failed + " in "
        + (System.nanoTime() - start) / 1_000_000 + " ms");
  }

  /** Distinct source addresses, as described above. */
  static final class Sources {
    private final Random random;
    private final boolean v6;
    private final long[] nets;
    private int v4;
    private long iid;
    private int n;

    Sources(Random random, boolean v6, int count) {
      this.random = random;
      this.v6 = v6;
      this.v4 = random.nextInt();
      this.iid = random.nextLong();
      this.nets = new long[Math.max(1, count / 4)];
      for (int i = 0; i < nets.length; i++) {
        nets[i] = 0xfd99_0000_0000_0000L | (random.nextLong() >>> 16);
      }
    }

    InetAddress next() throws IOException {
      n++;
      if (!v6) {
        v4 += 0x9E37_79B1; // odd: 2^17 steps of the low 17 bits visit each once
        int a = 0xC612_0000 | (v4 & 0x1FFFF); // 198.18.0.0/15
        return InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16),
            (byte) (a >>> 8), (byte) a});
      }
      iid += 0x9E37_79B9_7F4A_7C15L; // odd: distinct interface ids
      long net = n % 4 == 0 ? 0xfd99_ffff_0000_0000L : nets[random.nextInt(nets.length)];
      byte[] b = new byte[16];
      for (int i = 0; i < 8; i++) {
        b[i] = (byte) (net >>> (56 - 8 * i));
        b[8 + i] = (byte) (iid >>> (56 - 8 * i));
      }
      return InetAddress.getByAddress(b);
    }
  }
}
