package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A random port drawn twice for one address, through a real kernel, per firewall backend: with
 * {@code RandomPorts = 40000-40000} every knock draws 40000, so {@code open 80 random} after
 * {@code open 22 random} must collide. knockd refuses it in one audit line
 * ({@code reason=random-port-taken external=40000 leads-to=22/tcp}), touches no rule (no
 * {@code firewall-error}, no retry), and 40000 still leads to 22 only, the first grant intact.
 */
class RandomPortCollisionIT extends LabScenarios {
  private Path alice;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    lab = Lab.open("rc", "10.204.36", dir);
    alice = lab.keygen("alice");
  }

  @ParameterizedTest(name = "{0}: a second port through the same random port is one refusal")
  @ValueSource(strings = {"nftables", "iptables"})
  void aRandomPortDrawnAgainForAnotherPortIsRefusedAndStillLeadsTo22(String firewall)
      throws Exception {
    current = lab.knockd("collide-" + firewall,
        new Knockd.Settings("twofish", "indexed", firewall, "kmsg"),
        "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, open 80/tcp\n")
        .set("RandomPorts", "40000-40000").set("Protect", "22/tcp, 80/tcp");
    current.start();
    try {
      collide(firewall);
    } finally { // a failure must not leave it running under the next backend's knockd
      if (current.alive()) {
        current.stop();
      }
    }
  }

  private void collide(String firewall) throws Exception {
    Netns client = lab.client();
    String server = lab.serverIp();

    int mark = current.audit().mark();
    assertThat(knockRandom("open 22 20s random")).isEqualTo(40000);
    AuditTrail.Event granted = current.audit().await(mark, 2000, "access-granted", "addr",
        lab.clientIp(), "port", "22/tcp", "external", "40000");
    assertThat(Probes.until(true, client, server, 40000, 1000)).isBetween(0L, 1000L);

    mark = current.audit().mark();
    assertThat(knockRandom("open 80 20s random")).as("the client prints the port it drew")
        .isEqualTo(40000);
    current.audit().await(mark, 2000, "knock-rejected", "src", lab.clientIp(), "reason",
        "random-port-taken", "user", "alice", "external", "40000", "leads-to", "22/tcp");
    Thread.sleep(1200); // a sweep or more: a retry would show now
    assertThat(current.audit().since(mark)).as("one line, no grant, no firewall error")
        .extracting(AuditTrail.Event::name).containsExactly("knock-rejected");

    // 40000 still leads to 22 (nothing listens on 80), one redirect in the kernel
    assertThat(Probes.connects(client, server, 40000, "0.5")).isTrue();
    String rules = firewall.equals("nftables")
        ? lab.server().exec("nft", "list", "map", "inet", "knockd", "redirects").ok().out()
        : lab.server().exec("iptables", "-w", "-t", "nat", "-S", "KNOCKD").ok().out();
    String to22 = firewall.equals("nftables") ? ": 22" : "--to-ports 22";
    assertThat(rules.lines().filter(l -> l.contains("40000"))).as(rules).singleElement()
        .matches(l -> l.contains(to22));
    assertThat(granted.get("expires")).isNotNull();
    assertThat(current.audit().count(0, "access-expired")).as("the first grant is intact")
        .isZero();
  }

  /** Knocks {@code command}; returns the port bin/knock printed, alone on stdout. */
  private int knockRandom(String command) {
    Netns.Result r = lab.tryKnock(alice, command, "--random-ports", "40000-40000");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).matches("\\d+\n");
    return Integer.parseInt(r.out().strip());
  }
}
