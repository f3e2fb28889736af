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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, through a real kernel: the real {@code bin/knockd} (nftables, reading /dev/kmsg,
 * Twofish, indexed mapping) in a server namespace guarding port 22, and the real
 * {@code bin/knock} (and bash, hping3, nmap, Debian's knock) in a client namespace. Each
 * scenario checks the outcome from the client's side (can it connect to port 22?) and in the
 * audit log. The scenarios share one daemon and run in order; each leaves port 22 shut.
 * The client's extra addresses: .3 is the public side of a NAT (scenario 9), .4 a source that
 * denies itself further knocks (scenario 7).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ScenarioTimer.class)
@Timeout(90)
class EndToEndIT implements ScenarioTimer.Diagnosis {
  /** How soon after the knock was sent the port must open. */
  private static final long OPEN_WITHIN_MS = 1000;

  private Path dir;
  private Lab lab;
  private Knockd knockd;
  private AuditTrail audit;
  private Path alice;
  private Path bob;
  private Path mallory;
  private String client;
  private int scenarioMark;

  @BeforeAll
  void setUp(@TempDir Path tmp) throws Exception {
    dir = tmp;
    lab = Lab.open("ee", "10.204.1", dir);
    client = lab.clientIp();
    alice = lab.keygen("alice");
    bob = lab.keygen("bob");
    mallory = lab.keygen("mallory");
    knockd = lab.knockd("knockd", Knockd.Settings.defaults(), "[user alice]\n"
        + "Key               = " + alice + "\n"
        + "Allow             = open 22/tcp, close, deny-further, run backup\n"
        + "AllowOtherAddress = yes\n"
        + "\n[user bob]\n"
        + "Key   = " + bob + "\n"
        + "Allow = open 22/tcp, close\n"
        + "\n[action backup]\n"
        + "Command = /usr/bin/touch " + dir.resolve("ran-") + "%IP%\n"
        + "\n[door]\n"
        + "Sequence      = 7000,8000,9000\n"
        + "Seq_Timeout   = 5\n"
        + "TCPFlags      = syn\n"
        + "Start_Command = /usr/bin/touch " + dir.resolve("door-") + "%IP%\n");
    knockd.start();
    audit = knockd.audit();
  }

  @AfterAll
  void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Every scenario starts with knockd running and port 22 shut. */
  @BeforeEach
  void daemonRunsAndPortIsShut() throws Exception {
    if (!knockd.alive()) {
      knockd.start();
    }
    lab.noNat();
    scenarioMark = audit.mark();
    assertThat(lab.reachable()).as("port 22 before the scenario").isFalse();
  }

  @Override
  public String diagnosis() {
    return "audit log of the scenario:" + AuditTrail.describe(audit.since(scenarioMark));
  }

  @Test
  @Order(1)
  @DisplayName("1. open 22: shut before, open within 1 s, shut on expiry; close 22 closes early")
  void openExpireAndClose() throws Exception {
    int mark = audit.mark();
    lab.knock(alice, "open 22 3s");
    long sent = System.nanoTime();
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until open").isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client, "grant", client,
        "command", "open 22/tcp 3s", "duration", "3s");
    audit.await(mark, 1000, "access-granted", "user", "alice", "addr", client, "port", "22/tcp");

    assertThat(lab.until(false, 5000)).as("ms until shut again").isNotNegative();
    long shutAfter = (System.nanoTime() - sent) / 1_000_000;
    assertThat(shutAfter).as("ms from knock to shut (grant of 3 s)").isBetween(2500L, 4500L);
    audit.await(mark, 1000, "access-expired", "addr", client, "port", "22/tcp");

    mark = audit.mark();
    lab.knock(alice, "open 22 30s");
    assertThat(lab.until(true, OPEN_WITHIN_MS)).isBetween(0L, OPEN_WITHIN_MS);
    lab.knock(alice, "close 22");
    assertThat(lab.until(false, 1000)).as("ms until shut by close 22").isBetween(0L, 1000L);
    audit.await(mark, 1000, "knock-accepted", "src", client, "command", "close 22/tcp");
    audit.await(mark, 1000, "access-closed", "addr", client, "port", "22/tcp", "by", "knock");
  }

  @Test
  @Order(2)
  @DisplayName("3. an indexed knock sent by bash in reverse and in shuffled order opens")
  void reverseAndShuffledOrder() throws Exception {
    List<Integer> ports = lab.print(alice, "open 22 30s");
    assertThat(ports).hasSize(20);
    List<Integer> reversed = new ArrayList<>(ports);
    Collections.reverse(reversed);
    assertOpensThenClose(reversed);

    long seed = System.nanoTime();
    List<Integer> shuffled = new ArrayList<>(lab.print(alice, "open 22 30s"));
    Collections.shuffle(shuffled, new Random(seed));
    System.out.println("[e2e] shuffle seed " + seed + ": " + shuffled);
    assertOpensThenClose(shuffled);
  }

  private void assertOpensThenClose(List<Integer> order) throws Exception {
    int mark = audit.mark();
    lab.sendPorts(order);
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until open, order %s", order)
        .isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client,
        "command", "open 22/tcp 30s");
    closeAndWait();
  }

  private void closeAndWait() throws Exception {
    int mark = audit.mark();
    lab.knock(alice, "close 22");
    assertThat(lab.until(false, 1000)).as("ms until shut by close 22").isBetween(0L, 1000L);
    audit.await(mark, 1000, "access-closed", "port", "22/tcp", "by", "knock");
  }

  @Test
  @Order(3)
  @DisplayName("4. junk SYNs from the client's address between the real knocks: still opens")
  void spoofedJunkBetweenKnocks() throws Exception {
    List<Integer> ports = new ArrayList<>(lab.print(alice, "open 22 30s"));
    Random random = new Random();
    Collections.shuffle(ports, random);
    // junk at 6 distinct positions of the indexed range, never a real port: 2^6 combinations
    Set<Integer> real = new HashSet<>(ports);
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      positions.add(i);
    }
    Collections.shuffle(positions, random);
    List<String> steps = new ArrayList<>();
    List<Integer> junk = new ArrayList<>();
    for (int i = 0; i < ports.size(); i++) {
      steps.add(String.valueOf(ports.get(i)));
      if (i % 3 == 1 && junk.size() < 6) {
        int j;
        do {
          j = 20000 + 256 * positions.get(junk.size()) + random.nextInt(256);
        } while (real.contains(j));
        junk.add(j);
        steps.add("junk:" + j);
      }
    }
    int mark = audit.mark();
    lab.send(steps);
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until open, steps %s", steps)
        .isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client);
    for (int j : junk) { // the junk really reached the logged range
      assertThat(Probes.kernelLogLine(knockd.prefix().strip(), "SRC=" + client + " ",
          "DPT=" + j + " ")).as("kernel LOG line of junk SYN to %d", j).isNotNull();
    }
    closeAndWait();
  }

  @Test
  @Order(4)
  @DisplayName("6. a wrong key is refused (bad-tag), a stale clock too (stale)")
  void wrongKeyAndStaleClock() throws Exception {
    int mark = audit.mark();
    lab.knock(mallory, "open 22 30s");
    // bad-tag is only known when the sequence times out (SequenceTimeout = 2s)
    audit.await(mark, 4000, "knock-rejected", "src", client, "reason", "bad-tag");
    assertThat(lab.reachable()).isFalse();

    mark = audit.mark();
    long tenMinutesAgo = System.currentTimeMillis() / 1000 - 600;
    lab.sendPorts(lab.print(alice, "open 22 30s", "--timestamp", Long.toString(tenMinutesAgo)));
    audit.await(mark, 1000, "knock-rejected", "src", client, "reason", "stale");
    assertThat(lab.reachable()).isFalse();
    assertThat(audit.count(mark, "knock-accepted")).isZero();
  }

  @Test
  @Order(5)
  @DisplayName("7. deny-further: later valid knocks from that source are ignored")
  void denyFurther() throws Exception {
    String denied = lab.clientAlias(4);
    lab.natFrom(denied);
    int mark = audit.mark();
    lab.knock(alice, "deny-further 1m", "--source");
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", denied,
        "command", "deny-further 1m");

    mark = audit.mark();
    lab.knock(alice, "open 22 30s", "--source");
    Thread.sleep(1500); // a knock that counted would have opened within 1 s
    assertThat(lab.reachable()).as("port 22 from the denied source").isFalse();
    assertThat(audit.since(mark)).as("audit after the denied source's knock")
        .noneMatch(e -> denied.equals(e.get("src")) || denied.equals(e.get("addr")));

    lab.noNat(); // another source is still heard
    mark = audit.mark();
    lab.knock(alice, "open 22 30s");
    assertThat(lab.until(true, OPEN_WITHIN_MS)).isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "src", client);
    closeAndWait();
  }

  @Test
  @Order(6)
  @DisplayName("8. run backup runs the action once, with the client's address")
  void runAction() throws Exception {
    Path ran = dir.resolve("ran-" + client);
    int mark = audit.mark();
    lab.knock(alice, "run backup");
    audit.await(mark, 2000, "action-run", "action", "backup", "user", "alice", "src", client,
        "exit", "0", "timed-out", "no");
    assertThat(ran).exists();
    audit.await(mark, 0, "knock-accepted", "user", "alice", "command", "run backup");
    Thread.sleep(500);
    assertThat(audit.count(mark, "action-run")).as("action runs").isEqualTo(1);
    assertThat(lab.reachable()).isFalse();
  }

  @Test
  @Order(7)
  @DisplayName("9. behind NAT --source opens for the public address; --allow per policy")
  void natSourceAndAllowOtherAddress() throws Exception {
    String natted = lab.clientAlias(3);
    lab.natFrom(natted);
    // without --source the knock asks for the inner address: bob may not grant another one
    int mark = audit.mark();
    lab.knock(bob, "open 22 30s");
    audit.await(mark, 1000, "knock-rejected", "src", natted, "reason", "address-not-allowed");
    assertThat(lab.reachable()).isFalse();

    // --source: the address the knock comes from, i.e. the NAT's (bob retries at once)
    mark = audit.mark();
    lab.knock(bob, "open 22 30s", "--source");
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until open through the NAT")
        .isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "access-granted", "user", "bob", "addr", natted, "port", "22/tcp");
    lab.knock(bob, "close 22", "--source");
    assertThat(lab.until(false, 1000)).isBetween(0L, 1000L);
    // access-closed follows the removal: awaited here, it cannot land after the next mark and
    // pass for the access-closed of alice's close below
    audit.await(mark, 1000, "access-closed", "addr", natted, "port", "22/tcp", "by", "knock");
    lab.noNat();

    // --allow another address: alice may (AllowOtherAddress = yes); it opens for that one only
    mark = audit.mark();
    lab.knock(alice, "open 22 30s", "--allow", natted);
    audit.await(mark, 1000, "access-granted", "user", "alice", "addr", natted);
    audit.await(mark, 0, "knock-accepted", "src", client, "grant", natted);
    assertThat(lab.reachable()).as("from the knocking address").isFalse();
    lab.natFrom(natted);
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("from the allowed address")
        .isBetween(0L, OPEN_WITHIN_MS);
    lab.noNat();
    lab.knock(alice, "close 22", "--allow", natted);
    audit.await(mark, 1000, "access-closed", "addr", natted, "by", "knock");
  }

  @Test
  @Order(8)
  @DisplayName("10. static door 7000,8000,9000: Debian's knock and bin/knock open it")
  void staticDoor() throws Exception {
    Path marker = dir.resolve("door-" + client);
    int mark = audit.mark();
    lab.inClient("/usr/bin/knock", lab.serverIp(), "7000", "8000", "9000");
    audit.await(mark, 2000, "door-opened", "door", "door", "src", client);
    awaitFile(marker);
    Files.delete(marker);

    mark = audit.mark();
    lab.inClient("env", "KNOCK_HOME=" + dir.resolve("home"), Lab.script("knock"),
        lab.serverIp(), "7000", "8000", "9000");
    audit.await(mark, 2000, "door-opened", "door", "door", "src", client);
    awaitFile(marker);
  }

  private static void awaitFile(Path p) throws InterruptedException {
    for (int i = 0; i < 40 && !Files.exists(p); i++) {
      Thread.sleep(50);
    }
    assertThat(p).exists();
  }

  @Test
  @Order(9)
  @DisplayName("12. concealment: knockd has no socket; knock ports give no reply to a scan")
  void concealment() throws Exception {
    String ss = lab.server().exec("ss", "-Htulpn").ok().out();
    assertThat(ss).as("ss -tulpn in the server namespace").contains(":22 ")
        .doesNotContain("pid=" + knockd.pid() + ",");
    Netns.Result scan = lab.client().exec("nmap", "-n", "-Pn", "-sS", "--max-retries", "0",
        "--max-rtt-timeout", "300ms", "-p", "20000,21111,22222,25119,7000", lab.serverIp()).ok();
    for (String port : List.of("20000", "21111", "22222", "25119", "7000")) {
      assertThat(scan.out()).as("nmap:\n%s", scan.out()).containsPattern(port + "/tcp +filtered");
    }
    // knockd took the scan's SYNs for the start of a knock from the client; a knock sent while
    // that sequence lasts would be split where SequenceTimeout (2 s) ends it: let it end
    Thread.sleep(2300);
  }

  @Test
  @Order(10)
  @DisplayName("5. replay: an accepted knock's ports re-sent stay shut, also after a restart")
  void replay() throws Exception {
    List<Integer> ports = lab.print(alice, "open 22 30s");
    assertOpensThenClose(ports);

    int mark = audit.mark();
    lab.sendPorts(ports);
    audit.await(mark, 1000, "knock-rejected", "src", client, "reason", "replay");
    assertThat(lab.reachable()).isFalse();

    knockd.stop(); // SIGTERM to its PID
    knockd.start(); // the same StateDir
    mark = audit.mark();
    lab.sendPorts(ports);
    audit.await(mark, 1000, "knock-rejected", "src", client, "reason", "replay");
    assertThat(lab.reachable()).isFalse();
    assertThat(audit.count(mark, "knock-accepted")).isZero();
  }

  @Test
  @Order(11)
  @DisplayName("11. kill -9 knockd with access open: the kernel still expires it on time")
  void killedDaemonGrantStillExpires() throws Exception {
    int mark = audit.mark();
    lab.knock(alice, "open 22 3s");
    long sent = System.nanoTime();
    assertThat(lab.until(true, OPEN_WITHIN_MS)).isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "access-granted", "addr", client);
    knockd.kill9();
    assertThat(lab.reachable()).as("open right after the kill").isTrue();
    assertThat(lab.until(false, 5000)).isNotNegative();
    long shutAfter = (System.nanoTime() - sent) / 1_000_000;
    assertThat(shutAfter).as("ms from knock to shut, knockd dead").isBetween(2500L, 4500L);
    assertThat(knockd.firewallPresent()).as("the killed knockd's table is still there").isTrue();

    knockd.start(); // adopts the leftover table
    mark = audit.mark();
    lab.knock(alice, "open 22 30s");
    assertThat(lab.until(true, OPEN_WITHIN_MS)).isBetween(0L, OPEN_WITHIN_MS);
    closeAndWait();
  }
}
