package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted knocks over IPv6 (issue 15, first landing), through a real kernel: the namespace pair
 * also has IPv6 addresses (fd10:204:15::1 server, ::2 client); knockd (nftables, kmsg) hears the
 * IPv6 SYNs' LOG lines, and a knock sent with {@code knock -6} to the server's IPv6 address opens
 * port 22 for the client's IPv6 address only — over IPv4 it stays shut — until the kernel expires
 * the element of {@code granted6} or {@code close 22} removes it; shuffled order with junk SYNs
 * opens; a replay is refused; {@code knock --allow-prefix 64} opens port 22 for every address of
 * the knocker's /64 (an element of {@code granted6net}) and for no other /64; the mixed case: a
 * 36-port knock over IPv4 naming the client's IPv6 address ({@code knock -4 --allow ADDR6}, a
 * KnockPorts range of 9216 ports, a user with AllowOtherAddress) opens port 22 over IPv6 only.
 * knockd's range holds 9216 ports, so every 20-port knock here also goes through the decoder
 * of both lengths. Then the same knock with {@code Firewall = iptables}: an ip6tables grant.
 * Last, shared-set mode: the admin's ruleset etc/nftables-shared.nft (policy drop) loaded in the
 * server, knockd with {@code NftSet = inet filter knock_granted} puts an IPv6 grant in the
 * admin's {@code knock_granted6} and a /64 grant in {@code knock_granted6net}, and on exit
 * (OnExit = remove) deletes them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ScenarioTimer.class)
@Timeout(120)
class Ipv6IT {
  private static final String SERVER6 = "fd10:204:15::1";
  private static final String CLIENT6 = "fd10:204:15::2";
  private static final long OPEN_WITHIN_MS = 1000;
  private Lab lab;
  private Path dir;
  private Knockd knockd;
  private AuditTrail audit;
  private Path alice;
  private Path bob;
  private static final String LONG_RANGE = "20000-29215";

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    this.dir = dir;
    lab = Lab.open("v6", "10.204.15", dir);
    lab.server().exec("ip", "-6", "addr", "add", SERVER6 + "/64", "dev", "vs", "nodad").ok();
    lab.client().exec("ip", "-6", "addr", "add", CLIENT6 + "/64", "dev", "vc", "nodad").ok();
    alice = lab.keygen("alice");
    bob = lab.keygen("bob");
    knockd = lab.knockd("knockd", Knockd.Settings.defaults(),
        "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\nMaxDuration = 1h\n"
        + "[user bob]\nKey = " + bob + "\nAllow = open 22/tcp, close\nMaxDuration = 1h\n"
        + "AllowOtherAddress = yes\n");
    longRange(knockd);
    knockd.start();
    audit = knockd.audit();
  }

  /** Sets KnockPorts to {@link #LONG_RANGE} in a knockd's config before it starts. */
  private static void longRange(Knockd k) throws java.io.IOException {
    String conf = java.nio.file.Files.readString(k.config());
    assertThat(conf).contains("KnockPorts      = 20000-25119\n");
    java.nio.file.Files.writeString(k.config(), conf.replace(
        "KnockPorts      = 20000-25119\n", "KnockPorts      = " + LONG_RANGE + "\n"));
  }

  @AfterAll
  void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  /** An IPv6 address as the kernel's LOG lines print it: eight groups of four hex digits. */
  private static String kernelText(String v6) throws Exception {
    byte[] b = java.net.InetAddress.getByName(v6).getAddress();
    StringBuilder t = new StringBuilder();
    for (int i = 0; i < 16; i += 2) {
      t.append(i == 0 ? "" : ":").append(String.format("%02x%02x", b[i], b[i + 1]));
    }
    return t.toString();
  }

  private boolean reachable6() {
    return Probes.connects(lab.client(), SERVER6, Lab.SERVICE, "0.5");
  }

  private long until6(boolean reachable, long millis) throws InterruptedException {
    return Probes.until(reachable, lab.client(), SERVER6, Lab.SERVICE, millis);
  }

  private void knock6(String command, String... options) {
    List<String> o = new ArrayList<>(List.of("-6"));
    o.addAll(List.of(options));
    Netns.Result r = lab.client().exec(lab.knockArgv(SERVER6, alice, command,
        o.toArray(new String[0])));
    assertThat(r.exit()).as("bin/knock -6: %s", r.err()).isZero();
    assertThat(r.err()).isEmpty();
  }

  private void close6() throws Exception {
    int mark = audit.mark();
    knock6("close 22");
    assertThat(until6(false, 1000)).as("ms until shut by close 22").isBetween(0L, 1000L);
    audit.await(mark, 1000, "access-closed", "addr", CLIENT6, "port", "22/tcp", "by", "knock");
  }

  @Test
  @Order(1)
  void openOverIpv6ForTheKnockerOnlyThenKernelExpiryThenClose() throws Exception {
    assertThat(reachable6()).as("port 22 over IPv6 before any knock").isFalse();
    assertThat(lab.reachable()).as("port 22 over IPv4 before any knock").isFalse();
    int mark = audit.mark();
    knock6("open 22 3s");
    long sent = System.nanoTime();
    assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open over IPv6")
        .isBetween(0L, OPEN_WITHIN_MS);
    assertThat(lab.reachable()).as("the IPv6 grant does not open IPv4").isFalse();
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", CLIENT6, "grant", CLIENT6,
        "command", "open 22/tcp 3s");
    audit.await(mark, 1000, "access-granted", "addr", CLIENT6, "port", "22/tcp");
    String set = lab.server().exec("nft", "list", "set", "inet", "knockd", "granted6")
        .ok().out();
    assertThat(set).contains(CLIENT6 + " . tcp . 22").contains("expires");

    assertThat(until6(false, 5000)).as("ms until shut again").isNotNegative();
    long shutAfter = (System.nanoTime() - sent) / 1_000_000;
    assertThat(shutAfter).as("ms from knock to shut (grant of 3 s)").isBetween(2500L, 4500L);
    audit.await(mark, 1000, "access-expired", "addr", CLIENT6, "port", "22/tcp");

    knock6("open 22 30s");
    assertThat(until6(true, OPEN_WITHIN_MS)).isBetween(0L, OPEN_WITHIN_MS);
    close6();
  }

  @Test
  @Order(2)
  void shuffledOrderWithJunkOpensOverIpv6() throws Exception {
    List<Integer> ports = new ArrayList<>(lab.printFor(SERVER6, alice, "open 22 30s", "-6"));
    assertThat(ports).hasSize(20);
    Random random = new Random();
    Collections.shuffle(ports, random);
    Set<Integer> real = new HashSet<>(ports);
    List<String> steps = new ArrayList<>();
    List<Integer> junk = new ArrayList<>();
    for (int i = 0; i < ports.size(); i++) {
      steps.add(String.valueOf(ports.get(i)));
      if (i % 4 == 1) { // junk SYNs from the knocker's own address (hping3 has no IPv6)
        int j;
        do {
          j = 20000 + 256 * random.nextInt(20) + random.nextInt(256);
        } while (real.contains(j) || junk.contains(j));
        junk.add(j);
        steps.add(String.valueOf(j));
      }
    }
    int mark = audit.mark();
    lab.send(SERVER6, CLIENT6, steps);
    assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open, steps %s", steps)
        .isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", CLIENT6);
    for (int j : junk) { // the junk really reached the logged range over IPv6
      assertThat(Probes.kernelLogLine(knockd.prefix().strip(), "SRC=" + kernelText(CLIENT6) + " ",
          "DPT=" + j + " ")).as("kernel LOG line of junk SYN to %d", j).isNotNull();
    }
    close6();
  }

  @Test
  @Order(3)
  void anIpv6ReplayIsRefused() throws Exception {
    List<Integer> ports = lab.printFor(SERVER6, alice, "open 22 30s", "-6");
    List<String> steps = ports.stream().map(String::valueOf).toList();
    int first = audit.mark();
    lab.send(SERVER6, CLIENT6, steps);
    assertThat(until6(true, OPEN_WITHIN_MS)).isBetween(0L, OPEN_WITHIN_MS);
    close6();
    int mark = audit.mark();
    lab.send(SERVER6, CLIENT6, steps);
    audit.await(mark, 2000, "knock-rejected", "src", CLIENT6, "reason", "replay");
    assertThat(reachable6()).as("port 22 after the close and the refused replay; audit:%n%s%n"
        + "granted6: %s", AuditTrail.describe(audit.since(first)),
        lab.server().exec("nft", "list", "set", "inet", "knockd", "granted6").out()).isFalse();
    assertThat(audit.count(mark, "knock-accepted")).isZero();
  }

  /** Makes the client's connections to the server's IPv6 address come from {@code source}. */
  private void from(String source) {
    lab.client().exec("ip", "-6", "route", "replace", SERVER6 + "/128", "dev", "vc", "src",
        source).ok();
  }

  private void knock64(String command) {
    knock6(command, "--allow-prefix", "64");
  }

  @Test
  @Order(4)
  void allowPrefix64OpensForTheKnockersSlash64AndNoOther() throws Exception {
    String sibling = "fd10:204:15::3"; // another address of the client's /64 (a privacy address)
    String stranger = "fd10:204:16::2"; // the client's address in another /64
    lab.client().exec("ip", "-6", "addr", "add", sibling + "/64", "dev", "vc", "nodad").ok();
    lab.client().exec("ip", "-6", "addr", "add", stranger + "/64", "dev", "vc", "nodad").ok();
    lab.server().exec("ip", "-6", "route", "add", "fd10:204:16::/64", "dev", "vs").ok();
    try {
      from(CLIENT6);
      int mark = audit.mark();
      knock64("open 22 30s");
      assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open for the knocker")
          .isBetween(0L, OPEN_WITHIN_MS);
      audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", CLIENT6,
          "grant", "fd10:204:15::/64", "command", "open 22/tcp 30s");
      audit.await(mark, 1000, "access-granted", "addr", "fd10:204:15::/64", "port", "22/tcp");
      assertThat(lab.server().exec("nft", "list", "set", "inet", "knockd", "granted6net").ok()
          .out()).contains("fd10:204:15::/64 . tcp . 22").contains("expires");

      from(sibling);
      assertThat(reachable6()).as("port 22 from %s, same /64", sibling).isTrue();
      from(stranger);
      assertThat(reachable6()).as("port 22 from %s, another /64", stranger).isFalse();
      // the stranger's route works: its own /64 knock opens for it (so the refusal above was
      // the firewall's)
      int mark2 = audit.mark();
      knock64("open 22 30s");
      assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open for %s's /64", stranger)
          .isBetween(0L, OPEN_WITHIN_MS);
      audit.await(mark2, 1000, "access-granted", "addr", "fd10:204:16::/64", "port", "22/tcp");
      knock64("close 22");
      assertThat(until6(false, 1000)).as("ms until shut for %s", stranger).isBetween(0L, 1000L);

      from(CLIENT6);
      mark = audit.mark();
      knock64("close 22");
      assertThat(until6(false, 1000)).as("ms until shut by close 22").isBetween(0L, 1000L);
      audit.await(mark, 1000, "access-closed", "addr", "fd10:204:15::/64", "port", "22/tcp",
          "by", "knock");
      from(sibling);
      assertThat(reachable6()).as("port 22 from %s after close", sibling).isFalse();
      assertThat(lab.reachable()).as("port 22 over IPv4 throughout").isFalse();
    } finally {
      lab.client().exec("ip", "-6", "route", "del", SERVER6 + "/128", "dev", "vc");
      lab.client().exec("ip", "-6", "addr", "del", sibling + "/64", "dev", "vc");
      lab.client().exec("ip", "-6", "addr", "del", stranger + "/64", "dev", "vc");
    }
  }

  /** {@code knock -4 --allow CLIENT6 --ports LONG_RANGE} to the server's IPv4 address. */
  private Netns.Result knockOverIpv4For6(Path key, String command) {
    return lab.client().exec(lab.knockArgv(lab.serverIp(), key, command, "-4", "--allow", CLIENT6,
        "--ports", LONG_RANGE));
  }

  @Test
  @Order(5)
  void anIpv4KnockNamingTheClientsIpv6AddressOpensOverIpv6Only() throws Exception {
    assertThat(reachable6()).isFalse();
    int mark = audit.mark();
    Netns.Result strict = knockOverIpv4For6(alice, "open 22 30s"); // no AllowOtherAddress
    assertThat(strict.exit()).as(strict.err()).isZero();
    audit.await(mark, 2000, "knock-rejected", "src", lab.clientIp(), "reason",
        "address-not-allowed");
    assertThat(reachable6()).as("alice may not name another address").isFalse();

    mark = audit.mark();
    Netns.Result r = knockOverIpv4For6(bob, "open 22 30s");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open over IPv6")
        .isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "user", "bob", "src", lab.clientIp(),
        "grant", CLIENT6, "command", "open 22/tcp 30s");
    assertThat(lab.reachable()).as("port 22 over IPv4: the knock named the IPv6 address")
        .isFalse();
    assertThat(lab.server().exec("nft", "list", "set", "inet", "knockd", "granted6").ok().out())
        .contains(CLIENT6 + " . tcp . 22");

    mark = audit.mark();
    r = knockOverIpv4For6(bob, "close 22");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(until6(false, 1000)).as("ms until shut by close 22").isBetween(0L, 1000L);
    audit.await(mark, 1000, "access-closed", "addr", CLIENT6, "port", "22/tcp", "by", "knock");
  }

  @Test
  @Order(6)
  void withIptablesAnIpv6KnockIsAnIp6tablesGrant() throws Exception {
    knockd.close(); // OnExit = remove: its nftables table goes
    Knockd ipt = lab.knockd("knockd-ipt",
        new Knockd.Settings("twofish", "indexed", "iptables", "kmsg"),
        "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\nMaxDuration = 1h\n");
    longRange(ipt);
    ipt.start();
    knockd = ipt;
    audit = ipt.audit();
    assertThat(reachable6()).as("protected over IPv6 by ip6tables").isFalse();
    int mark = audit.mark();
    knock6("open 22 30s");
    assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open over IPv6")
        .isBetween(0L, OPEN_WITHIN_MS);
    assertThat(lab.reachable()).as("port 22 over IPv4").isFalse();
    audit.await(mark, 1000, "access-granted", "addr", CLIENT6, "port", "22/tcp");
    assertThat(lab.server().exec("ip6tables", "-w", "-S").ok().out())
        .contains("-s " + CLIENT6 + "/128 -p tcp -m tcp --dport 22 -m time --datestop");
    close6();
  }

  @Test
  @Order(7)
  void sharedSetModeGrantsIpv6InTheAdminsSets() throws Exception {
    knockd.close(); // OnExit = remove: its ip6tables chain goes
    String prefix = "KN6S" + ProcessHandle.current().pid() + ": ";
    Path ruleset = dir.resolve("shared.nft");
    Files.writeString(ruleset, Files.readString(Path.of(System.getProperty("knock.root"),
        "etc", "nftables-shared.nft"))
        .replace("define knock_ports = 1000-1255", "define knock_ports = " + LONG_RANGE)
        .replace("\"KNOCK: \"", "\"" + prefix + "\""));
    lab.server().exec("nft", "-f", ruleset.toString()).ok();
    Path auditLog = dir.resolve("shared-audit.log");
    Path conf = dir.resolve("shared.conf");
    Files.writeString(conf, String.join("\n", "[options]", "AllowRoot = yes",
        "FirewallLog = kmsg", "NftSet = inet filter knock_granted", "KnockPorts = " + LONG_RANGE,
        "LogPrefix = \"" + prefix + "\"", "AuditLog = " + auditLog,
        "StateDir = " + dir.resolve("shared-state"), "SequenceTimeout = 2s", "OnExit = remove",
        "[user alice]", "Key = " + alice, "Allow = open 22/tcp, close", "MaxDuration = 1h", ""));
    try (KnockdProcess kp = new KnockdProcess(dir, auditLog)) {
      Process p = kp.start(lab.server().inside(), conf);
      assertThat(reachable6()).as("port 22 over IPv6 under the admin's policy drop").isFalse();
      knock6("open 22 30s");
      assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open over IPv6, shared set")
          .isBetween(0L, OPEN_WITHIN_MS);
      kp.awaitAudit(1, 2, "event=access-granted", "addr=" + CLIENT6 + " ");
      assertThat(lab.server().exec("nft", "list", "set", "inet", "filter", "knock_granted6").ok()
          .out()).contains(CLIENT6 + " . tcp . 22").contains("expires");
      knock6("close 22");
      assertThat(until6(false, 1000)).as("ms until shut by close 22").isBetween(0L, 1000L);

      knock64("open 22 30s");
      assertThat(until6(true, OPEN_WITHIN_MS)).as("ms until open for the /64, shared set")
          .isBetween(0L, OPEN_WITHIN_MS);
      assertThat(lab.server().exec("nft", "list", "set", "inet", "filter", "knock_granted6net")
          .ok().out()).contains("fd10:204:15::/64 . tcp . 22").contains("expires");
      assertThat(lab.reachable()).as("port 22 over IPv4 throughout").isFalse();

      KnockdProcess.signal(p, "TERM"); // OnExit = remove: the elements this run added go
      assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("knockd exited")
          .isTrue();
      assertThat(reachable6()).as("port 22 over IPv6 after knockd removed its elements")
          .isFalse();
      assertThat(lab.server().exec("nft", "list", "set", "inet", "filter", "knock_granted6net")
          .ok().out()).doesNotContain("fd10:204:15::");
      assertThat(lab.server().exec("nft", "list", "set", "inet", "filter", "knock_granted")
          .ok().out()).as("the admin's sets stay").contains("flags timeout");
    } finally {
      lab.server().exec("nft", "delete", "table", "inet", "filter");
    }
  }
}
