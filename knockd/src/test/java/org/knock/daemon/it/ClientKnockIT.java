package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Command;
import org.knock.core.DecodeResult;
import org.knock.core.DecoderSettings;
import org.knock.core.InMemoryReplayCache;
import org.knock.core.Knock;
import org.knock.core.KnockDecoder;
import org.knock.core.KnockKey;
import org.knock.core.KnockUser;
import org.knock.core.Payload;
import org.knock.core.SequenceAssembler;

/**
 * The real {@code bin/knock} in a client namespace knocks on a server namespace whose nftables
 * LOG-and-drop the knock range; the kernel's log lines hold exactly one packet per port (no
 * retransmits) and knock-core's decoder turns the logged ports back into the command.
 */
class ClientKnockIT {
  @TempDir Path dir;

  @Test
  void tcpKnockIsLoggedOncePerPortAndDecodesToTheCommand() throws Exception {
    Knock k = knock("10.203.1", "TCP", "open 22 30m");
    assertSameCommand(k.payload(), Command.parse("open 22 30m"));
    assertThat(k.payload().grantsSource()).isFalse();
    assertThat(k.grant()).isEqualTo(ipv4("10.203.1.2")); // the client's outgoing address
  }

  @Test
  void udpKnockGrantingItsSourceDecodes() throws Exception {
    Knock k = knock("10.203.2", "UDP", "open 53/udp 5m", "-u", "--source");
    assertSameCommand(k.payload(), Command.parse("open 53/udp 5m"));
    assertThat(k.payload().grantsSource()).isTrue();
    assertThat(k.grant()).isEqualTo(ipv4("10.203.2.2"));
  }

  @Test
  void aHostWithoutARouteIsANetworkProblem() throws Exception {
    try (Netns lonely = Netns.create("cn")) { // loopback only: no route anywhere
      String home = "KNOCK_HOME=" + dir.resolve("home");
      Netns.Result r = lonely.exec("env", home, knockScript(), "10.203.7.1", "7000", "8000");
      assertThat(r.exit()).isEqualTo(5);
      assertThat(r.err()).isEqualTo("knock: cannot reach 10.203.7.1: Network is unreachable\n");
      Netns.Result keygen = lonely.exec("env", home, knockScript(), "keygen");
      keygen.ok();
      r = lonely.exec("env", home, knockScript(), "10.203.7.1", "open 22");
      assertThat(r.exit()).isEqualTo(5);
      assertThat(r.err()).startsWith("knock: cannot reach 10.203.7.1: ");
    }
  }

  /** Knocks from the client namespace and decodes what the server's kernel logged. */
  private Knock knock(String subnet, String proto, String command, String... options)
      throws Exception {
    String prefix = "KNCL" + HexFormat.of().formatHex(SecureRandom.getSeed(3)) + " ";
    KnockKey key = KnockKey.generate(new SecureRandom());
    Path keyFile = dir.resolve("key");
    Files.deleteIfExists(keyFile);
    Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(keyFile, key.toBase64() + "\n");
    Path rules = dir.resolve("rules.nft");
    Files.writeString(rules, "table inet kncl {\n"
        + "  chain in {\n"
        + "    type filter hook input priority 0; policy accept;\n"
        + "    meta l4proto { tcp, udp } th dport 20000-25119 log prefix \"" + prefix + "\" drop\n"
        + "  }\n"
        + "}\n");
    try (NetnsPair pair = new NetnsPair("cl", subnet); KernelLog log = new KernelLog(prefix)) {
      pair.server.exec("nft", "-f", rules.toString()).ok();
      List<String> cmd = new ArrayList<>(List.of("env", "KNOCK_HOME=" + dir.resolve("home"),
          knockScript(), "-k", keyFile.toString()));
      cmd.addAll(List.of(options));
      cmd.add(pair.serverIp);
      cmd.add(command);
      Netns.Result run = pair.client.exec(cmd.toArray(new String[0]));
      run.ok();
      assertThat(run.err()).isEmpty();
      // a SYN that the kernel retransmitted would show up about 1 s later: wait past that. The
      // lines reach this JVM through dmesg -w and a reader thread: wait (bounded) for the 20,
      // then a moment more for any line behind them, instead of reading once after the 1.6 s
      long end = System.nanoTime() + 10_000_000_000L;
      Thread.sleep(1600);
      String src = "SRC=" + pair.clientIp + " ";
      while (log.ports(src, proto).size() < 20 && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      Thread.sleep(200);
      List<Integer> ports = log.ports(src, proto);
      assertThat(ports).hasSize(20);
      assertThat(new HashSet<>(ports)).hasSize(20);
      KnockDecoder decoder = new KnockDecoder(DecoderSettings.defaults(),
          List.of(new KnockUser("it", key, false)), new InMemoryReplayCache());
      SequenceAssembler seq = decoder.newSequence(ipv4(pair.clientIp), ipv4(pair.serverIp));
      DecodeResult result = null;
      for (int port : ports) {
        result = seq.offer(port, Instant.now());
      }
      assertThat(result.isAccepted()).as("decoded: %s", result).isTrue();
      return result.knock();
    }
  }

  static String knockScript() {
    String root = System.getProperty("knock.root");
    assertThat(root).as("system property knock.root").isNotNull();
    Path script = Path.of(root, "bin", "knock");
    assertThat(script).isExecutable();
    return script.toString();
  }

  private static void assertSameCommand(Payload p, Command c) {
    assertThat(p.verb()).isEqualTo(c.verb());
    assertThat(p.protocol()).isEqualTo(c.protocol());
    assertThat(p.port()).isEqualTo(c.port());
    assertThat(p.duration()).isEqualTo(c.duration());
  }

  static int ipv4(String dotted) {
    String[] p = dotted.split("\\.");
    return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16)
        | (Integer.parseInt(p[2]) << 8) | Integer.parseInt(p[3]);
  }

  /**
   * Follows the kernel log ({@code dmesg -w}, from the start of the ring buffer) and keeps the
   * lines with one prefix. The dmesg process is killed by PID on close.
   */
  static final class KernelLog implements AutoCloseable {
    private final String prefix;
    private final Process dmesg;
    private final Thread reader;
    private final List<String> lines = new ArrayList<>();

    KernelLog(String prefix) throws IOException {
      this.prefix = prefix;
      this.dmesg = new ProcessBuilder("dmesg", "-w").redirectErrorStream(true).start();
      this.reader = new Thread(this::read, "kmsg-" + prefix.trim());
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(dmesg.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l = r.readLine(); l != null; l = r.readLine()) {
          if (l.contains(prefix)) {
            synchronized (lines) {
              lines.add(l);
            }
          }
        }
      } catch (IOException e) {
        // the process was killed
      }
    }

    /** DPT of each logged packet from a source, with the given PROTO, in log order. */
    List<Integer> ports(String src, String proto) {
      List<Integer> out = new ArrayList<>();
      synchronized (lines) {
        for (String l : lines) {
          if (l.contains(src) && l.contains(" PROTO=" + proto + " ")) {
            int i = l.indexOf(" DPT=") + 5;
            int j = l.indexOf(' ', i);
            out.add(Integer.parseInt(l.substring(i, j < 0 ? l.length() : j)));
          }
        }
      }
      return out;
    }

    @Override
    public void close() {
      dmesg.destroy();
      try {
        if (!dmesg.waitFor(5, TimeUnit.SECONDS)) {
          dmesg.destroyForcibly();
        }
        reader.join(5000);
      } catch (InterruptedException e) {
        dmesg.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
