package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code [forward NAME]} (issue 16) through a real kernel, with three namespaces: the client, the
 * gateway running knockd, and an inner host behind the gateway with a service on 5432 and no
 * route back to the client (so the forwards masquerade). knockd says at start that forwarding is
 * off; with it on, {@code open db} reaches the inner service through the gateway's port 8443 from
 * the knocker only, until {@code close db}; {@code open dbr random} does the same through the
 * port bin/knock prints, and not after expiry. {@code close dbr} also ends a random forward granted
 * before knockd was stopped or killed and started again, not another address's (a replayed close
 * does nothing).
 */
class ForwardIT extends LabScenarios {
  private static final String INNER_NET = "10.204.116";
  private static final String INNER = INNER_NET + ".2";
  private static final int SERVICE = 5432;
  private static final int EXTERNAL = 8443;
  private Path dir;
  private Netns inner;
  private Path alice;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    this.dir = dir;
    lab = Lab.open("fw", "10.204.16", dir);
    inner = Netns.create("fwi");
    Netns gateway = lab.server();
    gateway.exec("ip", "link", "add", "vg", "type", "veth", "peer", "name", "vi", "netns",
        inner.name()).ok();
    gateway.exec("ip", "addr", "add", INNER_NET + ".1/24", "dev", "vg").ok();
    inner.exec("ip", "addr", "add", INNER + "/24", "dev", "vi").ok();
    gateway.exec("ip", "link", "set", "vg", "up").ok();
    inner.exec("ip", "link", "set", "vi", "up").ok();
    // the client reaches the gateway only: no route to the inner network
    Probes.listen(inner, SERVICE, Files.createDirectories(dir.resolve("inner")));
    alice = lab.keygen("alice");
  }

  @AfterAll
  void closeInner() {
    if (inner != null) {
      inner.close();
    }
  }

  static Stream<String> backends() {
    return Stream.of("nftables", "iptables");
  }

  @ParameterizedTest(name = "{0}: open db reaches the inner host for the knocker only, until "
      + "close or expiry")
  @MethodSource("backends")
  void aForwardReachesTheInnerHostForTheKnockerOnly(String firewall) throws Exception {
    Netns gateway = lab.server();
    Netns client = lab.client();
    String gw = lab.serverIp();
    gateway.exec("sysctl", "-qw", "net.ipv4.ip_forward=0").ok();
    current = knockd("forward-" + firewall, firewall);
    current.start();
    assertThat(Files.readString(dir.resolve("forward-" + firewall).resolve("knockd-1.err")))
        .as("start-up says forwarding is off").contains("net.ipv4.ip_forward is 0");
    gateway.exec("sysctl", "-qw", "net.ipv4.ip_forward=1").ok();

    assertThat(Probes.connects(client, gw, EXTERNAL, "0.5")).as("before the knock").isFalse();
    int mark = current.audit().mark();
    lab.knock(alice, "open db 4s");
    current.audit().await(mark, 2000, "access-granted", "addr", lab.clientIp(),
        "port", SERVICE + "/tcp", "external", Integer.toString(EXTERNAL), "to", INNER);
    assertThat(Probes.until(true, client, gw, EXTERNAL, 1000)).as("ms until db opens")
        .isBetween(0L, 1000L);

    lab.natFrom(lab.clientAlias(3)); // a second client address
    try {
      assertThat(Probes.connects(client, gw, EXTERNAL, "0.5")).as("from a second address")
          .isFalse();
    } finally {
      lab.noNat();
    }

    Netns.Result r = lab.tryKnock(alice, "open dbr 5s random");
    assertThat(r.exit()).as(r.err()).isZero();
    int port = Integer.parseInt(r.out().strip());
    assertThat(port).isBetween(40000, 49999);
    assertThat(Probes.until(true, client, gw, port, 1000)).as("ms until dbr opens")
        .isBetween(0L, 1000L);

    // close db ends db's grant at once; dbr (the same inner port, another forward) stays
    lab.knock(alice, "close db");
    current.audit().await(mark, 2000, "access-closed", "addr", lab.clientIp(),
        "external", Integer.toString(EXTERNAL), "to", INNER, "by", "knock");
    assertThat(Probes.until(false, client, gw, EXTERNAL, 1000)).as("ms until close shuts db")
        .isBetween(0L, 1000L);
    assertThat(Probes.connects(client, gw, port, "0.5")).as("dbr after close db").isTrue();
    assertThat(Probes.until(false, client, gw, port, 7000)).as("ms until dbr shuts")
        .isNotNegative();
    current.audit().await(mark, 3000, "access-expired", "addr", lab.clientIp(), "to", INNER);
    current.stop();
    if (firewall.equals("iptables")) { // OnExit = remove: the forward and nat chains go too
      for (String[] c : new String[][] {{"filter", "KNOCKD-FWD"}, {"filter", "KNOCKD-FWD-RE"},
          {"nat", "KNOCKD-FWD"}, {"nat", "KNOCKD"}}) {
        assertThat(gateway.exec("iptables", "-w", "-t", c[0], "-S", c[1]).exit())
            .as(c[0] + " " + c[1] + " after stop").isNotZero();
      }
    }
  }

  /**
   * The attack on a forward's end through conntrack: a flow the inner host reset is re-opened by
   * a bare SYN from the same source port, DNAT and all, so after close it would still reach the
   * inner host (SECURITY.md §8); knockd's forward chain refuses it unless the grant holds, as the
   * protected ports refuse: on this accepting gateway (KnockReply = auto) with a reset, as a
   * closed port answers, never by a drop, which would tell a scanner that something is there
   * (ConcealmentIT). With iptables the refusal sits in chain KNOCKD-FWD-RE, which only such a SYN
   * enters.
   */
  @ParameterizedTest(name = "{0}: after close db, a SYN from the port of a flow the inner host "
      + "reset does not reach it")
  @MethodSource("backends")
  void aResetFlowCannotComeBackAfterTheForwardIsClosed(String firewall) throws Exception {
    Netns client = lab.client();
    String gw = lab.serverIp();
    lab.server().exec("sysctl", "-qw", "net.ipv4.ip_forward=1").ok();
    current = knockd("forward-reopen-" + firewall, firewall);
    current.set("KnockReply", "auto").start();
    int mark = current.audit().mark();
    lab.knock(alice, "open db 30s");
    current.audit().await(mark, 2000, "access-granted", "addr", lab.clientIp(),
        "external", Integer.toString(EXTERNAL), "to", INNER);
    assertThat(Probes.until(true, client, gw, EXTERNAL, 1000)).as("ms until db opens")
        .isBetween(0L, 1000L);
    int from = 45000 + new java.security.SecureRandom().nextInt(5000);
    assertThat(Probes.connectsFrom(client, gw, EXTERNAL, from)).as("granted").isTrue();
    lab.knock(alice, "close db");
    current.audit().await(mark, 2000, "access-closed", "addr", lab.clientIp(),
        "external", Integer.toString(EXTERNAL), "to", INNER, "by", "knock");
    assertThat(Probes.until(false, client, gw, EXTERNAL, 1000)).as("ms until close shuts db")
        .isBetween(0L, 1000L);
    assertThat(Probes.connectFrom(client, gw, EXTERNAL, from))
        .as("closed: a SYN from the port of the flow the inner host reset, answered as a closed "
            + "port answers").isEqualTo("not connected: Connection refused");
    if (firewall.equals("iptables")) {
      String rules = lab.server().exec("iptables", "-w", "-S").ok().out();
      System.out.println("[iptables -S]\n" + rules);
      assertThat(rules).contains("-A KNOCKD-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN -m "
          + "conntrack --ctstate DNAT -j KNOCKD-FWD-RE\n-A KNOCKD-FWD-RE -p tcp -m conntrack "
          + "--ctorigdstport " + EXTERNAL + " -j REJECT --reject-with tcp-reset")
          .as("an accepting host's rules drop nothing").doesNotContain("DROP");
    }
    current.stop();
  }

  @ParameterizedTest(name = "nftables, knockd restarted after {0}: close dbr shuts the knocker's "
      + "earlier random forward, not another's; a replayed close does nothing")
  @ValueSource(strings = {"stop", "kill -9"})
  void closeNameAfterARestartShutsTheKnockersEarlierForward(String how) throws Exception {
    lab.server().exec("sysctl", "-qw", "net.ipv4.ip_forward=1").ok();
    current = knockd("forward-restart-" + how.replace(" ", ""), "nftables");
    current.set("OnExit", "keep").start();
    try {
      closeNameAfterARestart(how);
    } finally { // the table stays at a stop (OnExit = keep): remove it for the next scenario
      if (current.alive()) {
        current.kill9();
      }
      current.removeRules();
    }
  }

  private void closeNameAfterARestart(String how) throws Exception {
    Netns client = lab.client();
    String gw = lab.serverIp();
    String other = lab.clientAlias(3);
    int mark = current.audit().mark();
    lab.natFrom(other);
    int its;
    try {
      its = knockRandom("open dbr 30s random", "--source");
      current.audit().await(mark, 2000, "access-granted", "addr", other, "external",
          Integer.toString(its), "to", INNER);
    } finally {
      lab.noNat();
    }
    int port = knockRandom("open dbr 30s random");
    current.audit().await(mark, 2000, "access-granted", "addr", lab.clientIp(), "external",
        Integer.toString(port), "to", INNER);
    assertThat(Probes.until(true, client, gw, port, 1000)).isBetween(0L, 1000L);

    if (how.equals("stop")) {
      current.stop();
    } else {
      current.kill9();
    }
    current.start();
    assertThat(Probes.connects(client, gw, port, "0.5")).as("after the restart").isTrue();
    mark = current.audit().mark();
    List<Integer> close = lab.print(alice, "close dbr");
    lab.sendPorts(close);
    current.audit().await(mark, 2000, "access-closed", "addr", lab.clientIp(), "external",
        Integer.toString(port), "to", INNER, "by", "knock");
    assertThat(Probes.until(false, client, gw, port, 1000)).as("ms until shut by close dbr")
        .isBetween(0L, 1000L);

    // the same close re-sent from the other address: refused, its forward stays
    lab.natFrom(other);
    try {
      lab.sendPorts(close);
      current.audit().await(mark, 2000, "knock-rejected", "src", other, "reason", "replay");
      assertThat(Probes.connects(client, gw, its, "0.5")).as("the other address's forward")
          .isTrue();
    } finally {
      lab.noNat();
    }
    assertThat(current.audit().count(mark, "access-closed", "addr", other)).isZero();
  }

  /** A knockd (not started) with forwards db (port 8443) and dbr (random), both masqueraded. */
  private Knockd knockd(String name, String firewall) throws Exception {
    return lab.knockd(name, new Knockd.Settings("twofish", "indexed", firewall, "kmsg"),
        "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, open db, open dbr, close\n"
            + "[forward db]\nTo = " + INNER + ":" + SERVICE + "\nPort = " + EXTERNAL
            + "\nMasquerade = yes\n"
            + "[forward dbr]\nTo = " + INNER + ":" + SERVICE + "/tcp\nPort = random\n"
            + "Masquerade = yes\n").set("RandomPorts", "40000-49999");
  }

  /** Knocks {@code command}; returns the port bin/knock printed. */
  private int knockRandom(String command, String... options) {
    Netns.Result r = lab.tryKnock(alice, command, options);
    assertThat(r.exit()).as(r.err()).isZero();
    int port = Integer.parseInt(r.out().strip());
    assertThat(port).isBetween(40000, 49999);
    return port;
  }
}
