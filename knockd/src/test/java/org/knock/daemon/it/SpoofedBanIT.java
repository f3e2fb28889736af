package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Issue 13 item 1, with the shipped etc/fail2ban files (root; subnet 10.209.1.0/24, fail2ban from
 * Debian): the real {@code bin/knockd} in a server namespace gets, from the client namespace,
 * nothing but SYNs with forged source addresses (hping3 -a) — knocks under a key it does not know
 * "from" the server's resolver, a scan "from" its gateway, and a captured knock of alice's resent
 * "from" the admin's other address. {@code fail2ban-regex} with the shipped filter then finds each
 * forged address in the real audit log at least {@code maxretry} times: the filter's matches ARE
 * spoofable. So the jail must ban nothing: {@code fail2ban-client -d} (fail2ban's own reading of
 * the shipped jail) shows it off by default, and, once an admin enables it, with the report-only
 * {@code dummy} action alone — no banaction, no allports, no firewall command, so no address is
 * ever banned from the protected port, the knock ports or the host.
 */
@Isolated("a SYN flood fills the one kernel log ring")
class SpoofedBanIT {
  private static final String SUBNET = "10.209.1";
  private static final Path ROOT = Path.of(System.getProperty("knock.root"));
  @TempDir Path dir;

  @Test
  void spoofedProbesReachTheFilterButTheShippedJailBansNothing() throws Exception {
    String resolver = SUBNET + ".53";
    String gateway = SUBNET + ".254";
    Path audit;
    try (Lab lab = Lab.open("sb", SUBNET, Files.createDirectories(dir.resolve("lab")))) {
      String admin = lab.clientAlias(3);
      Path alice = lab.keygen("alice");
      Path mallory = lab.keygen("mallory"); // a key knockd does not know
      Knockd knockd = lab.knockd("knockd", Knockd.Settings.defaults(),
          "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp\n").start();
      AuditTrail trail = knockd.audit();
      audit = trail.file();
      int mark = trail.mark();

      List<Integer> scan = new ArrayList<>();
      for (int i = 0; i < 150; i++) {
        scan.add(20000 + 31 * i);
      }
      spoof(lab, gateway, scan);
      List<Integer> captured = lab.print(alice, "open 22 30m"); // seen on the wire, never sent
      for (int round = 0; round < 5; round++) {
        spoof(lab, resolver, lab.print(mallory, "open 22 30m"));
        spoof(lab, admin, captured);
        Thread.sleep(2500); // > SequenceTimeout (2 s): the next round is a new sequence
      }
      trail.await(mark, 15_000, "knock-hunt", "src", resolver);
      trail.await(mark, 15_000, "scan", "src", gateway);
      // the captured knock is burned on sight: refused for its address once, then as a replay.
      // Neither alert above comes after the last round's refusal: wait (bounded) until all five
      // rounds are decided instead of counting once after the last round's 2.5 s
      long end = System.nanoTime() + 5_000_000_000L;
      while (trail.count(mark, "knock-rejected", "src", admin) < 5 && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      assertThat(trail.count(mark, "knock-rejected", "src", admin, "reason",
          "address-not-allowed")).isEqualTo(1);
      assertThat(trail.count(mark, "knock-rejected", "src", admin, "reason", "replay"))
          .isEqualTo(4);
      assertThat(trail.count(mark, "knock-accepted")).isZero();
    }

    Map<String, Integer> matched = new TreeMap<>();
    Netns.Result regex = Netns.run(List.of("fail2ban-regex", "-o", "ip", audit.toString(),
        ROOT.resolve("etc/fail2ban/filter.d/knockd.conf").toString()), 60).ok();
    regex.out().lines().map(String::strip).filter(l -> !l.isEmpty())
        .forEach(ip -> matched.merge(ip, 1, Integer::sum));

    Path conf = fail2banConf();
    assertThat(dump(conf)).as("the jail is off by default")
        .noneMatch(l -> l.startsWith("['add', 'knockd'"));
    Files.writeString(conf.resolve("jail.d/knockd.local"),
        "[knockd]\nenabled = true\nlogpath = " + audit + "\n");
    List<String> jail = dump(conf).stream().filter(l -> l.contains("'knockd'")).toList();
    assertThat(jail).contains("['add', 'knockd', 'auto']");
    int maxretry = Integer.parseInt(setting(jail, "maxretry"));
    assertThat(matched).as("every forged source reaches maxretry %d: %s", maxretry, matched)
        .containsKeys("10.209.1.53", "10.209.1.3", "10.209.1.254");
    assertThat(matched.get("10.209.1.53")).isGreaterThanOrEqualTo(maxretry);
    assertThat(matched.get("10.209.1.3")).isGreaterThanOrEqualTo(maxretry);

    List<String> actions = jail.stream().filter(l -> l.startsWith("['set', 'knockd', "
        + "'addaction', ")).toList();
    assertThat(actions).as("report-only, nothing else").containsExactly(
        "['set', 'knockd', 'addaction', 'dummy']");
    String dummy = jail.stream().filter(l -> l.startsWith("['multi-set', 'knockd', 'action', "
        + "'dummy'")).findFirst().orElseThrow();
    assertThat(dummy).contains("['actionban', 'printf %b \"+<ip>\\\\n\" >> "
        + "/var/run/fail2ban/knockd.suspects\\n");
    for (String blocker : new String[] {"nft", "iptables", "ipset", "firewall-cmd", "ufw",
        "route", "hosts.deny", "allports", "'port'", "'protocol'"}) {
      assertThat(dummy).as("the action never touches a firewall").doesNotContain(blocker);
    }
  }

  /** SYNs to {@code ports} with source address {@code from}, from the client namespace. */
  private static void spoof(Lab lab, String from, List<Integer> ports) {
    List<String> argv = new ArrayList<>(List.of("bash", "-c", String.join("\n",
        "ip=$1; src=$2; shift 2",
        "for p in \"$@\"; do",
        "  timeout 3 hping3 -q -S -c 1 -a \"$src\" -p \"$p\" \"$ip\" >/dev/null 2>&1 &",
        "  sleep 0.005",
        "done",
        "wait",
        "true"), "spoof", lab.serverIp(), from));
    ports.forEach(p -> argv.add(String.valueOf(p)));
    lab.inClient(argv.toArray(new String[0]));
  }

  /** Debian's /etc/fail2ban without its jails, plus the shipped knockd filter and jail. */
  private Path fail2banConf() throws IOException {
    Path conf = dir.resolve("fail2ban");
    Path etc = Path.of("/etc/fail2ban");
    try (Stream<Path> all = Files.walk(etc)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path to = conf.resolve(etc.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else if (!etc.relativize(p).startsWith("jail.d")) {
          Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    Files.copy(ROOT.resolve("etc/fail2ban/filter.d/knockd.conf"),
        conf.resolve("filter.d/knockd.conf"));
    Files.copy(ROOT.resolve("etc/fail2ban/jail.d/knockd.conf"), conf.resolve("jail.d/knockd.conf"));
    return conf;
  }

  /** What the fail2ban server would be told: fail2ban's own reading of the config. */
  private static List<String> dump(Path conf) {
    return Netns.run(List.of("fail2ban-client", "-c", conf.toString(), "-d"), 60).ok().out()
        .lines().toList();
  }

  private static String setting(List<String> jail, String name) {
    String prefix = "['set', 'knockd', '" + name + "', ";
    String l = jail.stream().filter(s -> s.startsWith(prefix)).findFirst().orElseThrow();
    return l.substring(prefix.length(), l.length() - 1).replace("'", "");
  }
}
