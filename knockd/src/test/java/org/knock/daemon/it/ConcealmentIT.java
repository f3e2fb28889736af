package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;
import org.knock.core.KnockKey;

/**
 * The real {@code bin/knockd} in a server namespace, scanned with nmap from client namespaces: a
 * knock port, a protected port and an ordinary closed port look the same (closed on a host that
 * accepts by default, filtered on one that drops), a valid knock looks like an invalid one until
 * access is granted, and then only to the granted address; knockd opens no socket; a hunt of 500
 * knock-range ports is ONE scan alert, within a second, and one closing summary with its count;
 * over IPv6 (nmap -6) the same holds with nftables and with ip6tables.
 */
@Isolated("its hunt: nmap writes ~500 LOG lines in 0.5 s, about the whole kernel log ring")
class ConcealmentIT {
  private static final Pattern STATE = Pattern.compile("(?m)^(\\d+)/tcp\\s+(\\S+)");
  private static final int KNOCK_A = 20001;
  private static final int KNOCK_B = 24999;
  private static final int CLOSED = 30000;
  private static final int PROTECTED = 22;
  private static final String LOOK = PROTECTED + "," + KNOCK_A + "," + KNOCK_B + "," + CLOSED;

  @TempDir Path dir;
  private final String prefix = "KNHID" + HexFormat.of().formatHex(SecureRandom.getSeed(3)) + ": ";

  @Test
  void onAnAcceptingHostEveryRefusedPortLooksClosedAndOnlyTheKnockOpens() throws Exception {
    try (NetnsPair pair = new NetnsPair("hr", "10.208.1");
        Netns other = Netns.create("ho")) {
      String serverIp2 = link(pair.server, other, "10.208.101");
      Probes.listen(pair.server, PROTECTED, dir);
      Path key = key("alice.key");
      Process knockd = startKnockd(pair.server, "nftables", "auto", key);

      // No tell-tales: knockd holds no inet socket in its namespace.
      String sockets = pair.server.exec("ss", "-Htuwap").ok().out();
      assertThat(sockets).doesNotContain("pid=" + knockd.pid() + ",");
      assertThat(pair.server.exec("nft", "list", "table", "inet", "knockd").ok().out())
          .contains("reject with tcp reset").doesNotContain(" drop");

      Map<Integer, String> look = scan(pair.client, pair.serverIp, LOOK);
      report("accepting host, nftables, KnockReply = auto (reset)", look);
      assertThat(look.values()).containsOnly("closed").hasSize(4);

      // A hunt of 500 random knock-range ports from the client: one scan event, with its count.
      Set<Integer> hunted = new LinkedHashSet<>(List.of(KNOCK_A, KNOCK_B));
      Set<Integer> hunt = new LinkedHashSet<>();
      SplittableRandom r = new SplittableRandom(8);
      while (hunt.size() < 500) {
        hunt.add(20000 + r.nextInt(5120));
      }
      hunted.addAll(hunt);
      long t0 = System.nanoTime();
      Instant huntStart = Instant.now();
      Map<String, Integer> huntStates = counts(pair.client, pair.serverIp,
          hunt.stream().map(String::valueOf).collect(Collectors.joining(",")), "--max-rate",
          "1000");
      Instant huntEnd = Instant.now();
      System.out.printf("hunt: nmap of 500 range ports took %d ms: %s%n",
          (System.nanoTime() - t0) / 1_000_000, huntStates);
      assertThat(huntStates).isEqualTo(Map.of("closed", 500));
      // the alert comes while the scanner is still busy, not after it has gone quiet: its time
      // (the audit line's own) is at most 1 s past the end of nmap, which crossed the threshold
      // of 100 ports well before it ended
      String alert = awaitAudit("event=scan src=" + pair.clientIp + " ", 5_000).get(0);
      Instant alerted = Instant.parse(alert.substring(0, alert.indexOf(' ')));
      System.out.printf("hunt: event=scan %d ms after nmap started, %d ms after it ended%n",
          Duration.between(huntStart, alerted).toMillis(),
          Duration.between(huntEnd, alerted).toMillis());
      assertThat(Duration.between(huntEnd, alerted)).isLessThanOrEqualTo(Duration.ofSeconds(1));

      // Meanwhile another source: an invalid knock, then a valid one, both look the same.
      String wrong = knockPorts(other, key("mallory.key"), serverIp2);
      Map<Integer, String> invalid = scan(other, serverIp2, wrong);
      Thread.sleep(3500); // past SequenceTimeout: the valid knock is a sequence of its own
      String valid = knockPorts(other, key, serverIp2);
      Map<Integer, String> accepted = scan(other, serverIp2, valid);
      assertThat(invalid.values()).containsOnly("closed").hasSize(20);
      assertThat(accepted.values()).containsOnly("closed").hasSize(20);
      assertThat(Probes.until(true, other, serverIp2, PROTECTED, 5000)).isNotNegative();

      Map<Integer, String> granted = scan(other, serverIp2, LOOK);
      report("after the knock, from the granted address", granted);
      assertThat(granted).containsEntry(PROTECTED, "open").containsEntry(KNOCK_A, "closed")
          .containsEntry(CLOSED, "closed");
      Map<Integer, String> elsewhere = scan(pair.client, pair.serverIp, LOOK);
      report("after the knock, from another address", elsewhere);
      assertThat(elsewhere.values()).containsOnly("closed").hasSize(4);
      assertThat(Probes.connects(pair.client, pair.serverIp, PROTECTED, "1")).isFalse();

      // then the closing summary, once the scanner has been quiet, with the whole count
      awaitAudit("event=scan-end src=" + pair.clientIp + " ", 20_000);
      Thread.sleep(1000); // a second event would come right after the first
      List<String> scans = auditLines("event=scan src=" + pair.clientIp + " ");
      List<String> ends = auditLines("event=scan-end src=" + pair.clientIp + " ");
      System.out.println("audit: " + scans + " " + ends);
      assertThat(scans).hasSize(1);
      assertThat(ends).hasSize(1);
      assertThat(ends.get(0)).contains(" ports=" + hunted.size() + " ");
      assertThat(auditLines("event=scan src=10.208.101.2 ")).isEmpty();
      assertThat(auditLines("event=knock-accepted")).hasSize(1);
      assertThat(auditLines("event=source-overrun")).isEmpty();
    }
  }

  @Test
  void onADroppingHostEveryRefusedPortLooksFiltered() throws Exception {
    try (NetnsPair pair = new NetnsPair("hd", "10.208.2")) {
      pair.server.exec("nft", "-f", admin(dir)).ok();
      startKnockd(pair.server, "nftables", "auto", key("alice.key"));
      assertThat(pair.server.exec("nft", "list", "table", "inet", "knockd").ok().out())
          .doesNotContain("reject");
      Map<Integer, String> look = scan(pair.client, pair.serverIp, LOOK);
      report("dropping host, nftables, KnockReply = auto (drop)", look);
      assertThat(look.values()).containsOnly("filtered").hasSize(4);
    }
  }

  @Test
  void withDropOnAnAcceptingHostTheKnockPortsStandOut() throws Exception {
    try (NetnsPair pair = new NetnsPair("hb", "10.208.3")) {
      startKnockd(pair.server, "nftables", "drop", key("alice.key"));
      Map<Integer, String> look = scan(pair.client, pair.serverIp, LOOK);
      report("before (KnockReply = drop on an accepting host)", look);
      assertThat(look).containsEntry(PROTECTED, "filtered").containsEntry(KNOCK_A, "filtered")
          .containsEntry(CLOSED, "closed");
    }
  }

  @Test
  void iptablesLooksLikeTheHostToo() throws Exception {
    try (NetnsPair pair = new NetnsPair("hi", "10.208.4")) {
      Process first = startKnockd(pair.server, "iptables", "auto", key("alice.key"));
      Map<Integer, String> accepting = scan(pair.client, pair.serverIp, LOOK);
      report("accepting host, iptables, KnockReply = auto (reset)", accepting);
      assertThat(accepting.values()).containsOnly("closed").hasSize(4);
      stop(first);
      pair.server.exec("iptables", "-w", "-P", "INPUT", "DROP").ok();
      startKnockd(pair.server, "iptables", "auto", key("alice.key"));
      Map<Integer, String> dropping = scan(pair.client, pair.serverIp, LOOK);
      report("dropping host, iptables, KnockReply = auto (drop)", dropping);
      assertThat(dropping.values()).containsOnly("filtered").hasSize(4);
    }
  }

  @Test
  void overIpv6EveryRefusedPortLooksLikeTheHostsOtherClosedPorts() throws Exception {
    try (NetnsPair pair = new NetnsPair("h6", "10.208.6")) {
      String server6 = "fd10:208:6::1";
      pair.server.exec("ip", "-6", "addr", "add", server6 + "/64", "dev", "vs", "nodad").ok();
      pair.client.exec("ip", "-6", "addr", "add", "fd10:208:6::2/64", "dev", "vc", "nodad").ok();
      Probes.listen(pair.server, PROTECTED, dir);
      assertThat(scan(pair.client, server6, LOOK, "-6")).as("before knockd")
          .containsEntry(PROTECTED, "open").containsEntry(CLOSED, "closed");
      Process first = startKnockd(pair.server, "nftables", "auto", key("alice.key"));
      Map<Integer, String> accepting = scan(pair.client, server6, LOOK, "-6");
      report("IPv6, accepting host, nftables, KnockReply = auto (reset)", accepting);
      assertThat(accepting.values()).containsOnly("closed").hasSize(4);
      stop(first);
      pair.server.exec("nft", "delete", "table", "inet", "knockd").ok();
      Process second = startKnockd(pair.server, "iptables", "auto", key("alice.key"));
      Map<Integer, String> ip6tables = scan(pair.client, server6, LOOK, "-6");
      report("IPv6, accepting host, ip6tables, KnockReply = auto (reset)", ip6tables);
      assertThat(ip6tables.values()).containsOnly("closed").hasSize(4);
      stop(second);
      // a locked-down IPv6 host still lets ICMPv6 in (neighbour discovery needs it)
      pair.server.exec("ip6tables", "-w", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT").ok();
      pair.server.exec("ip6tables", "-w", "-P", "INPUT", "DROP").ok();
      startKnockd(pair.server, "iptables", "auto", key("alice.key"));
      Map<Integer, String> dropping = scan(pair.client, server6, LOOK, "-6");
      report("IPv6, dropping host, ip6tables, KnockReply = auto (drop)", dropping);
      assertThat(dropping.values()).containsOnly("filtered").hasSize(4);
    }
  }

  /** A second veth from the server to {@code ns} in {@code subnet}.0/24; returns the server's IP. */
  private static String link(Netns server, Netns ns, String subnet) {
    server.exec("ip", "link", "add", "vs2", "type", "veth", "peer", "name", "vo", "netns",
        ns.name()).ok();
    server.exec("ip", "addr", "add", subnet + ".1/24", "dev", "vs2").ok();
    ns.exec("ip", "addr", "add", subnet + ".2/24", "dev", "vo").ok();
    server.exec("ip", "link", "set", "vs2", "up").ok();
    ns.exec("ip", "link", "set", "vo", "up").ok();
    return subnet + ".1";
  }

  /** An admin table that drops input by default, as a locked-down host has. */
  private static String admin(Path dir) throws IOException {
    Path f = dir.resolve("admin.nft");
    Files.writeString(f, "table inet admin {\n  chain input {\n"
        + "    type filter hook input priority filter; policy drop;\n"
        + "    ct state established,related accept\n    iif lo accept\n  }\n}\n");
    return f.toString();
  }

  private Path key(String name) throws IOException {
    Path f = dir.resolve(name);
    if (!Files.exists(f)) {
      Files.createFile(f, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
      Files.writeString(f, KnockKey.generate(new SecureRandom()).toBase64() + "\n");
    }
    return f;
  }

  private Path audit() {
    return dir.resolve("audit.log");
  }

  /** Starts bin/knockd in {@code ns} and waits (≤ 20 s) for its daemon-start event. */
  private Process startKnockd(Netns ns, String firewall, String reply, Path key)
      throws Exception {
    Path conf = dir.resolve("knockd.conf");
    Files.deleteIfExists(audit());
    Files.writeString(conf, String.join("\n",
        "[options]",
        "AllowRoot = yes",
        "FirewallLog = kmsg",
        "Firewall = " + firewall,
        "Protect = " + PROTECTED + "/tcp",
        "LogPrefix = \"" + prefix + "\"",
        "KnockReply = " + reply,
        "AuditLog = " + audit(),
        "StateDir = " + dir.resolve("state"),
        "SequenceTimeout = 3s",
        "[user alice]",
        "Key = " + key,
        "Allow = open 22/tcp",
        ""));
    String root = System.getProperty("knock.root");
    Process p = ns.start(List.of(Path.of(root, "bin", "knockd").toString(), "--config",
        conf.toString()), dir.resolve("knockd.out"), dir.resolve("knockd.err"));
    awaitAudit("event=daemon-start", 20_000);
    return p;
  }

  /** Stops a knockd (SIGTERM, by PID) and waits until it removed its rules. */
  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
  }

  private List<String> awaitAudit(String part, long millis) throws Exception {
    long end = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < end) {
      List<String> l = auditLines(part);
      if (!l.isEmpty()) {
        return l;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no '" + part + "' in the audit log within " + millis + " ms: "
        + (Files.exists(audit()) ? Files.readString(audit()) : "(none)") + "\nknockd stderr: "
        + Files.readString(dir.resolve("knockd.err")));
  }

  private List<String> auditLines(String part) throws IOException {
    if (!Files.exists(audit())) {
      return List.of();
    }
    return Files.readAllLines(audit()).stream().filter(l -> l.contains(part)).toList();
  }

  /** The ports of a knock, as bin/knock --print gives them, comma-separated. */
  private String knockPorts(Netns from, Path key, String host) {
    Netns.Result r = from.exec("env", "KNOCK_HOME=" + dir.resolve("home"),
        ClientKnockIT.knockScript(), "-k", key.toString(), "--print", host, "open 22 30s").ok();
    List<String> ports = r.out().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    assertThat(ports).hasSize(20);
    return String.join(",", ports);
  }

  /** nmap SYN scan, one probe per port, no host discovery: port to state (≤ 25 ports). */
  private static Map<Integer, String> scan(Netns from, String ip, String ports,
      String... extra) {
    String out = nmap(from, ip, ports, extra);
    Map<Integer, String> states = new LinkedHashMap<>();
    Matcher m = STATE.matcher(out);
    while (m.find()) {
      states.put(Integer.parseInt(m.group(1)), m.group(2));
    }
    assertThat(out).as("nmap folded ports").doesNotContain("Not shown");
    return states;
  }

  /** nmap SYN scan of many ports: how many are in each state, folded ones included. */
  private static Map<String, Integer> counts(Netns from, String ip, String ports,
      String... extra) {
    String out = nmap(from, ip, ports, extra);
    Map<String, Integer> counts = new LinkedHashMap<>();
    Matcher m = STATE.matcher(out);
    while (m.find()) {
      counts.merge(m.group(2), 1, Integer::sum);
    }
    Matcher folded = Pattern.compile("Not shown: (\\d+) (\\S+) tcp ports").matcher(out);
    while (folded.find()) {
      counts.merge(folded.group(2), Integer.parseInt(folded.group(1)), Integer::sum);
    }
    return counts;
  }

  private static String nmap(Netns from, String ip, String ports, String... extra) {
    List<String> cmd = new ArrayList<>(List.of("timeout", "60", "nmap", "-n", "-Pn", "-sS",
        "--max-retries", "0", "--host-timeout", "50s", "--initial-rtt-timeout", "300ms",
        "--max-rtt-timeout", "500ms", "-p", ports));
    cmd.addAll(List.of(extra));
    cmd.add(ip);
    return from.exec(cmd.toArray(new String[0])).ok().out();
  }

  private static void report(String what, Map<Integer, String> states) {
    System.out.println("nmap, " + what + ": " + states);
  }
}
