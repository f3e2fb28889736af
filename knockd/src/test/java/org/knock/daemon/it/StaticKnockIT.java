package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/knock HOST 7000 8000 9000} opens a door of Debian's real knockd (0.8), run in a
 * server namespace, over IPv4 and IPv6, with TCP SYNs and with {@code -u} datagrams.
 */
class StaticKnockIT {
  @TempDir Path dir;

  @Test
  void tcpSequenceOpensKnockdsDoor() throws Exception {
    try (NetnsPair pair = new NetnsPair("cs", "10.203.3")) {
      startKnockd(pair, "7000,8000,9000", "tcpflags = syn");
      knock(pair, pair.serverIp, "7000", "8000", "9000");
      assertMarker(pair.clientIp);
    }
  }

  @Test
  void udpSequenceWithDashUOpensKnockdsDoor() throws Exception {
    try (NetnsPair pair = new NetnsPair("cu", "10.203.4")) {
      startKnockd(pair, "7000:udp,8000:udp,9000:udp", "");
      knock(pair, pair.serverIp, "-u", "7000", "8000", "9000");
      assertMarker(pair.clientIp);
    }
  }

  @Test
  void tcpSequenceOverIpv6OpensKnockdsDoor() throws Exception {
    try (NetnsPair pair = new NetnsPair("c6", "10.203.5")) {
      pair.server.exec("ip", "-6", "addr", "add", "fd10:203:5::1/64", "dev", "vs", "nodad").ok();
      pair.client.exec("ip", "-6", "addr", "add", "fd10:203:5::2/64", "dev", "vc", "nodad").ok();
      startKnockd(pair, "7000,8000,9000", "tcpflags = syn");
      knock(pair, "fd10:203:5::1", "-6", "7000", "8000", "9000");
      assertMarker("fd10:203:5::2");
    }
  }

  @Test
  void aSequenceInTheWrongOrderDoesNotOpen() throws Exception {
    try (NetnsPair pair = new NetnsPair("cw", "10.203.6")) {
      startKnockd(pair, "7000,8000,9000", "tcpflags = syn");
      knock(pair, pair.serverIp, "8000", "7000", "9000");
      // knockd saw all three SYNs (its -D output lists each packet) and still did not open
      Path out = dir.resolve("knockd.out");
      long end = System.nanoTime() + 2_000_000_000L;
      while (!sawAll(Files.readString(out), pair) && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      assertThat(sawAll(Files.readString(out), pair)).as("knockd log: %s", Files.readString(out))
          .isTrue();
      Thread.sleep(500); // the door's command would have run by now
      assertThat(dir.resolve("marker-" + pair.clientIp)).doesNotExist();
    }
  }

  private static boolean sawAll(String knockdOut, NetnsPair pair) {
    for (String port : List.of("8000", "7000", "9000")) {
      if (!knockdOut.matches("(?s).*tcp: " + java.util.regex.Pattern.quote(pair.clientIp)
          + ":\\d+ -> " + java.util.regex.Pattern.quote(pair.serverIp) + ":" + port + " .*")) {
        return false;
      }
    }
    return true;
  }

  private void startKnockd(NetnsPair pair, String sequence, String extra) throws Exception {
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, "[options]\n"
        + "    LogFile = " + dir.resolve("knockd.log") + "\n"
        + "[door]\n"
        + "    sequence    = " + sequence + "\n"
        + "    seq_timeout = 5\n"
        + "    " + extra + "\n"
        + "    command     = /usr/bin/touch " + dir.resolve("marker-") + "%IP%\n");
    Path out = dir.resolve("knockd.out");
    pair.server.start(List.of("/usr/sbin/knockd", "-i", "vs", "-c", conf.toString(), "-v", "-D"),
        out,
        dir.resolve("knockd.err"));
    long end = System.nanoTime() + 5_000_000_000L;
    while (!Files.readString(out).contains("listening on vs")) {
      assertThat(System.nanoTime()).as("knockd did not start: %s",
          Files.readString(dir.resolve("knockd.err"))).isLessThan(end);
      Thread.sleep(20);
    }
  }

  /** Runs bin/knock in the client namespace: options, then the host, then the ports. */
  private void knock(NetnsPair pair, String host, String... args) {
    List<String> cmd = new ArrayList<>(List.of("env", "KNOCK_HOME=" + dir.resolve("home"),
        ClientKnockIT.knockScript()));
    for (String a : args) {
      if (a.startsWith("-")) {
        cmd.add(a);
      }
    }
    cmd.add(host);
    for (String a : args) {
      if (!a.startsWith("-")) {
        cmd.add(a);
      }
    }
    Netns.Result r = pair.client.exec(cmd.toArray(new String[0]));
    r.ok();
    assertThat(r.err()).isEmpty();
  }

  private void assertMarker(String ip) throws Exception {
    Path marker = dir.resolve("marker-" + ip);
    long end = System.nanoTime() + 2_000_000_000L;
    while (!Files.exists(marker) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(marker).as("knockd log: %s", Files.readString(dir.resolve("knockd.out")))
        .exists();
  }
}
