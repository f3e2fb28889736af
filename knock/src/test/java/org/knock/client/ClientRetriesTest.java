package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --retries}: with {@code --wait} a fresh knock (new ports) while the port stays shut; with
 * {@code run ACTION} the same knock again. Knocks go to 127.0.0.1 only.
 */
@Timeout(30)
class ClientRetriesTest extends ClientTest {
  @Test
  void retriesOnlyGoWithWaitOrRun() {
    c.run("--retries", "1", "127.0.0.1", "open 22");
    assertThat(c.err).isEqualTo("knock: --retries works with --wait or 'run ACTION' only\n");
    assertThat(c.exit).isEqualTo(2);
    c.run("--retries", "1", "--print", "127.0.0.1", "run backup");
    assertThat(c.err).isEqualTo("knock: --retries and --print exclude each other: --print sends"
        + " nothing\n");
    assertThat(c.exit).isEqualTo(2);
    c.run("--retries", "1", "127.0.0.1", "7000", "8000");
    assertThat(c.err).isEqualTo("knock: --retries is for encrypted commands, not a static"
        + " sequence\n");
    assertThat(c.exit).isEqualTo(2);
    assertThat(c.out).isEmpty();
  }

  @Test
  void helpDocumentsRetries() {
    c.run("--help");
    assertThat(c.out).contains("--retries N       knock up to N more times (0-10)",
        "with --wait (default 2), a fresh knock (new ports) while the",
        "port is still shut 1 s, 2 s, 4 s, 8 s after the last knock",
        "with 'run ACTION' (default 0), the same knock again 1 s,",
        "and refuses each further copy as a replay",
        "  1  output not written (e.g. --print to a full disk), or an internal error");
  }

  @Test
  void runSendsTheSameKnockAgainAfterASecond() {
    long t0 = System.nanoTime();
    c.run("-v", "--source", "--retries", "1", "127.0.0.1", "run backup");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(c.exit).as(c.err).isZero();
    assertThat(c.err).isEqualTo("knock: sending the same knock again (retry 1 of 1)\n");
    List<List<String>> knocks = knocks(c.out);
    assertThat(knocks).hasSize(2);
    assertThat(knocks.get(1)).isEqualTo(knocks.get(0));
    assertThat(ms).isBetween(1000L, 5000L);
  }

  @Test
  void runKnocksOnceByDefault() {
    long t0 = System.nanoTime();
    c.run("-v", "--source", "127.0.0.1", "run backup");
    assertThat(c.exit).as(c.err).isZero();
    assertThat(c.err).isEmpty();
    assertThat(knocks(c.out)).hasSize(1);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000L);
  }

  @Test
  void waitSendsAFreshKnockWhileThePortStaysShut() throws Exception {
    int port = closedPort();
    c.run("-v", "--wait", "4", "127.0.0.1", "open " + port);
    assertThat(c.exit).isEqualTo(3);
    String what = "127.0.0.1:" + port;
    assertThat(c.err).isEqualTo(
        "knock: " + what + " still shut 1.0 s after the last knock: a fresh knock (retry 1 of 2)\n"
        + "knock: " + what + " still shut 2.0 s after the last knock: a fresh knock (retry 2 of 2)\n"
        + "knock: " + what + " did not open within 4 s (3 knocks sent)\n");
    List<List<String>> knocks = knocks(c.out);
    assertThat(knocks).hasSize(3);
    assertThat(knocks.get(1)).isNotEqualTo(knocks.get(0));
    assertThat(knocks.get(2)).isNotEqualTo(knocks.get(1)).isNotEqualTo(knocks.get(0));
  }

  @Test
  void waitWithZeroRetriesKnocksOnce() throws Exception {
    int port = closedPort();
    c.run("-v", "--wait", "2", "--retries", "0", "127.0.0.1", "open " + port);
    assertThat(c.exit).isEqualTo(3);
    assertThat(c.err).isEqualTo("knock: 127.0.0.1:" + port + " did not open within 2 s\n");
    assertThat(knocks(c.out)).hasSize(1);
  }

  @Test
  void anOpenPortNeedsNoRetry() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      c.run("-v", "--wait", "5", "127.0.0.1", "open " + s.getLocalPort());
      assertThat(c.exit).as(c.err).isZero();
      assertThat(c.err).isEqualTo("knock: 127.0.0.1:" + s.getLocalPort() + " is open\n");
      assertThat(knocks(c.out)).hasSize(1);
    }
  }

  @Test
  void aRandomKnockPrintsTheExternalPortAloneOnStdout() {
    c.run("--source", "127.0.0.1", "open 22 30m random");
    assertThat(c.exit).as(c.err).isZero();
    assertThat(c.err).isEmpty();
    assertThat(c.out).matches("4[0-9]{4}\n");
    c.run("--source", "--random-ports", "41234-41234", "127.0.0.1", "open 22 random");
    assertThat(c.out).isEqualTo("41234\n");
  }

  @Test
  void waitOnARandomKnockWaitsOnItsExternalPortAndPrintsIt() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int p = s.getLocalPort();
      c.run("--wait", "5", "--source", "--random-ports", p + "-" + p, "127.0.0.1",
          "open 22 random");
      assertThat(c.exit).as(c.err).isZero();
      assertThat(c.out).isEqualTo(p + "\n");
    }
    int closed = closedPort();
    c.run("--wait", "1", "--retries", "0", "--source", "--random-ports", closed + "-" + closed,
        "127.0.0.1", "open 22 random");
    assertThat(c.exit).isEqualTo(3);
    assertThat(c.out).isEmpty();
    assertThat(c.err).isEqualTo("knock: 127.0.0.1:" + closed + " did not open within 1 s\n");
  }

  @Test
  void randomNeedsProtocol2AndARange() {
    assertFails(2, "'random' needs protocol 2: drop --protocol 1", "--protocol", "1",
        "127.0.0.1", "open 22 random");
    assertFails(2, "--random-ports: bad range '4-': use START-END, e.g. 40000-49999 (the "
        + "server's RandomPorts)", "--random-ports", "4-", "127.0.0.1", "open 22 random");
  }

  /** A loopback port nothing listens on (it was free a moment ago). */
  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The "hitting" lines of -v, cut into knocks of 20 ports, each as its port list. */
  private static List<List<String>> knocks(String out) {
    List<String> hits = new ArrayList<>();
    for (String l : out.split("\n")) {
      if (l.startsWith("hitting tcp 127.0.0.1:")) {
        hits.add(l.substring("hitting tcp 127.0.0.1:".length()));
      }
    }
    assertThat(hits.size() % 20).as("hits: %s", hits).isZero();
    List<List<String>> knocks = new ArrayList<>();
    for (int i = 0; i < hits.size(); i += 20) {
      knocks.add(hits.subList(i, i + 20));
    }
    assertThat(Arrays.asList(out.split("\n"))).allMatch(l -> l.startsWith("hitting ")
        || l.startsWith("knock: open ") || l.startsWith("knock: run "));
    return knocks;
  }
}
