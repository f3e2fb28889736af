package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * knockd fails closed (issue 12): the real bin/knockd in a lab's server namespace with
 * {@code OnExit = keep} (the default), bin/knock in the client. A SIGTERM and a kill -9 each
 * leave port 22 closed to the client with knockd's table or chain still in the kernel (a grant
 * still runs to its end, ended by the kernel); a restart adopts the rules and a knock opens;
 * {@code knockd --remove-rules} removes them. A SIGHUP applies new Protect and KnockPorts to the
 * firewall in the same reload, and a reload that cannot be applied is refused while the running
 * config keeps working. Lab 10.204.3.0/24.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
class FailClosedIT extends LabScenarios {
  private static final long OPEN_WITHIN_MS = 1000;
  private static final String NEW_RANGE = "30000-35119";
  private Path dir;
  private Path alice;
  private String users;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    this.dir = dir;
    lab = Lab.open("fc", "10.204.3", dir);
    alice = lab.keygen("alice");
    users = "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n";
  }

  private void openThenClose(String... options) throws Exception {
    lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS, options);
    lab.knock(alice, "close 22", options);
    assertThat(lab.until(false, OPEN_WITHIN_MS)).as("ms until shut").isBetween(0L, OPEN_WITHIN_MS);
  }

  /** Stop, crash, restart and --remove-rules with one backend. */
  private void failsClosed(String firewall) throws Exception {
    current = lab.knockd("keep-" + firewall, new Knockd.Settings("twofish", "indexed", firewall,
        "kmsg"), users);
    current.set("OnExit", "keep").start();
    assertThat(lab.reachable()).as("protected").isFalse();

    // a grant open at SIGTERM runs to its end, then the kernel ends it; the drop stays
    int mark = current.audit().mark();
    Instant expires = lab.open(current, alice, "open 22 3s", OPEN_WITHIN_MS);
    current.stop(); // SIGTERM to its PID; checks the table/chain is still there
    current.audit().await(mark, 1000, "daemon-stop");
    assertThat(current.audit().count(mark, "rules-removed")).isZero();
    long left = Duration.between(Instant.now(), expires).toMillis();
    assertThat(left).as("ms left of the grant").isBetween(0L, 4000L);
    // (iptables: ≤ 3 s after the audited end, see BackendMatrixIT scenario 11)
    assertThat(lab.until(false, left + 3500)).as("the kernel ended the grant").isNotNegative();
    assertThat(lab.reachable()).as("port 22 after SIGTERM").isFalse();
    assertThat(current.firewallPresent()).isTrue();

    // a restart adopts the rules; a knock opens
    current.start();
    assertThat(lab.reachable()).isFalse();
    openThenClose();

    // kill -9: the same
    current.kill9();
    assertThat(current.firewallPresent()).as("after kill -9").isTrue();
    assertThat(lab.reachable()).as("port 22 after kill -9").isFalse();

    // the deliberate way out
    mark = current.audit().mark();
    Netns.Result r = current.removeRules();
    assertThat(r.exit()).as("--remove-rules: %s", r.err()).isZero();
    assertThat(r.out().strip()).isEqualTo(firewall.equals("nftables")
        ? "knockd: removed nftables table inet knockd"
        : "knockd: removed iptables chain KNOCKD and its jump from INPUT; ip6tables chain KNOCKD "
            + "and its jump from INPUT");
    assertThat(current.firewallPresent()).as("after --remove-rules").isFalse();
    assertThat(lab.reachable()).as("port 22 after --remove-rules").isTrue();
    current.audit().await(mark, 1000, "rules-removed", "firewall", firewall, "by", "remove-rules");
    r = current.removeRules();
    assertThat(r.exit()).as("a second --remove-rules: %s", r.err()).isZero();
    assertThat(r.out().strip()).isEqualTo(firewall.equals("nftables")
        ? "knockd: removed nothing (no nftables table inet knockd)"
        : "knockd: removed nothing (no iptables chain KNOCKD, no ip6tables chain KNOCKD)");
  }

  @Test
  @Order(1)
  @DisplayName("nftables: SIGTERM and kill -9 leave port 22 closed; restart adopts; "
      + "--remove-rules removes the table")
  void nftablesFailsClosed() throws Exception {
    failsClosed("nftables");
  }

  @Test
  @Order(2)
  @DisplayName("iptables: SIGTERM and kill -9 leave port 22 closed; restart adopts; "
      + "--remove-rules removes the chain")
  void iptablesFailsClosed() throws Exception {
    failsClosed("iptables");
  }

  @Test
  @Order(3)
  @DisplayName("SIGHUP: new Protect and KnockPorts reach the firewall in the same reload; "
      + "a reload that cannot be applied is refused and the old config works")
  void reloadsChangeTheFirewallOrNothing() throws Exception {
    Probes.listen(lab.server(), 2222, dir);
    current = lab.knockd("reload", Knockd.Settings.defaults(), users).start();
    assertThat(Probes.connects(lab.client(), lab.serverIp(), 2222, "1")).isTrue();

    // Protect: the new port's drop is there once the reload is audited
    current.set("Protect", "22/tcp, 2222/tcp");
    AuditTrail.Event e = current.reload();
    assertThat(e.name()).as(e.line()).isEqualTo("config-reloaded");
    assertThat(e.get("changed")).isEqualTo("Protect");
    assertThat(Probes.connects(lab.client(), lab.serverIp(), 2222, "1")).as("2222 protected")
        .isFalse();
    openThenClose();

    // KnockPorts: a knock to the new range opens, the old range is no longer logged
    current.set("KnockPorts", NEW_RANGE);
    e = current.reload();
    assertThat(e.name()).as(e.line()).isEqualTo("config-reloaded");
    assertThat(e.get("changed")).isEqualTo("KnockPorts");
    String chain = lab.server().exec("nft", "list", "chain", "inet", "knockd", "input").ok().out();
    assertThat(chain).contains("tcp dport 30000-35119").doesNotContain("20000-25119");
    openThenClose("--ports", NEW_RANGE);
    String src = "SRC=" + lab.clientIp() + " ";
    long before = loggedTo(src, 20001);
    lab.sendPorts(List.of(20001, 30001));
    assertThat(Probes.kernelLogLine(current.prefix(), src, "DPT=30001 ")).as("new range logged")
        .isNotNull();
    assertThat(loggedTo(src, 20001)).as("old range not logged").isLessThanOrEqualTo(before);

    // a reload that cannot be applied: refused as a whole; the running config keeps working
    current.set("Firewall", "iptables").set("KnockPorts", "40000-45119");
    e = current.reload();
    assertThat(e.name()).as(e.line()).isEqualTo("config-reload-refused");
    assertThat(e.get("reason")).startsWith("restart knockd to change Firewall");
    assertThat(lab.server().exec("nft", "list", "chain", "inet", "knockd", "input").ok().out())
        .contains("tcp dport 30000-35119");
    assertThat(lab.server().exec("iptables", "-w", "-S", "KNOCKD").exit()).isNotZero();
    openThenClose("--ports", NEW_RANGE);
    current.set("Firewall", "nftables").set("KnockPorts", NEW_RANGE);
    current.stop(); // OnExit = remove: the table goes
  }

  /** How many kernel log lines with knockd's prefix and {@code src} went to {@code port}. */
  private long loggedTo(String src, int port) {
    return Netns.host("dmesg").ok().out().lines()
        .filter(l -> l.contains(current.prefix()) && l.contains(src)
            && l.contains("DPT=" + port + " "))
        .count();
  }
  @Test
  @Order(4)
  @DisplayName("a door open when knockd is killed (kill -9) is closed by the next start: its "
      + "Stop_Command runs, audited")
  void aDoorOpenAtAKill9IsClosedByTheNextStart() throws Exception {
    Path opened = dir.resolve("door-" + lab.clientIp());
    current = lab.knockd("door-kill9", new Knockd.Settings("twofish", "indexed", "nftables",
        "kmsg"), users + "\n[door]\nSequence = 7000,8000,9000\nSeq_Timeout = 5\n"
        + "TCPFlags = syn\nStart_Command = /usr/bin/touch " + dir.resolve("door-") + "%IP%\n"
        + "Stop_Command = /bin/rm " + dir.resolve("door-") + "%IP%\nCmd_Timeout = 10\n")
        .start();
    AuditTrail audit = current.audit();
    int mark = audit.mark();
    Instant openedAt = Instant.now();
    lab.inClient("/usr/bin/knock", lab.serverIp(), "7000", "8000", "9000");
    audit.await(mark, 2000, "door-opened", "door", "door", "src", lab.clientIp());
    for (int i = 0; i < 40 && !java.nio.file.Files.exists(opened); i++) {
      Thread.sleep(50);
    }
    assertThat(opened).as("Start_Command ran").exists();
    Thread.sleep(200); // the Stop_Command owed is on disk right after the Start_Command begins
    current.kill9(); // before its Cmd_Timeout
    assertThat(opened).as("nobody ran the Stop_Command").exists();
    mark = audit.mark();
    current.start();
    // at its time (Cmd_Timeout after it opened), not at once; before: it stayed open for good.
    // 10 s: a restart under the load of a second test class can take 5 s
    assertThat(Duration.between(openedAt, Instant.now()).toMillis()).as("restarted within 9 s")
        .isLessThan(9000);
    assertThat(opened).as("still open: its time is not up").exists();
    audit.await(mark, 13000, "door-closed", "door", "door", "src", lab.clientIp(), "exit", "0");
    assertThat(opened).as("Stop_Command ran").doesNotExist();
    assertThat(Duration.between(openedAt, Instant.now()).toMillis()).as("ms open")
        .isGreaterThanOrEqualTo(10000);
    current.stop();
    assertThat(audit.count(mark, "door-closed")).as("once").isEqualTo(1);
  }
  @Test
  @Order(5)
  @DisplayName("a start that fails after installing the rules keeps them (fail closed) and is "
      + "audited daemon-start-failed")
  void aStartThatFailsAfterInstallingIsAuditedAndFailsClosed() throws Exception {
    current = lab.knockd("start-fails", new Knockd.Settings("twofish", "indexed", "nftables",
        "kmsg"), users);
    current.set("OnExit", "keep").set("FirewallLog", "/"); // a path the log source refuses,
    // and the log source is opened after the firewall is installed
    Netns.Result r = current.runToItsEnd();
    assertThat(r.exit()).as("%s", r.err()).isEqualTo(1);
    assertThat(r.err()).contains("knockd: not a log file path: '/'\n");
    assertThat(current.firewallPresent()).as("its rules stay: fail closed").isTrue();
    assertThat(lab.reachable()).as("protected").isFalse();
    // before: no record at all of a start that had changed the firewall
    assertThat(current.audit().await(0, 1000, "daemon-start-failed").get("reason"))
        .isEqualTo("not a log file path: '/'");
    assertThat(current.audit().count(0, "daemon-start")).isZero();
    assertThat(current.removeRules().exit()).isZero();
  }
}
