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
import org.knock.daemon.firewall.KnockReply;
import org.knock.daemon.firewall.PortSpec;

/**
 * The iptables backend run inside a server namespace: grants open a protected port to the client
 * namespace until {@code expire} (or, knockd gone, until their time match ends them in the
 * kernel), knocks are logged, close leaves the chain (fail closed) and remove deletes it, a
 * reconfigure rewrites the rules at once keeping grants, and a restarted backend removes the
 * expired grants of a killed run and keeps the others; the same over IPv6 with ip6tables (an
 * address and a /64), whose time match ends a grant of a killed run in the kernel too.
 */
class IptablesFirewallIT {
  private static final String SUBNET = "10.202.2";
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

  private Firewall iptables(NetnsPair pair) {
    return Firewalls.create("iptables", settings(),
        FirewallOptions.DEFAULTS.withCommandPrefix(pair.server.inside()), Clock.systemUTC());
  }

  private static String chain(NetnsPair pair) {
    return pair.server.exec("iptables", "-w", "-S").ok().out();
  }

  @Test
  void grantsOpenExpireClosesRevokeClosesCloseKeepsTheChainAndRemoveDeletesIt()
      throws Exception {
    try (NetnsPair pair = new NetnsPair("fwi", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Probes.listen(pair.server, 80, dir);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "2")).as("before install").isTrue();
      Firewall fw = iptables(pair);
      long t = System.nanoTime();
      fw.install();
      long installMs = (System.nanoTime() - t) / 1_000_000;
      assertThat(chain(pair)).contains("-A INPUT -j KNFWTEST");
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("protected").isFalse();

      Access ssh = new Access(Access.ipv4(pair.clientIp), 22, Protocol.TCP);
      t = System.nanoTime();
      fw.grant(ssh, Duration.ofSeconds(2));
      long granted = System.nanoTime();
      System.out.println("iptables: install took " + installMs + " ms, a grant "
          + (granted - t) / 1_000_000 + " ms");
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("granted").isTrue();
      assertThat(Probes.connects(pair.client, pair.serverIp, 80, "1")).as("80 still hidden")
          .isFalse();
      List<Access> expired = List.of();
      for (int i = 0; i < 50 && expired.isEmpty(); i++) {
        Thread.sleep(100);
        expired = fw.expire(Instant.now());
      }
      long expiredAfter = (System.nanoTime() - granted) / 1_000_000;
      System.out.println("iptables: grant of 2 s removed by expire() after " + expiredAfter + " ms");
      assertThat(expired).containsExactly(ssh);
      assertThat(expiredAfter).isBetween(1000L, 4500L);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("expired").isFalse();
      assertThat(chain(pair)).doesNotContain("knockd expires=");

      fw.grant(ssh, Duration.ofHours(1));
      fw.grant(ssh, Duration.ofHours(2));
      assertThat(chain(pair).lines().filter(l -> l.contains("knockd expires="))).hasSize(1);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).isTrue();
      fw.revoke(ssh);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("revoked").isFalse();

      fw.close();
      assertThat(chain(pair)).contains("-A INPUT -j KNFWTEST");
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("after close: closed")
          .isFalse();
      iptables(pair).remove();
      assertThat(chain(pair)).doesNotContain("KNFWTEST");
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "2")).as("after remove").isTrue();
    }
  }

  @Test
  void reconfigureRewritesTheRulesAtOnceAndKeepsTheGrants() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwc", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Probes.listen(pair.server, 2222, dir);
      Firewall fw = iptables(pair);
      fw.install();
      Access ssh = new Access(Access.ipv4(pair.clientIp), 22, Protocol.TCP);
      fw.grant(ssh, Duration.ofHours(1));
      assertThat(Probes.connects(pair.client, pair.serverIp, 2222, "1")).isTrue();
      FirewallSettings next = new FirewallSettings(prefix, 42000, 42063, false, List.of(),
          List.of(PortSpec.parse("22/tcp"), PortSpec.parse("2222/tcp")), "knfwtest",
          Duration.ofSeconds(10));
      fw.reconfigure(next);
      String rules = chain(pair);
      assertThat(rules).contains("--dport 42000:42063").doesNotContain("41000:41063")
          .doesNotContain("47000").contains("--dport 2222 -j DROP");
      assertThat(rules.lines().filter(l -> l.equals("-A INPUT -j KNFWTEST"))).hasSize(1);
      assertThat(Probes.connects(pair.client, pair.serverIp, 2222, "1")).as("newly protected")
          .isFalse();
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("grant kept").isTrue();
      fw.remove();
      fw.close();
    }
  }

  @Test
  void aConnectionTheServerResetCannotComeBackAfterItsGrantEnds() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwr", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Firewall fw = iptables(pair);
      fw.install();
      Probes.assertAResetConnectionsPortCannotComeBack(pair, fw, 22);
      fw.remove();
    }
  }

  /**
   * An upgrade over the forward chain of a knockd before the re-open chain (a DROP per refused
   * port in KNFWTEST-FWD itself, written here as that knockd wrote it): install keeps every
   * refused port, moved into KNFWTEST-FWD-RE with the protected ports' verdict (this host
   * accepts, KnockReply = auto: a reset), behind one jump; a restart over the new layout keeps
   * them; remove deletes both chains.
   */
  @Test
  void anUpgradeKeepsTheReopenRefusalsOfTheEarlierLayoutInTheReopenChain() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwu", SUBNET)) {
      String drop = "-A KNFWTEST-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack "
          + "--ctstate DNAT --ctorigdstport %d -j DROP\n";
      Path old = dir.resolve("old-layout.rules");
      Files.writeString(old, "*filter\n:KNFWTEST-FWD - [0:0]\n" + drop.formatted(8443)
          + drop.formatted(41234) + "-I FORWARD 1 -j KNFWTEST-FWD\nCOMMIT\n"
          + "*nat\n:KNFWTEST - [0:0]\n:KNFWTEST-FWD - [0:0]\n-I PREROUTING 1 -j KNFWTEST\n"
          + "-I POSTROUTING 1 -j KNFWTEST-FWD\nCOMMIT\n");
      pair.server.exec("iptables-restore", "-w", "--noflush", old.toString()).ok();
      assertThat(chain(pair)).contains(drop.formatted(8443));

      FirewallSettings auto = new FirewallSettings(prefix, 41000, 41063, true, List.of(),
          List.of(PortSpec.parse("22/tcp")), "knfwtest", Duration.ofSeconds(10),
          KnockReply.AUTO);
      String expected = "-A FORWARD -j KNFWTEST-FWD\n"
          + "-A KNFWTEST-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack --ctstate DNAT "
          + "-j KNFWTEST-FWD-RE\n"
          + "-A KNFWTEST-FWD-RE -p tcp -m conntrack --ctorigdstport 8443 -j REJECT "
          + "--reject-with tcp-reset\n"
          + "-A KNFWTEST-FWD-RE -p tcp -m conntrack --ctorigdstport 41234 -j REJECT "
          + "--reject-with tcp-reset\n";
      for (String run : List.of("upgrade", "restart")) {
        Firewall fw = Firewalls.create("iptables", auto,
            FirewallOptions.DEFAULTS.withCommandPrefix(pair.server.inside()), Clock.systemUTC());
        fw.install();
        String rules = chain(pair);
        System.out.println("[" + run + "] iptables -S:\n" + rules);
        assertThat(rules.lines().filter(l -> l.contains("FWD")).map(l -> l + "\n")
            .collect(java.util.stream.Collectors.joining())).as(run)
            .isEqualTo("-N KNFWTEST-FWD\n-N KNFWTEST-FWD-RE\n" + expected);
        assertThat(rules).as(run + ": an accepting host's rules drop nothing")
            .doesNotContain("DROP");
        fw.close();
        if (run.equals("restart")) {
          fw.remove();
        }
      }
      assertThat(chain(pair) + pair.server.exec("iptables", "-w", "-t", "nat", "-S").ok().out())
          .doesNotContain("KNFWTEST");
    }
  }

  @Test
  void knockSynsAreLoggedWithThePrefix() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwj", SUBNET)) {
      Firewall fw = iptables(pair);
      fw.install();
      Probes.assertKnocksLogged(pair, prefix, 41011, 47000, 41021);
      fw.remove();
      fw.close();
    }
  }

  @Test
  void aRestartedDaemonRemovesExpiredGrantsOfAKilledRunAndKeepsTheOthers() throws Exception {
    try (NetnsPair pair = new NetnsPair("fwk", SUBNET)) {
      Probes.listen(pair.server, 22, dir);
      Probes.listen(pair.server, 80, dir);
      Firewall killed = iptables(pair);
      killed.install();
      Access ssh = new Access(Access.ipv4(pair.clientIp), 22, Protocol.TCP);
      Access web = new Access(Access.ipv4(pair.clientIp), 80, Protocol.TCP);
      killed.grant(ssh, Duration.ofSeconds(1));
      killed.grant(web, Duration.ofHours(1));
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).isTrue();
      // "kill": the first backend is dropped without close(); its time match (whole seconds,
      // matching through its last second) ends ssh's grant in the kernel within 3 s
      assertThat(Probes.until(false, pair.client, pair.serverIp, 22, 4000))
          .as("its time match ended it in the kernel").isBetween(500L, 4000L);
      assertThat(chain(pair)).as("but nobody deleted the rule").contains("--dport 22 -m time");

      Firewall restarted = iptables(pair);
      restarted.install();
      String rules = chain(pair);
      assertThat(rules.lines().filter(l -> l.contains("knockd expires="))).singleElement()
          .asString().contains("--dport 80 ");
      assertThat(rules.lines().filter(l -> l.equals("-A INPUT -j KNFWTEST"))).hasSize(1);
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("expired removed")
          .isFalse();
      assertThat(Probes.connects(pair.client, pair.serverIp, 80, "1")).as("unexpired kept")
          .isTrue();
      assertThat(restarted.expire(Instant.now())).isEmpty();
      assertThat(restarted.expire(Instant.now().plus(Duration.ofHours(2))))
          .as("adopted grant expires on time").containsExactly(web);
      assertThat(Probes.connects(pair.client, pair.serverIp, 80, "1")).isFalse();
      restarted.remove();
      restarted.close();
      assertThat(chain(pair)).doesNotContain("KNFWTEST");
    }
  }

  @Test
  void ip6tablesProtectsAndGrantsAnAddressAndASlash64AndTheKernelEndsThemWithoutKnockd()
      throws Exception {
    String server6 = "fd10:202:6::1";
    String client6 = "fd10:202:6::2";
    String sibling = "fd10:202:6::3";
    try (NetnsPair pair = new NetnsPair("fw6", SUBNET)) {
      pair.server.exec("ip", "-6", "addr", "add", server6 + "/64", "dev", "vs", "nodad").ok();
      pair.client.exec("ip", "-6", "addr", "add", client6 + "/64", "dev", "vc", "nodad").ok();
      pair.client.exec("ip", "-6", "addr", "add", sibling + "/64", "dev", "vc", "nodad").ok();
      pair.client.exec("ip", "-6", "route", "replace", server6 + "/128", "dev", "vc", "src",
          client6).ok();
      Probes.listen(pair.server, 22, dir);
      assertThat(Probes.connects(pair.client, server6, 22, "2")).as("before install").isTrue();
      Firewall killed = iptables(pair);
      killed.install();
      String rules6 = pair.server.exec("ip6tables", "-w", "-S").ok().out();
      assertThat(rules6).contains("-A INPUT -j KNFWTEST").contains("-N KNFWTEST");
      assertThat(Probes.connects(pair.client, server6, 22, "1")).as("protected over IPv6")
          .isFalse();
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("and over IPv4")
          .isFalse();

      Access one = new Access(java.net.InetAddress.getByName(client6), 22, Protocol.TCP);
      killed.grant(one, Duration.ofSeconds(1));
      assertThat(Probes.connects(pair.client, server6, 22, "1")).as("granted").isTrue();
      assertThat(Probes.connects(pair.client, pair.serverIp, 22, "1")).as("not over IPv4")
          .isFalse();
      // "kill": dropped without close(); the time match ends the grant in the kernel
      assertThat(Probes.until(false, pair.client, server6, 22, 4000))
          .as("its time match ended it in the kernel").isBetween(500L, 4000L);
      assertThat(pair.server.exec("ip6tables", "-w", "-S").ok().out())
          .as("but nobody deleted the rule").contains("-s " + client6 + "/128");

      Firewall restarted = iptables(pair);
      restarted.install();
      assertThat(pair.server.exec("ip6tables", "-w", "-S").ok().out())
          .as("the restart removed the expired grant").doesNotContain("knockd expires=");
      Access net = new Access(java.net.InetAddress.getByName("fd10:202:6::"), 22, Protocol.TCP,
          64);
      restarted.grant(net, Duration.ofHours(1));
      pair.client.exec("ip", "-6", "route", "replace", server6 + "/128", "dev", "vc", "src",
          sibling).ok();
      assertThat(Probes.connects(pair.client, server6, 22, "1")).as("the /64 from %s", sibling)
          .isTrue();
      restarted.revoke(net);
      assertThat(Probes.connects(pair.client, server6, 22, "1")).as("revoked").isFalse();
      restarted.remove();
      restarted.close();
      assertThat(pair.server.exec("ip6tables", "-w", "-S").ok().out()).doesNotContain("KNFWTEST");
      assertThat(Probes.connects(pair.client, server6, 22, "2")).as("after remove").isTrue();
    }
  }
}
