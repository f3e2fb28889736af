package org.knock.daemon;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.knock.daemon.log.LoggedPacket;
import org.knock.daemon.log.PacketHandler;
import org.knock.daemon.log.Transport;

/**
 * knockd's start-up self-test: one TCP SYN from 127.0.0.1 to a knock port, and a wait of at most
 * {@link #WAIT_MS} for its LOG line to come back through the configured log source. Loopback
 * traffic passes the input hook (interface lo), so the same LOG rule that logs knocks logs the
 * probe. If the line does not come, the kernel's ring ({@code dmesg}) tells which link is broken:
 * no LOG line at all (rules, LogPrefix, nf_log_all_netns in a container), or a LOG line the source
 * did not deliver (journald or rsyslog not running or filtering).
 *
 * <p>The probe is recognised exactly, by its whole address and port tuple (127.0.0.1:its own
 * source port to 127.0.0.1:the knock port, TCP; no other host can send from 127.0.0.1), and
 * {@link #guard} stops it before the pipeline: it never counts as a knock, a scan or a hunt.
 */
final class SelfTest {
  /** How long the probe's LOG line may take. */
  static final long WAIT_MS = 2000;
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  /** What the self-test found; {@link #word} is the audit's {@code result=}. */
  enum Result {
    OK("ok"),
    NO_LOG_LINE("no-log-line"),
    SOURCE_SILENT("source-silent"),
    NOT_DELIVERED("not-delivered"),
    NOT_SENT("not-sent");

    final String word;

    Result(String word) {
      this.word = word;
    }
  }

  /** A result and the one line that explains it. */
  record Outcome(Result result, int port, String message) {}

  /** Reads the kernel's ring buffer, as {@code dmesg} prints it. */
  @FunctionalInterface
  interface KernelRing {
    /** @throws IOException when the ring cannot be read (e.g. dmesg_restrict without CAP_SYSLOG) */
    String read() throws IOException;
  }

  private final KernelRing ring;
  private final Path procNetfilter;
  private volatile int probeSourcePort = -1;
  private volatile int probePort = -1;
  private volatile CountDownLatch seen = new CountDownLatch(1);

  SelfTest() {
    this(SelfTest::dmesg, Path.of("/proc/sys/net/netfilter"));
  }

  /**
   * @param ring the kernel's ring buffer
   * @param procNetfilter /proc/sys/net/netfilter: without nf_log_all_netns in it, this is a
   *     network namespace other than the host's
   */
  SelfTest(KernelRing ring, Path procNetfilter) {
    this.ring = ring;
    this.procNetfilter = procNetfilter;
  }

  /**
   * Armed as after a probe whose ports no packet has (no real port is 0): for JitWarmup, so that
   * its guard takes the branches the daemon's takes once its start-up self-test has run.
   */
  SelfTest armedForWarmUp() {
    probeSourcePort = 0;
    probePort = 0;
    return this;
  }

  /** Packets of the probe stop here; every other packet goes on to {@code next}. */
  PacketHandler guard(PacketHandler next) {
    return p -> {
      if (isProbe(p)) {
        seen.countDown();
      } else {
        next.onPacket(p);
      }
    };
  }

  /** The last probe's source port, -1 before the first. */
  int probeSourcePort() {
    return probeSourcePort;
  }

  boolean isProbe(LoggedPacket p) {
    return probePort >= 0 && p.transport() == Transport.TCP
        && p.sourcePort() == probeSourcePort && p.destinationPort() == probePort
        && p.source().equals(LOOPBACK) && p.destination().equals(LOOPBACK);
  }

  /**
   * Sends the probe to {@code port} and waits for it.
   *
   * @param prefix the LOG prefix (trimmed) the line carries
   * @param source the log source's spec: a path, kmsg, journal
   * @param ownRules whether knockd wrote the LOG rule itself (managed nftables or iptables)
   */
  Outcome run(int port, String prefix, String source, boolean ownRules)
      throws InterruptedException {
    CountDownLatch latch = new CountDownLatch(1);
    seen = latch;
    int sourcePort;
    long t0 = System.nanoTime();
    try (SocketChannel ch = SocketChannel.open()) {
      ch.configureBlocking(false);
      ch.bind(new InetSocketAddress(LOOPBACK, 0));
      sourcePort = ((InetSocketAddress) ch.getLocalAddress()).getPort();
      probeSourcePort = sourcePort;
      probePort = port;
      try {
        ch.connect(new InetSocketAddress(LOOPBACK, port));
      } catch (IOException refused) {
        // a reset (KnockReply = reset) may end the attempt at once: the SYN went out
      }
      if (latch.await(WAIT_MS, TimeUnit.MILLISECONDS)) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        return new Outcome(Result.OK, port, "self-test passed: the probe SYN from "
            + LOOPBACK.getHostAddress() + " to knock port " + port + " came back through "
            + source + " in " + ms + " ms");
      }
    } catch (IOException e) {
      return new Outcome(Result.NOT_SENT, port, "self-test failed: cannot send the probe SYN "
          + "from " + LOOPBACK.getHostAddress() + " to port " + port + ": " + e.getMessage()
          + " (is loopback up?)");
    }
    return diagnose(port, sourcePort, prefix, source, ownRules);
  }

  Outcome diagnose(int port, int sourcePort, String prefix, String source,
      boolean ownRules) {
    String probe = "the probe SYN (" + LOOPBACK.getHostAddress() + ":" + sourcePort + " -> "
        + LOOPBACK.getHostAddress() + ":" + port + ", prefix \"" + prefix + "\")";
    String rules = ownRules
        ? "knockd's own LOG rule did not log it"
        : "your ruleset must log TCP SYNs to the knock ports with LogPrefix \"" + prefix
            + "\", from loopback too (before any 'iif lo accept')";
    String netns = inOtherNetns()
        ? "; knockd runs in a network namespace other than the host's (a container): there "
            + "the kernel logs only if the host sets net.netfilter.nf_log_all_netns = 1"
        : "";
    if (source.startsWith("nflog:")) { // NFLOG records never reach the kernel's ring
      return new Outcome(Result.NOT_DELIVERED, port, "self-test failed: " + probe
          + " did not come back through " + source + " within " + WAIT_MS + " ms: "
          + (ownRules ? "knockd's own NFLOG rule did not log it" : "your ruleset must log TCP "
          + "SYNs to the knock ports with 'log group " + source.substring(6) + " prefix \""
          + prefix + "\"', from loopback too") + ", or ulogd does not read the group (see "
          + "the audit log's source-lost)");
    }
    String text;
    try {
      text = ring.read();
    } catch (IOException e) {
      return new Outcome(Result.NOT_DELIVERED, port, "self-test failed: " + probe
          + " did not come back through " + source + " within " + WAIT_MS + " ms, and the "
          + "kernel's ring cannot be read to tell why (" + e.getMessage() + "): either the "
          + "kernel logged no LOG line (" + rules + netns + ") or " + sourceHint(source));
    }
    if (inRing(text, prefix, sourcePort, port)) {
      return new Outcome(Result.SOURCE_SILENT, port, "self-test failed: the kernel logged "
          + probe + " but " + source + " did not deliver it within " + WAIT_MS + " ms: "
          + sourceHint(source));
    }
    return new Outcome(Result.NO_LOG_LINE, port, "self-test failed: the kernel logged no LOG "
        + "line for " + probe + ": " + rules + netns);
  }

  /** Why a source may miss a line the kernel logged. */
  static String sourceHint(String source) {
    switch (source) {
      case "journal":
        return "journald is not running or not storing kernel messages (check "
            + "'journalctl -k' and journald.conf's ReadKMsg/MaxLevelStore)";
      case "kmsg":
        return "knockd cannot read /dev/kmsg (with kernel.dmesg_restrict = 1 it needs "
            + "CAP_SYSLOG): use a syslog file or the journal";
      default:
        return "nothing writes kernel messages to " + source + " (rsyslog not running, or "
            + "not writing kern.* there, or filtering them)";
    }
  }

  static boolean inRing(String ring, String prefix, int sourcePort, int port) {
    String addrs = "SRC=" + LOOPBACK.getHostAddress() + " DST=" + LOOPBACK.getHostAddress() + " ";
    String ports = "SPT=" + sourcePort + " DPT=" + port + " ";
    return ring.lines().anyMatch(l -> l.contains(prefix) && l.contains(addrs)
        && l.contains(ports));
  }

  private boolean inOtherNetns() {
    return Files.isDirectory(procNetfilter)
        && !Files.exists(procNetfilter.resolve("nf_log_all_netns"));
  }

  private static String dmesg() throws IOException {
    Process p = new ProcessBuilder("dmesg").redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("dmesg did not finish");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException("dmesg: " + text.lines().findFirst().orElse("exit "
            + p.exitValue()));
      }
      return text;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted");
    }
  }
}
