package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.knock.daemon.log.LineSource;
import org.knock.daemon.log.LineSources;
import org.knock.daemon.log.LoggedPacket;
import org.knock.daemon.log.NetfilterLogParser;
import org.knock.daemon.log.SourceListener;
import org.knock.daemon.log.Transport;

/** Real kernel LOG lines, read through /dev/kmsg and parsed (root; namespaces in 10.201.9.0/24). */
class KmsgSourceIT {
  private static final SourceListener QUIET = new SourceListener() {
    @Override
    public void lost(String source, String reason) {
      throw new AssertionError("lost " + source + ": " + reason);
    }

    @Override
    public void recovered(String source) {}

    @Override
    public void overrun(String source, long linesLost) {}
  };

  @ParameterizedTest(name = "KmsgPoll = {0} ms")
  @ValueSource(strings = {"off", "1"})
  void synsLoggedInANamespaceArriveThroughKmsgAndOnlyThoseAfterTheStart(String poll)
      throws Exception {
    byte[] r = new byte[3];
    new SecureRandom().nextBytes(r);
    String prefix = "KNLOGIT" + HexFormat.of().formatHex(r) + ":";
    try (NetnsPair pair = new NetnsPair("kl", "10.201.9")) {
      pair.server.exec("nft", "add table inet knlogit").ok();
      pair.server.exec("nft", "add chain inet knlogit input { type filter hook input priority 0;"
          + " policy accept; }").ok();
      pair.server.exec("nft", "add rule inet knlogit input tcp dport 1500-1599 tcp flags & "
          + "(syn|ack) == syn log prefix \"" + prefix + " \" drop").ok();
      syn(pair, 1500); // before the source starts: must not arrive
      Thread.sleep(100);
      List<LoggedPacket> packets = Collections.synchronizedList(new ArrayList<>());
      NetfilterLogParser parser = new NetfilterLogParser(prefix);
      LineSource source = LineSources.open("kmsg", QUIET,
          poll.equals("off") ? null : Duration.ofMillis(Long.parseLong(poll)));
      Thread reader = new Thread(() -> {
        try {
          source.run(line -> parser.parse(line, packets::add));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "kmsg");
      reader.start();
      try {
        int[] ports = {1501, 1537, 1599};
        for (int p : ports) {
          syn(pair, p);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (packets.size() < ports.length && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        Thread.sleep(200);
        List<LoggedPacket> got = new ArrayList<>(packets);
        assertThat(got).extracting(LoggedPacket::destinationPort).containsExactly(1501, 1537,
            1599);
        assertThat(got).allSatisfy(p -> {
          assertThat(p.source().getHostAddress()).isEqualTo(pair.clientIp);
          assertThat(p.destination().getHostAddress()).isEqualTo(pair.serverIp);
          assertThat(p.transport()).isEqualTo(Transport.TCP);
          assertThat(p.isInitialSyn()).isTrue();
          assertThat(p.prefix()).isEqualTo(prefix);
        });
        assertThat(parser.unparsable()).isZero();
      } finally {
        source.close();
        reader.join(5000);
      }
      assertThat(reader.isAlive()).as("kmsg reader ends on close").isFalse();
    }
  }

  /** One SYN (plus no retransmission) from the client's kernel: connect, give up after 0.2 s. */
  private static void syn(NetnsPair pair, int port) {
    pair.client.exec("timeout", "0.2", "bash", "-c",
        "exec 3<>/dev/tcp/" + pair.serverIp + "/" + port);
  }
}
