package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code FirewallLog = nflog:5} (issue 17): the real knockd in the server namespace logs knock
 * SYNs to NFLOG group 5. By default it reads them directly through a netlink socket of its own
 * (bin/knockd on JDK 17 has the foreign linker): a real knock opens port 22, a knock with a key
 * knockd does not know does not, no ulogd runs, and a knockd killed by SIGKILL leaves the group
 * free at once for the next. With the fallback forced ({@code -Dknockd.nflog=ulogd} in
 * KNOCKD_JAVA_OPTS) it reads them through the ulogd2 it starts there (its own config, its own
 * group, in its own namespace: no system ulogd is involved): ulogd killed by its PID is audited as
 * source-lost, started again (source-recovered), and a knock opens again; at stop knockd ends
 * its ulogd, and when knockd is killed by SIGKILL the kernel kills its ulogd too (parent-death
 * signal), so a knockd started at once binds the group and reads knocks. The kernel log sees none
 * of it: nothing is logged with LOG.
 */
class NflogIT extends LabScenarios {
  private static final long OPEN_WITHIN_MS = 1000;
  private static final String GROUP = "5";
  private static final String FORCE_ULOGD = "-Dknockd.nflog=ulogd";
  private Path alice;
  private Path mallory;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    lab = Lab.open("nfl", "10.204.17", dir);
    alice = lab.keygen("alice");
    mallory = lab.keygen("mallory");
  }

  @Test
  void knocksOpenThroughTheDirectReaderWithoutUlogd() throws Exception {
    current = lab.knockd("nflog-direct", new Knockd.Settings("twofish", "indexed", "nftables",
        "nflog:" + GROUP), "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n");
    current.start();
    assertThat(current.output()).contains(", log nflog:" + GROUP
        + " (read directly through a netlink socket)");
    assertThat(groupBound()).as("knockd bound group " + GROUP).isTrue();
    assertThat(ulogds()).as("ulogd processes of knockd").isEmpty();

    int mark = unknownKeyOpensNothingAliceOpensAndCloses();
    assertThat(current.audit().count(mark, "source-overrun")).isZero();

    current.stop();
    assertThat(groupBound()).as("group " + GROUP + " released at stop").isFalse();
  }

  @Test
  void aKnockdKilledBySigkillLeavesTheGroupFreeForTheNextAtOnce() throws Exception {
    current = lab.knockd("nflog-direct-kill9", new Knockd.Settings("twofish", "indexed",
        "nftables", "nflog:" + GROUP), "[user alice]\nKey = " + alice
        + "\nAllow = open 22/tcp\n");
    current.start();
    assertThat(groupBound()).as("knockd bound group " + GROUP).isTrue();
    current.kill9(); // returns when the process has exited
    assertThat(groupBound()).as("group " + GROUP + " still bound after SIGKILL").isFalse();

    int mark = current.audit().mark();
    current.start();
    assertThat(groupBound()).as("the new knockd bound group " + GROUP).isTrue();
    assertThat(current.audit().count(mark, "source-lost")).as("source-lost at start").isZero();
    assertThat(lab.reachable()).as("protected").isFalse();
    lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS);
    current.stop();
  }

  /**
   * Another process (a ulogd of its own here) holds the group when knockd starts: one
   * source-lost line that says so, the door stays shut, and once the group is free knockd binds
   * it (source-recovered) and knocks open.
   */
  @Test
  void aGroupAnotherProcessHoldsIsAuditedAsLostAndReadOnceItIsFree(@TempDir Path tmp)
      throws Exception {
    Path conf = Files.writeString(tmp.resolve("ulogd.conf"), "[global]\nlogfile=\"/dev/stderr\"\n"
        + "loglevel=3\nstack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,print1:PRINTPKT,"
        + "emu1:LOGEMU\n\n[log1]\ngroup=" + GROUP + "\n\n[emu1]\nfile=\"/dev/null\"\nsync=1\n");
    Process other = lab.server().start(List.of("/usr/sbin/ulogd", "-c", conf.toString()),
        tmp.resolve("ulogd.out"), tmp.resolve("ulogd.err"));
    try {
      long end = System.nanoTime() + 3_000_000_000L;
      while (!groupBound() && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      assertThat(groupBound()).as("the other ulogd bound group " + GROUP).isTrue();
      current = lab.knockd("nflog-busy", new Knockd.Settings("twofish", "indexed", "nftables",
          "nflog:" + GROUP), "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp\n");
      int mark = current.audit().mark();
      current.start();
      AuditTrail.Event lost = current.audit().await(mark, 3000, "source-lost", "log",
          "nflog:" + GROUP);
      assertThat(lost.get("reason")).startsWith("NFLOG group " + GROUP
          + " is bound by another process (netlink portid ");
      assertThat(current.audit().count(mark, "source-lost")).isEqualTo(1);
      assertThat(lab.reachable()).as("protected").isFalse();

      other.destroy();
      assertThat(other.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      current.audit().await(mark, 10_000, "source-recovered", "log", "nflog:" + GROUP);
      assertThat(current.audit().count(mark, "source-lost")).as("lost once, not per retry")
          .isEqualTo(1);
      lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS);
      current.stop();
    } finally {
      other.destroyForcibly();
    }
  }

  @Test
  void withTheFallbackForcedKnocksOpenThroughUlogdWhichIsRestartedWhenKilled() throws Exception {
    current = lab.knockd("nflog-nft", new Knockd.Settings("twofish", "indexed", "nftables",
        "nflog:" + GROUP), "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n")
        .javaOpts(FORCE_ULOGD);
    current.start();
    assertThat(current.output()).contains(", log nflog:" + GROUP
        + " (through a ulogd child: forced by -Dknockd.nflog=ulogd)");
    assertThat(lab.server().exec("nft", "list", "chain", "inet", "knockd", "input").ok().out())
        .contains("log prefix \"" + current.prefix() + "\" group " + GROUP);
    long ulogd = ulogd();
    assertThat(groupBound()).as("ulogd bound group " + GROUP).isTrue();

    // a knock with an unknown key opens nothing; alice's opens within a second
    int mark = unknownKeyOpensNothingAliceOpensAndCloses();

    // ulogd dies: audited, started again, and knocks open again
    mark = current.audit().mark();
    Netns.host("kill", "-9", Long.toString(ulogd)).ok();
    current.audit().await(mark, 3000, "source-lost", "log", "nflog:" + GROUP);
    current.audit().await(mark, 3000, "source-recovered", "log", "nflog:" + GROUP);
    long again = ulogd();
    assertThat(again).as("a new ulogd").isNotEqualTo(ulogd);
    long end = System.nanoTime() + 3_000_000_000L;
    while (!groupBound() && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(groupBound()).as("the new ulogd bound group " + GROUP).isTrue();
    assertThat(lab.reachable()).as("still protected while ulogd was away").isFalse();
    lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS);
    assertThat(current.alive()).isTrue();

    current.stop();
    assertThat(ProcessHandle.of(again).map(ProcessHandle::isAlive).orElse(false))
        .as("knockd ends its ulogd").isFalse();
    assertThat(groupBound()).isFalse();
    // ulogd logs to its stderr, not to a file it would create in knockd's working directory
    assertThat(Path.of("stderr")).doesNotExist();
  }

  @Test
  void theUlogdOfAKnockdKilledBySigkillEndsWithItSoTheNextReadsKnocksAtOnce() throws Exception {
    current = lab.knockd("nflog-kill9", new Knockd.Settings("twofish", "indexed", "nftables",
        "nflog:" + GROUP), "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp\n")
        .javaOpts(FORCE_ULOGD);
    current.start();
    ProcessHandle first = ProcessHandle.of(ulogd()).orElseThrow();
    assertThat(groupBound()).as("ulogd bound group " + GROUP).isTrue();

    current.kill9();
    long end = System.nanoTime() + 2_000_000_000L;
    while (!ended(first) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(ended(first)).as("the ulogd (PID %d) of a knockd killed by SIGKILL ended with it",
        first.pid()).isTrue();
    assertThat(groupBound()).as("and released group " + GROUP).isFalse();

    current.start();
    assertThat(ulogd()).isNotEqualTo(first.pid());
    assertThat(groupBound()).as("the new knockd's ulogd bound group " + GROUP).isTrue();
    assertThat(lab.reachable()).as("protected").isFalse();
    lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS);
    current.stop();
  }

  @Test
  void iptablesLogsToTheGroupToo() throws Exception {
    current = lab.knockd("nflog-ipt", new Knockd.Settings("twofish", "indexed", "iptables",
        "nflog:" + GROUP), "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp\n");
    current.start();
    assertThat(lab.server().exec("iptables", "-w", "-S", "KNOCKD").ok().out())
        .contains("-j NFLOG --nflog-prefix \"" + current.prefix() + "\" --nflog-group " + GROUP);
    lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS);
    current.stop();
  }

  /** The ulogd processes knockd runs (descendants of its process). */
  private List<ProcessHandle> ulogds() {
    return ProcessHandle.of(current.pid()).orElseThrow().descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("/ulogd")).orElse(false)).toList();
  }

  /** The PID of the one ulogd knockd runs (a descendant of its process). */
  private long ulogd() throws InterruptedException {
    long end = System.nanoTime() + 3_000_000_000L;
    while (true) {
      List<ProcessHandle> u = ulogds();
      if (u.size() == 1) {
        return u.get(0).pid();
      }
      if (System.nanoTime() > end) {
        throw new AssertionError("knockd runs " + u.size() + " ulogd processes, not 1");
      }
      Thread.sleep(20);
    }
  }

  /**
   * Whether a process has ended: gone, or a zombie not yet reaped by its new parent (which
   * ProcessHandle still counts as alive); it holds no socket either way.
   */
  private static boolean ended(ProcessHandle h) {
    if (!h.isAlive()) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true;
    }
  }

  /** Whether the kernel lists NFLOG group {@link #GROUP} as bound in the server namespace. */
  private boolean groupBound() {
    return lab.server().exec("cat", "/proc/net/netfilter/nfnetlink_log").ok().out().lines()
        .anyMatch(l -> l.strip().split("\\s+")[0].equals(GROUP));
  }

  /**
   * A knock with an unknown key opens nothing; alice's opens within a second and her close shuts
   * it. Returns the audit mark taken before.
   */
  private int unknownKeyOpensNothingAliceOpensAndCloses() throws Exception {
    int mark = current.audit().mark();
    lab.tryKnock(mallory, "open 22 30s");
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until an unknown key opens").isNegative();
    assertThat(current.audit().count(mark, "access-granted")).isZero();
    lab.open(current, alice, "open 22 30s", OPEN_WITHIN_MS);
    lab.knock(alice, "close 22");
    assertThat(lab.until(false, OPEN_WITHIN_MS)).as("ms until shut").isNotNegative();
    return mark;
  }
}
