package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallOptions;
import org.knock.daemon.firewall.FirewallSettings;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.firewall.PortSpec;

/**
 * The nftables backend run inside a server namespace: grants open a protected port to the client
 * namespace, the kernel expires them, knocks are logged, close leaves the table (fail closed) and
 * remove deletes it; and the shared-set mode against etc/nftables-shared.nft.
 */
class NftablesFirewallIT {
  private static final String SUBNET = "10.202.1";
  private final String prefix = "KNFW" + hex() + ": ";
  @TempDir
  Path dir;

  private static String hex() {
    byte[] b = new byte[2];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private FirewallSettings settings() {
    return new FirewallSettings(prefix, 41000, 41063, true, List.of(PortSpec.parse("47000/tcp")),
        List.of(PortSpec.parse("22/tcp"), PortSpec.parse("80/tcp")), "knfwtest",
        Duration.ofSeconds(10));
  }

  private static Firewall nftables(NetnsPair pair, FirewallSettings s, String nftSet) {
    return Firewalls.create("nftables", s,
        FirewallOptions.DEFAULTS.withCommandPrefix(pair.server.inside()).withNftSet(nftSet),
        Clock.systemUTC());
  }

  @Test
  void grantsOpenTheKernelExpiresRevokeClosesCloseKeepsTheTableRemoveDeletesIt()
      throws Exception {
    try (NetnsPair pair = new NetnsPair("fwn", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Probes.listen(pair.server, 80, dir);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "2")).as("before install").isTrue();
      Firewall fw = nftables(pair, settings(), null);
      long t = System.nanoTime();
      fw.install();
      long installMs = (System.nanoTime() - t) / 1_000_000;
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("protected").isFalse();

      Access ssh = new Access(Access.ipv4(pair.clientIp), 22, Protocol.TCP);
      t = System.nanoTime();
      fw.grant(ssh, Duration.ofSeconds(2));
      long granted = System.nanoTime();
      System.out.println("nftables: install took " + installMs + " ms, a grant "
          + (granted - t) / 1_000_000 + " ms");
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("granted").isTrue();
      assertThat(Probes.connects(pair.client, pair.serverIp, 80, "1")).as("80 still hidden")
          .isFalse();
      assertThat(Probes.until(false, pair.client, pair.serverIp, 22, 5000)).as("expired")
          .isNotNegative();
      long expiredAfter = (System.nanoTime() - granted) / 1_000_000;
      System.out.println("nftables: grant of 2 s stopped connecting after " + expiredAfter + " ms");
      assertThat(expiredAfter).isBetween(1500L, 4500L);
      assertThat(fw.expire(Instant.now())).isEmpty();

      fw.grant(ssh, Duration.ofHours(1));
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).isTrue();
      fw.revoke(ssh);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("revoked").isFalse();
      fw.revoke(ssh);

      fw.close();
      assertThat(pair.server.exec("nft", "list", "ruleset").ok().out()).contains("knfwtest");
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("after close: closed")
          .isFalse();
      nftables(pair, settings(), null).remove();
      assertThat(pair.server.exec("nft", "list", "ruleset").ok().out()).doesNotContain("knfwtest");
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "2")).as("after remove").isTrue();
    }
  }

  @Test
  void aConnectionTheServerResetCannotComeBackAfterItsGrantEnds() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwr", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Firewall fw = nftables(pair, settings(), null);
      fw.install();
      Probes.assertAResetConnectionsPortCannotComeBack(pair, fw, 22);
      fw.remove();
    }
  }

  @Test
  void knockSynsAreLoggedWithThePrefix() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwl", SUBNET)) {
      Firewall fw = nftables(pair, settings(), null);
      fw.install();
      Probes.assertKnocksLogged(pair, prefix, 41010, 47000, 41020);
      fw.remove();
      fw.close();
    }
  }

  @Test
  void aRestartedDaemonKeepsTheGrantsOfAKilledRun() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwr", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Firewall killed = nftables(pair, settings(), null);
      killed.install();
      Access ssh = new Access(Access.ipv4(pair.clientIp), 22, Protocol.TCP);
      killed.grant(ssh, Duration.ofHours(1));
      // "kill": the first backend is dropped without close()
      Firewall restarted = nftables(pair, settings(), null);
      restarted.install();
      assertThat(pair.server.exec("nft", "list", "chain", "inet", "knfwtest", "input").ok().out()
          .lines().filter(l -> l.contains("log prefix")).count()).isEqualTo(3);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("adopted").isTrue();
      restarted.revoke(ssh);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).isFalse();
      restarted.remove();
      restarted.close();
    }
  }

  /**
   * A busy earlier run: 1000 live random-port redirects of other addresses, so that {@code nft -j
   * list map ... redirects} prints about 100 KB. A restart must still adopt the client's own
   * redirect (the book is where a close knock finds its random port); a listing cut short made
   * it adopt none of them.
   */
  @Test
  void aRestartAdoptsEveryRedirectOfABusyRunNotOnlyTheFirst64KiB() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwb", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      nftables(pair, settings(), null).install();
      StringBuilder others = new StringBuilder("add element inet knfwtest redirects { ");
      for (int i = 0; i < 1000; i++) {
        others.append(i == 0 ? "" : ", ").append("10.9.").append(i / 250).append('.')
            .append(i % 250 + 1).append(" . tcp . ").append(42000 + i).append(" timeout 1h : 22");
      }
      Path file = dir.resolve("others.nft");
      Files.writeString(file, others.append(" }\n").toString());
      pair.server.exec("nft", "-f", file.toString()).ok();
      Access mine = Access.redirect(Access.ipv4(pair.clientIp), 22, Protocol.TCP, 44444);
      Firewall killed = nftables(pair, settings(), null);
      killed.install();
      killed.grant(mine, Duration.ofHours(1));
      assertThat(Probes.connects(pair.client, pair.serverIp, 44444, "1")).as("granted").isTrue();
      // "kill": dropped without close(); the restarted backend knows only what it adopts
      Firewall restarted = nftables(pair, settings(), null);
      restarted.install();
      assertThat(restarted.grants()).as("adopted, so a close knock finds it").containsKey(mine)
          .hasSize(1001);
      restarted.revoke(mine);
      assertThat(Probes.connects(pair.client, pair.serverIp, 44444, "1")).as("closed").isFalse();
      restarted.remove();
      restarted.close();
    }
  }

  @Test
  void sharedSetModeWorksWithTheExampleRuleset() throws Exception {
    Path example = Path.of(System.getProperty("knock.root", "."), "etc", "nftables-shared.nft");
    String ruleset = Files.readString(example).replace("\"KNOCK: \"", "\"" + prefix + "\"");
    try (NetnsPair pair = new NetnsPair("fws", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Path file = dir.resolve("shared.nft");
      Files.writeString(file, ruleset);
      pair.server.exec("nft", "-f", file.toString()).ok();
      FirewallSettings s = new FirewallSettings(prefix, 1000, 1255, true, List.of(), List.of(),
          null, Duration.ofSeconds(10));
      Firewall fw = nftables(pair, s, "inet filter knock_granted");
      fw.install();
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("policy drop").isFalse();
      Access ssh = new Access(Access.ipv4(pair.clientIp), 22, Protocol.TCP);
      fw.grant(ssh, Duration.ofSeconds(2));
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("granted").isTrue();
      assertThat(Probes.until(false, pair.client, pair.serverIp, 22, 5000)).as("expired")
          .isNotNegative();
      Probes.assertAResetConnectionsPortCannotComeBack(pair, fw, 22); // the example's rules
      fw.grant(ssh, Duration.ofHours(1));
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).isTrue();
      assertThat(Probes.connects(pair.client, pair.serverIp, 1077, "0.3")).isFalse();
      assertThat(Probes.kernelLogLine(prefix, "SRC=" + pair.clientIp, "DPT=1077 ", " SYN "))
          .as("the example logs knocks").isNotNull();
      fw.remove(); // OnExit = remove: the elements this run added go
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("closed on remove")
          .isFalse();
      String after = pair.server.exec("nft", "list", "ruleset").ok().out();
      assertThat(after).contains("set knock_granted").doesNotContain(pair.clientIp);
      fw.grant(ssh, Duration.ofSeconds(3));
      fw.close(); // OnExit = keep: the element stays until its timeout
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("kept on close")
          .isTrue();
      assertThat(Probes.until(false, pair.client, pair.serverIp, 22, 5000))
          .as("then the kernel ends it").isNotNegative();
    }
  }
}
