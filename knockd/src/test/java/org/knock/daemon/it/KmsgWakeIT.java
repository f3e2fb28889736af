package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kmsg source's packet wake-up against the real kernel: {@link KmsgWakeDriver} opens the
 * packet socket with its filter inside a server namespace, and packets from a client namespace
 * end its waits only when they are knocks to the knock range: a TCP SYN (IPv4 and IPv6) or a UDP
 * datagram to a port in it does; a SYN to the port just outside either end, an ACK or a RST to a
 * port in it, and a packet the server itself sends to a port in the range, do not.
 */
class KmsgWakeIT {
  private static final int LOW = 20500;
  private static final int HIGH = 20599;
  @TempDir Path dir;

  private static int packets(Path out) throws Exception {
    return (int) Files.readAllLines(out).stream().filter(l -> l.equals("packet")).count();
  }

  /** Waits (≤ 3 s) until the driver has printed at least {@code n} packet lines. */
  private static int awaitPackets(Path out, int n) throws Exception {
    int seen = 0;
    for (int i = 0; i < 60 && (seen = packets(out)) < n; i++) {
      Thread.sleep(50);
    }
    return seen;
  }

  @Test
  void packetsToTheKnockRangeEndAWaitAndOthersDoNot() throws Exception {
    Netns.requireRoot();
    try (NetnsPair pair = new NetnsPair("kw", "10.201.12")) {
      pair.server.exec("ip", "-6", "addr", "add", "fd10:201:12::1/64", "dev", "vs", "nodad").ok();
      pair.client.exec("ip", "-6", "addr", "add", "fd10:201:12::2/64", "dev", "vc", "nodad").ok();
      String root = System.getProperty("knock.root");
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
          "java").toString(), "--add-modules", "jdk.incubator.foreign",
          "--enable-native-access=ALL-UNNAMED", "-cp", root + "/knockd/target/test-classes:"
          + root + "/knockd/target/knockd.jar:" + root + "/knockd/target/lib/*",
          KmsgWakeDriver.class.getName(), Integer.toString(LOW), Integer.toString(HIGH), "30"));
      Path out = dir.resolve("driver.out");
      pair.server.start(cmd, out, dir.resolve("driver.err"));
      for (int i = 0; i < 200 && !Files.readString(out).contains("ready"); i++) {
        Thread.sleep(50);
      }
      assertThat(Files.readString(out)).as(Files.readString(dir.resolve("driver.err")))
          .contains("wake: on\nready");

      syn(pair, LOW - 1);
      syn(pair, HIGH + 1);
      // TCP that is no initial SYN: knockd's rules do not log it, so it must not wake the reader
      pair.client.exec("hping3", "-c", "1", "-A", "-p", Integer.toString(LOW + 1), pair.serverIp);
      pair.client.exec("hping3", "-c", "1", "-R", "-p", Integer.toString(LOW + 2), pair.serverIp);
      // the server's own SYN to a port in the range (the client answers with a reset)
      pair.server.exec("timeout", "0.2", "bash", "-c",
          "exec 3<>/dev/tcp/" + pair.clientIp + "/" + (LOW + 3));
      Thread.sleep(300);
      assertThat(packets(out)).as("no wake for ports outside the range, ACKs, RSTs or outgoing "
          + "packets")
          .isZero();

      syn(pair, LOW);
      assertThat(awaitPackets(out, 1)).as("a SYN to the range's first port").isEqualTo(1);
      Thread.sleep(200);
      syn(pair, HIGH);
      assertThat(awaitPackets(out, 2)).as("a SYN to its last port").isEqualTo(2);
      Thread.sleep(200);
      pair.client.exec("bash", "-c", "echo x > /dev/udp/" + pair.serverIp + "/" + (LOW + 50));
      assertThat(awaitPackets(out, 3)).as("a UDP datagram to the range").isEqualTo(3);
      Thread.sleep(200);
      pair.client.exec("timeout", "0.2", "bash", "-c",
          "exec 3<>/dev/tcp/fd10:201:12::1/" + (LOW + 7));
      assertThat(awaitPackets(out, 4)).as("an IPv6 SYN to the range").isEqualTo(4);
      pair.client.exec("timeout", "0.2", "bash", "-c",
          "exec 3<>/dev/tcp/fd10:201:12::1/" + (HIGH + 1));
      Thread.sleep(300);
      assertThat(packets(out)).as("an IPv6 SYN outside it").isEqualTo(4);
    }
  }

  private static void syn(NetnsPair pair, int port) {
    pair.client.exec("timeout", "0.2", "bash", "-c",
        "exec 3<>/dev/tcp/" + pair.serverIp + "/" + port);
  }
}
