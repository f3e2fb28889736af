package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code open 22 random} (issue 16) through a real kernel, per firewall backend: with nothing
 * granted nmap sees RandomPorts as closed ports; the port {@code bin/knock} prints reaches the
 * server's port 22 from the client, while port 22 itself stays shut, the printed port stays shut
 * for a second client address, and both shut when the grant ends; a second knock gives another
 * port; {@code --wait} waits on the printed port; {@code close 22} shuts the knocker's printed
 * port but not another address's, also one granted before knockd was stopped or killed and
 * started again (a replayed close does nothing). The audit log names the external port.
 */
class RandomPortIT extends LabScenarios {
  private static final String RANDOM_PORTS = "40000-49999";
  private static final Pattern STATE = Pattern.compile("(?m)^(\\d+)/tcp\\s+(\\S+)");
  private Path alice;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    lab = Lab.open("rp", "10.204.16", dir);
    alice = lab.keygen("alice");
  }

  static Stream<String> backends() {
    return Stream.of("nftables", "iptables");
  }

  @ParameterizedTest(name = "{0}: the printed port reaches 22 for the knocker only, until expiry")
  @MethodSource("backends")
  void aRandomPortReachesTheServiceForTheKnockerOnly(String firewall) throws Exception {
    current = knockd("random-" + firewall, firewall, "open 22/tcp");
    current.start();
    Netns client = lab.client();
    String server = lab.serverIp();

    // nothing granted: RandomPorts answer as the closed ports they are
    assertThat(scan(client, server, "40000,41234,45000,49999").values())
        .as("nmap of RandomPorts before any knock").containsOnly("closed");

    int mark = current.audit().mark();
    int port = knockRandom("open 22 4s random");
    AuditTrail.Event granted = current.audit().await(mark, 2000, "access-granted",
        "addr", lab.clientIp(), "port", "22/tcp", "external", Integer.toString(port));
    assertThat(granted.get("expires")).isNotNull();
    assertThat(Probes.until(true, client, server, port, 1000)).as("ms until the port opens")
        .isBetween(0L, 1000L);
    assertThat(lab.reachable()).as("port 22 itself").isFalse();

    // a second client address (source NAT to the alias .3): the printed port stays shut for it
    lab.natFrom(lab.clientAlias(3));
    try {
      assertThat(Probes.connects(client, server, port, "0.5")).as("from a second address")
          .isFalse();
    } finally {
      lab.noNat();
    }
    assertThat(Probes.connects(client, server, port, "0.5")).as("again from the knocker")
        .isTrue();

    // a second knock: another port, open as well. Each knock draws its port anew, so 1 in
    // 10,000 draws the first one again (a re-grant of it, as designed): knock again then
    int second = knockRandom("open 22 4s random");
    for (int i = 0; i < 3 && second == port; i++) {
      second = knockRandom("open 22 4s random");
    }
    assertThat(second).as("a port other than %d in 4 knocks", port).isNotEqualTo(port);
    assertThat(Probes.until(true, client, server, second, 1000)).isBetween(0L, 1000L);

    // the kernel ends both grants: new connections to either port fail
    assertThat(Probes.until(false, client, server, port, 6000)).as("ms until shut").isNotNegative();
    assertThat(Probes.until(false, client, server, second, 3000)).isNotNegative();
    current.audit().await(mark, 3000, "access-expired", "addr", lab.clientIp(), "external",
        Integer.toString(port));

    // --wait waits on the printed port and prints it once open
    Netns.Result r = lab.tryKnock(alice, "open 22 3s random", "--wait", "5");
    assertThat(r.exit()).as(r.err()).isZero();
    int waited = Integer.parseInt(r.out().strip());
    assertThat(Probes.connects(client, server, waited, "0.5")).isTrue();
    current.stop();
    if (firewall.equals("iptables")) {
      assertThat(lab.server().exec("iptables", "-w", "-t", "nat", "-S", "KNOCKD").exit())
          .as("the nat chain is removed with the filter chain").isNotZero();
    }
  }

  @ParameterizedTest(name = "{0}: close 22 shuts the knocker's random port, not another's")
  @MethodSource("backends")
  void closeShutsTheKnockersRandomPortOnly(String firewall) throws Exception {
    current = knockd("random-close-" + firewall, firewall, "open 22/tcp, close");
    current.start();
    Netns client = lab.client();
    String server = lab.serverIp();
    String other = lab.clientAlias(3);

    // a second address (source NAT to the alias .3) holds a random grant of its own
    int mark = current.audit().mark();
    int[] ports = twoRandomGrants(other);
    int its = ports[0];
    int port = ports[1];

    lab.knock(alice, "close 22");
    current.audit().await(mark, 2000, "access-closed", "addr", lab.clientIp(), "port", "22/tcp",
        "external", Integer.toString(port), "by", "knock");
    assertThat(Probes.until(false, client, server, port, 1000)).as("ms until shut by close")
        .isBetween(0L, 1000L);
    assertThat(lab.reachable()).as("port 22 itself").isFalse();
    assertThat(current.audit().count(mark, "access-closed", "addr", other)).isZero();
    lab.natFrom(other);
    try {
      assertThat(Probes.connects(client, server, its, "0.5")).as("the other address's port")
          .isTrue();
    } finally {
      lab.noNat();
    }
    current.stop();
  }

  @ParameterizedTest(name = "{0}: close 22 shuts the knocker's random port granted before a "
      + "stop or a kill -9 and restart, not another address's; a replayed close does nothing")
  @MethodSource("backends")
  void closeAfterARestartShutsTheKnockersEarlierRandomPort(String firewall) throws Exception {
    current = knockd("random-restart-" + firewall, firewall, "open 22/tcp, close");
    current.set("OnExit", "keep").start();
    try {
      closeAfterRestarts();
    } finally { // the table or chain stays at a stop (OnExit = keep): remove it for the next
      if (current.alive()) {
        current.kill9();
      }
      current.removeRules();
    }
  }

  private void closeAfterRestarts() throws Exception {
    Netns client = lab.client();
    String server = lab.serverIp();
    String other = lab.clientAlias(3);
    int[] ports = twoRandomGrants(other);
    int its = ports[0];
    int port = ports[1];

    // SIGTERM and start again: close 22 shuts the earlier port
    current.stop();
    current.start();
    assertThat(Probes.connects(client, server, port, "0.5")).as("after the restart").isTrue();
    if (current.settings().firewall().equals("nftables")) {
      assertThat(Files.readString(current.config().resolveSibling("knockd-2.err")))
          .as("start-up after the stop").contains("nftables table inet knockd: adopted 0 plain "
              + "grant(s), 2 random-port redirect(s), 0 forward(s) of an earlier run")
          .doesNotContain("cannot read").doesNotContain("left alone");
    }
    int mark = current.audit().mark();
    List<Integer> close = lab.print(alice, "close 22");
    lab.sendPorts(close);
    current.audit().await(mark, 2000, "access-closed", "addr", lab.clientIp(), "port", "22/tcp",
        "external", Integer.toString(port), "by", "knock");
    assertThat(Probes.until(false, client, server, port, 1000)).as("ms until shut by close")
        .isBetween(0L, 1000L);

    // kill -9 and start again: that close re-sent, from the knocker's address and from the
    // other one, is refused; a fresh close 22 shuts the port granted before the kill
    int again = knockRandom("open 22 30s random");
    assertThat(Probes.until(true, client, server, again, 1000)).isBetween(0L, 1000L);
    current.kill9();
    current.start();
    mark = current.audit().mark();
    lab.sendPorts(close);
    current.audit().await(mark, 2000, "knock-rejected", "src", lab.clientIp(), "reason",
        "replay");
    lab.natFrom(other);
    try {
      lab.sendPorts(close);
      current.audit().await(mark, 2000, "knock-rejected", "src", other, "reason", "replay");
    } finally {
      lab.noNat();
    }
    assertThat(current.audit().count(mark, "access-closed")).isZero();
    assertThat(Probes.connects(client, server, again, "0.5")).as("after the replays").isTrue();
    lab.knock(alice, "close 22");
    current.audit().await(mark, 2000, "access-closed", "addr", lab.clientIp(), "port", "22/tcp",
        "external", Integer.toString(again), "by", "knock");
    assertThat(Probes.until(false, client, server, again, 1000)).as("ms until shut by close")
        .isBetween(0L, 1000L);

    assertThat(current.audit().count(mark, "access-closed", "addr", other)).isZero();
    lab.natFrom(other);
    try {
      assertThat(Probes.connects(client, server, its, "0.5")).as("the other address's port")
          .isTrue();
    } finally {
      lab.noNat();
    }
  }

  @Test
  void iptablesRandomGrantsEndInTheKernelWhenKnockdIsKilled() throws Exception {
    current = knockd("random-iptables-crash", "iptables", "open 22/tcp");
    current.set("OnExit", "keep").start();
    Netns client = lab.client();
    int mark = current.audit().mark();
    int port = knockRandom("open 22 3s random");
    Instant expires = Instant.parse(current.audit().await(mark, 2000, "access-granted",
        "external", Integer.toString(port)).get("expires"));
    assertThat(Probes.until(true, client, lab.serverIp(), port, 1000)).isBetween(0L, 1000L);
    current.kill9();
    assertThat(Probes.connects(client, lab.serverIp(), port, "0.5")).as("right after the kill")
        .isTrue();
    // the time matches of the accept and of the redirect end it, knockd or not
    long left = Duration.between(Instant.now(), expires).toMillis();
    assertThat(Probes.until(false, client, lab.serverIp(), port, left + 3500))
        .as("ms until shut with knockd dead").isNotNegative();
    assertThat(Instant.now()).as("not shut before its end").isAfterOrEqualTo(expires);
    current.start(); // adopts the chain, drops the expired accept
    assertThat(lab.server().exec("iptables", "-w", "-S", "KNOCKD").ok().out())
        .doesNotContain("ctorigdstport");
    assertThat(Probes.connects(client, lab.serverIp(), port, "0.5")).isFalse();
    current.kill9();
    Netns.Result removed = current.removeRules();
    assertThat(removed.exit()).as(removed.err()).isZero();
    assertThat(lab.server().exec("iptables", "-w", "-t", "nat", "-S", "KNOCKD").exit())
        .as("--remove-rules removes the nat chain").isNotZero();
  }

  @ParameterizedTest(name = "{0}: a connection made through a random port lives on after expiry")
  @MethodSource("backends")
  void anEstablishedConnectionOutlivesTheGrant(String firewall, @TempDir Path dir)
      throws Exception {
    current = knockd("random-held-" + firewall, firewall, "open 2222/tcp");
    current.set("Protect", "22/tcp, 2222/tcp").start();
    Netns client = lab.client();
    String jvm = ProcessHandle.current().info().command().orElse("java");
    String classes = Path.of(TcpEcho.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI()).toString();
    Process echo = lab.server().start(List.of(jvm, "-cp", classes, TcpEcho.class.getName(),
        "serve", "2222", "30"), dir.resolve("echo.out"), dir.resolve("echo.err"));
    try {
      int mark = current.audit().mark();
      int port = knockRandom("open 2222 2s random");
      current.audit().await(mark, 2000, "access-granted", "external", Integer.toString(port));
      assertThat(Probes.until(true, client, lab.serverIp(), port, 3000)).isBetween(0L, 3000L);
      // connected within the grant, the second byte 6 s later: 4 s after the grant ended
      Process held = client.start(List.of(jvm, "-cp", classes, TcpEcho.class.getName(), "hold",
          lab.serverIp(), Integer.toString(port), "6"), dir.resolve("hold.out"),
          dir.resolve("hold.err"));
      current.audit().await(mark, 5000, "access-expired", "external", Integer.toString(port));
      // (iptables: the redirect's time match ends it ≤ 3 s after the audited end)
      assertThat(Probes.until(false, client, lab.serverIp(), port, 3500))
          .as("ms until a new connection is refused after expiry").isNotNegative();
      assertThat(held.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(held.exitValue()).as("the held connection: %s %s",
          Files.readString(dir.resolve("hold.out")), Files.readString(dir.resolve("hold.err")))
          .isZero();
      current.stop();
    } finally {
      echo.destroyForcibly();
    }
  }

  /**
   * Knocks {@code open 22 30s random} from {@code other} (source NAT to that alias), then from
   * the client's own address; waits for both grants and the knocker's port to open. Returns
   * {other's port, the knocker's}.
   */
  private int[] twoRandomGrants(String other) throws Exception {
    int mark = current.audit().mark();
    lab.natFrom(other);
    int its;
    try {
      its = knockRandom("open 22 30s random", "--source");
      current.audit().await(mark, 2000, "access-granted", "addr", other, "external",
          Integer.toString(its));
    } finally {
      lab.noNat();
    }
    int port = knockRandom("open 22 30s random");
    current.audit().await(mark, 2000, "access-granted", "addr", lab.clientIp(), "external",
        Integer.toString(port));
    assertThat(Probes.until(true, lab.client(), lab.serverIp(), port, 1000))
        .as("ms until the port opens").isBetween(0L, 1000L);
    return new int[] {its, port};
  }

  /** A knockd (not started) with RandomPorts and alice allowed {@code allow}. */
  private Knockd knockd(String name, String firewall, String allow) throws Exception {
    return lab.knockd(name, new Knockd.Settings("twofish", "indexed", firewall, "kmsg"),
        "[user alice]\nKey = " + alice + "\nAllow = " + allow + "\n")
        .set("RandomPorts", RANDOM_PORTS);
  }

  /** Knocks {@code command}; returns the port bin/knock printed, alone on stdout. */
  private int knockRandom(String command, String... options) {
    Netns.Result r = lab.tryKnock(alice, command, options);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).matches("\\d+\n");
    int port = Integer.parseInt(r.out().strip());
    assertThat(port).isBetween(40000, 49999);
    return port;
  }

  /** nmap SYN scan, one probe per port, no host discovery: each port's state. */
  private static java.util.Map<Integer, String> scan(Netns from, String ip, String ports) {
    List<String> cmd = new ArrayList<>(List.of("timeout", "30", "nmap", "-n", "-Pn", "-sS",
        "--max-retries", "0", "--host-timeout", "20s", "--initial-rtt-timeout", "300ms",
        "--max-rtt-timeout", "500ms", "-p", ports, ip));
    String out = from.exec(cmd.toArray(new String[0])).ok().out();
    java.util.Map<Integer, String> states = new java.util.LinkedHashMap<>();
    Matcher m = STATE.matcher(out);
    while (m.find()) {
      states.put(Integer.parseInt(m.group(1)), m.group(2));
    }
    assertThat(states).as(out).hasSize(ports.split(",").length);
    return states;
  }
}
