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
 * free at once for the next; forged NFLOG records a local process with CAP_NET_ADMIN unicasts
 * to knockd's netlink sockets are refused (they are connected to the kernel). With the fallback
 * forced ({@code -Dknockd.nflog=ulogd} in KNOCKD_JAVA_OPTS) it reads them through the ulogd2 it
 * starts there (its own config, its own group, in its own namespace: no system ulogd is
 * involved): ulogd killed by its PID is audited as source-lost, started again
 * (source-recovered), and a knock opens again; at stop knockd ends its ulogd, and when knockd is
 * killed by SIGKILL the kernel kills its ulogd too (parent-death signal), so a knockd started at
 * once binds the group and reads knocks. The kernel log sees none of it: nothing is logged with
 * LOG.
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
    // knockd's "started" line may follow the audit record start() waits for
    current.awaitOutput(", log nflog:" + GROUP + " (read directly through a netlink socket)", 5000);
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

  /**
   * Only the kernel may talk to knockd's netlink sockets. A local process with CAP_NET_ADMIN
   * (user nobody with that capability alone, in the server namespace) that unicasts forged
   * NFULNL_MSG_PACKET records for a static door's sequence from a made-up source to the NFLOG
   * socket's portid is refused (ECONNREFUSED: the socket is connected to the kernel), and so is
   * a unicast to any other netlink socket of knockd (the grant socket); knockd neither opens the
   * door nor audits anything for that source, while the same sequence of real SYNs from the
   * client opens it. Before the sockets were connected, the forged records opened the door for
   * the forged source. Without CAP_NET_ADMIN the kernel itself refuses a unicast to a
   * NETLINK_NETFILTER portid (EPERM), connected or not.
   */
  @Test
  void forgedNflogRecordsFromALocalUserAreRefusedAndOpenNothing(@TempDir Path dir)
      throws Exception {
    String forged = "10.204.17.77";
    current = lab.knockd("nflog-forge", new Knockd.Settings("twofish", "indexed", "nftables",
        "nflog:" + GROUP), "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp\n"
        + "\n[door]\nSequence = 7000,8000,9000\nSeq_Timeout = 5\nTCPFlags = syn\n"
        + "Start_Command = /usr/bin/touch " + dir.resolve("door-") + "%IP%\n");
    current.start();
    assertThat(groupBound()).as("knockd bound group " + GROUP).isTrue();
    String nflog = nflogPortid();
    List<String> sockets = netlinkPortids(current.pid());
    assertThat(sockets).as("knockd's NETLINK_NETFILTER sockets").contains(nflog);

    int mark = current.audit().mark();
    assertThat(forge(false, nflog, current.prefix(), forged, lab.serverIp(), List.of(7000)))
        .as("a unicast of nobody without CAP_NET_ADMIN").isEqualTo("refused errno=1");
    List<String> sent = new java.util.ArrayList<>();
    for (String portid : sockets) {
      sent.add(portid + ": " + forge(true, portid, current.prefix(), forged, lab.serverIp(),
          List.of(7000, 8000, 9000)));
    }
    lab.inClient("/usr/bin/knock", lab.serverIp(), "7000", "8000", "9000");
    current.audit().await(mark, 2000, "door-opened", "door", "door", "src", lab.clientIp());
    Path real = dir.resolve("door-" + lab.clientIp());
    for (int i = 0; i < 40 && !Files.exists(real); i++) {
      Thread.sleep(50);
    }
    assertThat(real).as("the real knock's Start_Command ran").exists();
    assertThat(dir.resolve("door-" + forged)).as("Start_Command for the forged source")
        .doesNotExist();
    assertThat(current.audit().since(mark).stream().filter(e -> e.line().contains(forged))
        .map(AuditTrail.Event::line)).as("audited for the forged source").isEmpty();
    assertThat(sent).as("unicasts of nobody with CAP_NET_ADMIN to knockd's netlink sockets "
        + "(NFLOG: " + nflog + ")")
        .allMatch(r -> r.endsWith("refused errno=111"));
    current.stop();
  }

  /**
   * Sends, as user nobody in the server namespace (with CAP_NET_ADMIN alone if {@code netAdmin},
   * else no capability), one forged NFULNL_MSG_PACKET per port (group {@link #GROUP}, the
   * prefix, an IPv4 TCP SYN from {@code src} to {@code dst}) to netlink portid {@code portid},
   * with perl (Debian's perl-base is essential). Returns "sent N" or "refused errno=E" (the
   * first send refused).
   */
  private String forge(boolean netAdmin, String portid, String prefix, String src, String dst,
      List<Integer> ports) {
    String perl = String.join("\n",
        "use strict; use Socket;",
        "my ($portid, $group, $prefix, $src, $dst, @ports) = @ARGV;",
        "sub attr { my ($t, $v) = @_; my $a = pack('S S', 4 + length($v), $t) . $v;",
        "  return $a . (\"\\0\" x ((4 - length($a) % 4) % 4)); }",
        "socket(my $s, 16, 3, 12) or die \"socket: $!\\n\"; # AF_NETLINK RAW NETFILTER",
        "my $to = pack('S S L L', 16, 0, $portid, 0);",
        "my $n = 0;",
        "for my $port (@ports) {",
        "  my $ip = pack('C C n n n C C n', 0x45, 0, 40, 4242 + $n, 0x4000, 64, 6, 0)",
        "    . inet_aton($src) . inet_aton($dst);",
        "  my $tcp = pack('n n N N C C n n n', 40000 + $n, $port, 1000, 0, 0x50, 2, 64240, 0, 0);",
        "  my $body = pack('C C n', 2, 0, $group) . attr(10, $prefix . \"\\0\")",
        "    . attr(9, $ip . $tcp);",
        "  my $msg = pack('L S S L L', 16 + length($body), 0x400, 0, $n + 1, 0) . $body;",
        "  if (!defined send($s, $msg, 0, $to)) { print 'refused errno=' . ($! + 0); exit 0; }",
        "  $n++;",
        "}",
        "print \"sent $n\";");
    List<String> argv = new java.util.ArrayList<>(List.of("setpriv", "--reuid=65534",
        "--regid=65534", "--clear-groups"));
    if (netAdmin) {
      argv.addAll(List.of("--inh-caps=+net_admin", "--ambient-caps=+net_admin",
          "--bounding-set=-all,+net_admin"));
    }
    argv.addAll(List.of("perl", "-e", perl, portid, GROUP, prefix, src, dst));
    ports.forEach(p -> argv.add(p.toString()));
    return lab.server().exec(argv.toArray(new String[0])).ok().out().strip();
  }

  /** The netlink portid that holds NFLOG group {@link #GROUP} in the server namespace. */
  private String nflogPortid() {
    return lab.server().exec("cat", "/proc/net/netfilter/nfnetlink_log").ok().out().lines()
        .map(l -> l.strip().split("\\s+")).filter(f -> f[0].equals(GROUP)).map(f -> f[1])
        .findFirst().orElseThrow();
  }

  /**
   * The portids of the NETLINK_NETFILTER sockets process {@code pid} holds (its descriptors'
   * inodes in the server namespace's /proc/net/netlink).
   */
  private List<String> netlinkPortids(long pid) throws IOException {
    java.util.Set<String> inodes = new java.util.HashSet<>();
    try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid),
        "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    return lab.server().exec("cat", "/proc/net/netlink").ok().out().lines().skip(1)
        .map(l -> l.strip().split("\\s+"))
        .filter(f -> f.length >= 10 && f[1].equals("12") && inodes.contains(f[9]))
        .map(f -> f[2]).toList();
  }

  @Test
  void withTheFallbackForcedKnocksOpenThroughUlogdWhichIsRestartedWhenKilled() throws Exception {
    current = lab.knockd("nflog-nft", new Knockd.Settings("twofish", "indexed", "nftables",
        "nflog:" + GROUP), "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n")
        .javaOpts(FORCE_ULOGD);
    current.start();
    current.awaitOutput(", log nflog:" + GROUP
        + " (through a ulogd child: forced by -Dknockd.nflog=ulogd)", 5000);
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
