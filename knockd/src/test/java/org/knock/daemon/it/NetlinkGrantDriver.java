package org.knock.daemon.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallException;
import org.knock.daemon.firewall.FirewallOptions;
import org.knock.daemon.firewall.FirewallSettings;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.firewall.PortSpec;

/**
 * Run by {@link NetlinkGrantIT} inside a namespace (the JVM itself must be there for netlink):
 * the daemon's nftables backend, as {@link Firewalls#create} builds it without a command prefix,
 * installs table {@code inet TABLE}, then runs each step given, printing {@code == STEP} and
 * the outcome ({@code ok} or {@code error: MESSAGE}) and, after it, {@code nft list set} of the
 * two grant sets. Its log (INFO) goes to stdout too. Steps: {@code grant:ADDR:SECONDS},
 * {@code revoke:ADDR}, {@code drop-table} (deletes the table behind the backend's back).
 */
public final class NetlinkGrantDriver {
  private NetlinkGrantDriver() {}

  public static void main(String[] args) throws Exception {
    Configurator.setRootLevel(Level.INFO);
    String table = args[0];
    FirewallSettings s = new FirewallSettings("KNNL: ", 41000, 41063, false, List.of(),
        List.of(PortSpec.parse("22/tcp")), table, Duration.ofSeconds(10));
    Firewall fw = Firewalls.create("nftables", s, FirewallOptions.DEFAULTS, Clock.systemUTC());
    fw.install();
    for (int i = 1; i < args.length; i++) {
      String[] step = args[i].split(":", 2);
      System.out.println("== " + args[i]);
      try {
        switch (step[0]) {
          case "grant": {
            int c = step[1].lastIndexOf(':');
            fw.grant(access(step[1].substring(0, c)),
                Duration.ofSeconds(Long.parseLong(step[1].substring(c + 1))));
            break;
          }
          case "revoke":
            fw.revoke(access(step[1]));
            break;
          case "drop-table":
            System.out.print(nft("delete", "table", "inet", table));
            break;
          default:
            throw new IllegalArgumentException("bad step " + args[i]);
        }
        System.out.println("ok");
      } catch (FirewallException e) {
        System.out.println("error: " + e.getMessage());
      }
      System.out.println(nft("list", "set", "inet", table, "granted")
          + nft("list", "set", "inet", table, "granted6"));
    }
    fw.close();
    System.out.println("== closed");
  }

  private static Access access(String literal) throws IOException {
    return new Access(java.net.InetAddress.getByName(literal), 22, Protocol.TCP);
  }

  private static String nft(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("nft"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return out;
  }
}
