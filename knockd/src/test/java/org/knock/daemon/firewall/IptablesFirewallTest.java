package org.knock.daemon.firewall;

import org.knock.daemon.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.daemon.firewall.Fixtures.DNS;
import static org.knock.daemon.firewall.Fixtures.SETTINGS;
import static org.knock.daemon.firewall.Fixtures.SSH;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knock.daemon.exec.CommandRunner;

class IptablesFirewallTest {
  private static final long T0 = Instant.parse("2026-11-01T10:00:00Z").getEpochSecond();
  private final MutableClock clock = new MutableClock(Instant.ofEpochSecond(T0).plusMillis(250));
  private String listing = "-P INPUT ACCEPT\n";
  private final RecordingRunner runner = new RecordingRunner().answering(this::answer);

  private CommandRunner.Result answer(RecordingRunner.Call c) {
    return c.argv().equals(prefixed(IptablesRules.listAll())) ? RecordingRunner.ok(listing)
        : RecordingRunner.ok("");
  }

  /** The IPv4 half (the tests below); {@link #dualStackRoutesByFamily} covers both. */
  private Firewall firewall() {
    return new IptablesFirewall(SETTINGS, new Commands(List.of("ip", "netns", "exec", "ns1"),
        SETTINGS.commandTimeout(), runner), clock, IptablesFamily.V4);
  }

  private static List<String> prefixed(List<String> argv) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", "ns1"));
    all.addAll(argv);
    return all;
  }

  @Test
  void installOnACleanMachineWritesTheChainAndTheJump() throws Exception {
    firewall().install();
    assertThat(runner.calls).containsExactly(
        new RecordingRunner.Call(prefixed(IptablesRules.listAll()), Duration.ofSeconds(3), null),
        new RecordingRunner.Call(prefixed(IptablesRules.restore()), Duration.ofSeconds(3),
            IptablesRules.restoreScript(SETTINGS, Map.of(), true)));
  }

  @Test
  void installAfterACrashDropsExpiredGrantsAndAdoptsTheOthers() throws Exception {
    listing = "-N KNOCKD\n-A INPUT -j KNOCKD\n"
        + IptablesRules.grantLine("KNOCKD", SSH, T0) + "\n"
        + IptablesRules.grantLine("KNOCKD", DNS, T0 + 60) + "\n";
    Firewall fw = firewall();
    fw.install();
    assertThat(runner.calls.get(1).stdin())
        .isEqualTo(IptablesRules.restoreScript(SETTINGS, Map.of(DNS, T0 + 60), false));
    runner.calls.clear();
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 59))).isEmpty();
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 60))).containsExactly(DNS);
    assertThat(runner.argvs())
        .containsExactly(prefixed(IptablesRules.deleteGrant("KNOCKD", DNS, T0 + 60)));
  }

  @Test
  void grantRoundsItsEndUpToASecondAndARegrantReplacesTheRule() throws Exception {
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(10));
    fw.grant(SSH, Duration.ofSeconds(30));
    fw.grant(SSH, Duration.ofSeconds(30));
    assertThat(runner.argvs()).containsExactly(
        prefixed(IptablesRules.insertGrant("KNOCKD", SSH, T0 + 31)),
        prefixed(IptablesRules.insertGrant("KNOCKD", SSH, T0 + 41)),
        prefixed(IptablesRules.deleteGrant("KNOCKD", SSH, T0 + 31)));
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 40))).isEmpty();
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 41))).containsExactly(SSH);
  }

  @Test
  void aRuleAlreadyGoneCountsAsDeleted() throws Exception {
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofSeconds(30));
    runner.answering(c -> c.argv().contains("-D")
        ? RecordingRunner.fail(1, "iptables: Bad rule (does a matching rule exist in that chain?).")
        : answer(c));
    fw.revoke(SSH);
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 3600))).isEmpty();
  }

  @Test
  void aRuleThatCannotBeDeletedIsAnErrorAndRetried() throws Exception {
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofSeconds(30));
    fw.grant(DNS, Duration.ofSeconds(30));
    listing = "-N KNOCKD\n" + IptablesRules.grantLine("KNOCKD", SSH, T0 + 31) + "\n";
    runner.answering(c -> c.argv().contains("-D") && c.argv().contains("192.0.2.7/32")
        ? RecordingRunner.fail(4, "iptables: Resource temporarily unavailable.") : answer(c));
    Instant later = Instant.ofEpochSecond(T0 + 100);
    assertThatThrownBy(() -> fw.expire(later))
        .isInstanceOfSatisfying(FirewallException.class,
            e -> assertThat(e.expired()).containsExactly(DNS))
        .hasMessage("cannot expire a grant: iptables -w -D failed (exit 4): "
            + "iptables: Resource temporarily unavailable.");
    runner.answering(this::answer);
    assertThat(fw.expire(later)).containsExactly(SSH);
  }

  @Test
  void closeLeavesTheChainTheJumpAndTheGrantsInPlace() throws Exception {
    Firewall fw = firewall();
    fw.install();
    fw.grant(SSH, Duration.ofSeconds(30));
    runner.calls.clear();
    fw.close();
    assertThat(runner.calls).isEmpty();
  }

  @Test
  void removeDeletesEveryJumpAndTheChain() throws Exception {
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofSeconds(30));
    listing = "-N KNOCKD\n-A INPUT -j KNOCKD\n-A INPUT -j KNOCKD\n";
    runner.calls.clear();
    assertThat(fw.remove()).isEqualTo("iptables chain KNOCKD and its jump from INPUT");
    List<List<String>> expected = new ArrayList<>();
    expected.add(prefixed(IptablesRules.listAll()));
    expected.add(prefixed(IptablesRules.listNat())); // no nat chain there: nothing more
    expected.add(prefixed(IptablesRules.listAll()));
    IptablesRules.removal("KNOCKD", 2).forEach(a -> expected.add(prefixed(a)));
    assertThat(runner.argvs()).isEqualTo(expected);
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 3600))).isEmpty();
  }

  @Test
  void removeWithNothingInstalledRunsOnlyTheListing() throws Exception {
    assertThat(firewall().remove()).isEqualTo("nothing (no iptables chain KNOCKD)");
    assertThat(runner.argvs()).containsExactly(prefixed(IptablesRules.listAll()),
        prefixed(IptablesRules.listNat()), prefixed(IptablesRules.listAll()));
  }

  @Test
  void removeOfAChainWithoutJumpDeletesOnlyTheChain() throws Exception {
    listing = "-N KNOCKD\n";
    firewall().remove();
    assertThat(runner.argvs()).containsExactly(prefixed(IptablesRules.listAll()),
        prefixed(IptablesRules.listNat()), prefixed(IptablesRules.listAll()),
        prefixed(List.of("iptables", "-w", "-F", "KNOCKD")),
        prefixed(List.of("iptables", "-w", "-X", "KNOCKD")));
  }

  @Test
  void removeTriesEverythingThenFailsWithOneLine() {
    runner.answering(c -> RecordingRunner.fail(CommandRunner.CANNOT_START, "cannot run"));
    assertThatThrownBy(() -> firewall().remove())
        .hasMessage("cannot remove knockd's iptables chain KNOCKD: iptables -w -D failed "
            + "(exit 127): cannot run");
    assertThat(runner.calls).hasSize(5); // the nat listing failed too: no nat table, no nat chain
  }

  @Test
  void aRandomPortGrantWritesTheNatChainOnceThenAnAcceptAndARedirect() throws Exception {
    Access r1 = Access.redirect(SSH.address(), 22, SSH.protocol(), 41369);
    Access r2 = Access.redirect(SSH.address(), 22, SSH.protocol(), 45000);
    Firewall fw = firewall();
    fw.grant(SSH, Duration.ofSeconds(30));
    fw.grant(r1, Duration.ofSeconds(30));
    fw.grant(r2, Duration.ofSeconds(60));
    assertThat(runner.argvs()).containsExactly(
        prefixed(IptablesRules.insertGrant("KNOCKD", SSH, T0 + 31)),
        prefixed(IptablesRules.listNat()),
        prefixed(IptablesRules.listAll()),
        prefixed(IptablesRules.restore()),
        prefixed(IptablesRules.insertGrant("KNOCKD", r1, T0 + 31)),
        prefixed(IptablesRules.insertNat("KNOCKD", r1, T0 + 31)),
        prefixed(IptablesRules.insertGrant("KNOCKD", r2, T0 + 61)),
        prefixed(IptablesRules.insertNat("KNOCKD", r2, T0 + 61)));
    assertThat(runner.calls.get(3).stdin()).isEqualTo("*filter\n:KNOCKD-FWD - [0:0]\n"
        + ":KNOCKD-FWD-RE - [0:0]\n-A KNOCKD-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN "
        + "-m conntrack --ctstate DNAT -j KNOCKD-FWD-RE\n"
        + "-I FORWARD 1 -j KNOCKD-FWD\nCOMMIT\n*nat\n:KNOCKD - [0:0]\n:KNOCKD-FWD - [0:0]\n"
        + "-I PREROUTING 1 -j KNOCKD\n-I POSTROUTING 1 -j KNOCKD-FWD\nCOMMIT\n");
    runner.calls.clear();
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 31))).containsExactly(SSH, r1);
    assertThat(runner.argvs()).containsExactly(
        prefixed(IptablesRules.deleteGrant("KNOCKD", SSH, T0 + 31)),
        prefixed(IptablesRules.deleteNat("KNOCKD", r1, T0 + 31)),
        prefixed(IptablesRules.deleteGrant("KNOCKD", r1, T0 + 31)));
  }

  /**
   * A forward's re-opened flow is refused with the protected ports' verdict: KnockReply = auto
   * resolved from the INPUT policy (accepting host: a reset, as a closed port answers; dropping
   * host: a drop), in the natScript of the run's first forward and in the -C/-A of each port.
   */
  @Test
  void aForwardsReopenRefusalHasTheProtectedPortsVerdict() throws Exception {
    Access f = new Access(SSH.address(), 5432, org.knock.core.Protocol.TCP, 8443,
        Access.ipv4("10.1.0.5"), false);
    runner.answering(c -> c.argv().contains("-C") // no such refusal yet: -A adds it
        ? RecordingRunner.fail(1, "iptables: Bad rule (does a matching rule exist in that chain?).")
        : answer(c));
    for (boolean accepting : new boolean[] {true, false}) {
      // an earlier run, with the other verdict, refused 9443
      listing = (accepting ? "-P INPUT ACCEPT\n" : "-P INPUT DROP\n") + "-N KNOCKD-FWD\n"
          + "-N KNOCKD-FWD-RE\n-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 9443 "
          + (accepting ? "-j DROP" : "-j REJECT --reject-with tcp-reset") + "\n";
      runner.calls.clear();
      Firewall fw = new IptablesFirewall(SETTINGS.withReply(KnockReply.AUTO), new Commands(
          List.of("ip", "netns", "exec", "ns1"), SETTINGS.commandTimeout(), runner), clock,
          IptablesFamily.V4);
      fw.install();
      fw.grant(f, Duration.ofSeconds(30));
      List<String> target = accepting ? List.of("-j", "REJECT", "--reject-with", "tcp-reset")
          : List.of("-j", "DROP");
      String refusal = "\n-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 9443 "
          + String.join(" ", target) + "\n";
      assertThat(runner.calls.get(1).stdin()).as("install").contains(refusal);
      String nat = runner.calls.stream().map(RecordingRunner.Call::stdin)
          .filter(in -> in != null && in.contains("*nat")).findFirst().orElseThrow();
      assertThat(nat).as("the first forward grant's natScript").contains(refusal);
      assertThat(runner.argvs()).contains(
          prefixed(IptablesRules.reopenRefusal("-C", "KNOCKD", 8443, target)),
          prefixed(IptablesRules.reopenRefusal("-A", "KNOCKD", 8443, target)));
      assertThat(runner.calls.stream().map(c -> String.join(" ", c.argv()) + "\n" + c.stdin()))
          .as("an accepting host's rules drop nothing, a dropping host's reject nothing")
          .noneMatch(c -> c.contains(accepting ? "DROP" : "REJECT"));
    }
  }

  /**
   * A restart over the rules of a knockd before the re-open chain (a DROP per port in the forward
   * chain itself) keeps every refused port: install rewrites them into the re-open chain, in the
   * commit that writes knockd's chain, with the verdict of the protected ports.
   */
  @Test
  void installMovesAnEarlierLayoutsReopenDropsIntoTheReopenChain() throws Exception {
    Access f = new Access(SSH.address(), 5432, org.knock.core.Protocol.TCP, 8443,
        Access.ipv4("10.1.0.5"), true);
    listing = "-P INPUT ACCEPT\n-N KNOCKD\n-N KNOCKD-FWD\n-A INPUT -j KNOCKD\n"
        + "-A FORWARD -j KNOCKD-FWD\n" + IptablesRules.grantLine("KNOCKD", f, T0 + 60) + "\n"
        + "-A KNOCKD-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack --ctstate DNAT "
        + "--ctorigdstport 8443 -j DROP\n"
        + "-A KNOCKD-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack --ctstate DNAT "
        + "--ctorigdstport 41000 -j DROP\n";
    Firewall fw = new IptablesFirewall(SETTINGS.withReply(KnockReply.AUTO), new Commands(
        List.of("ip", "netns", "exec", "ns1"), SETTINGS.commandTimeout(), runner), clock,
        IptablesFamily.V4);
    fw.install();
    assertThat(fw.grants()).containsOnlyKeys(f);
    String script = runner.calls.get(1).stdin();
    assertThat(script).isEqualTo(IptablesRules.restoreScript(
        SETTINGS.withReply(KnockReply.RESET), Map.of(f, T0 + 60), false, IptablesFamily.V4,
        new IptablesRules.ForwardLeftovers(true, true, java.util.Set.of(8443, 41000))));
    assertThat(script).contains(":KNOCKD-FWD - [0:0]\n:KNOCKD-FWD-RE - [0:0]\n"
        + IptablesRules.grantLine("KNOCKD", f, T0 + 60) + "\n"
        + "-A KNOCKD-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack --ctstate DNAT "
        + "-j KNOCKD-FWD-RE\n"
        + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 8443 -j REJECT --reject-with "
        + "tcp-reset\n"
        + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 41000 -j REJECT --reject-with "
        + "tcp-reset\nCOMMIT\n").doesNotContain("DROP");
  }

  @Test
  void reconfigureRewritesTheChainInOneCommitKeepingTheGrants() throws Exception {
    Firewall fw = firewall();
    fw.install();
    fw.grant(SSH, Duration.ofSeconds(30));
    listing = "-N KNOCKD\n-A INPUT -j KNOCKD\n" + IptablesRules.grantLine("KNOCKD", SSH, T0 + 31)
        + "\n";
    runner.calls.clear();
    FirewallSettings next = Fixtures.RELOADED;
    fw.reconfigure(next);
    // one iptables-restore replaces the old rules by the new ones atomically: no deletion, no
    // flush, no second jump, the grant kept with its end
    assertThat(runner.argvs()).containsExactly(prefixed(IptablesRules.listAll()),
        prefixed(IptablesRules.restore()));
    assertThat(runner.calls.get(1).stdin())
        .isEqualTo(IptablesRules.restoreScript(next, Map.of(SSH, T0 + 31), false))
        .contains("--dport 2222 -j DROP").contains("--dport 3000:3255")
        .doesNotContain("1000:1255");
  }

  @Test
  void aFailedReconfigureKeepsTheOldSettings() throws Exception {
    Firewall fw = firewall();
    fw.install();
    runner.answering(c -> c.argv().contains("iptables-restore")
        ? RecordingRunner.fail(1, "iptables-restore: line 3 failed") : answer(c));
    FirewallSettings next = Fixtures.RELOADED;
    assertThatThrownBy(() -> fw.reconfigure(next)).isInstanceOf(FirewallException.class)
        .hasMessageContaining("iptables-restore: line 3 failed");
    runner.answering(this::answer);
    runner.calls.clear();
    listing = "-N KNOCKD\n-A INPUT -j KNOCKD\n";
    fw.reconfigure(SETTINGS);
    assertThat(runner.calls.get(1).stdin())
        .isEqualTo(IptablesRules.restoreScript(SETTINGS, Map.of(), false));
    assertThat(fw.describe()).contains("1000:1255");
  }

  @Test
  void installFailsWithOneLineWhenIptablesIsMissing() {
    runner.answering(c -> RecordingRunner.fail(CommandRunner.CANNOT_START,
        "cannot run ip: No such file or directory"));
    assertThatThrownBy(() -> firewall().install())
        .hasMessage("iptables -w -S failed (exit 127): cannot run ip: No such file or directory");
  }

  @Test
  void describeShowsTheRulesAndAGrant() {
    assertThat(firewall().describe())
        .contains(IptablesRules.restoreScript(SETTINGS, Map.of(), true))
        .contains("-A KNOCKD -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -m time --datestop "
            + "2030-03-17T17:46:40 -m comment --comment \"knockd expires=1900000000\" -j ACCEPT")
        .contains("when knockd stops it stays");
  }

  @Test
  void autoFollowsTheInputPolicy() throws Exception {
    FirewallSettings auto = SETTINGS.withReply(KnockReply.AUTO);
    for (String policy : List.of("DROP", "ACCEPT")) {
      listing = "-P INPUT " + policy + "\n";
      runner.calls.clear();
      Firewalls.create("iptables", auto,
          FirewallOptions.DEFAULTS.withCommandPrefix(List.of("ip", "netns", "exec", "ns1")), clock,
          runner).install();
      assertThat(runner.calls.get(1).stdin()).isEqualTo(IptablesRules.restoreScript(
          auto.withReply(policy.equals("DROP") ? KnockReply.DROP : KnockReply.RESET), Map.of(),
          true));
    }
  }

  /** docs/SECURITY.md (Clock): this backend ends grants by the daemon's clock. */
  @Test
  void aForwardClockJumpEndsAGrantEarly() throws Exception {
    int before = Fixtures.forwardJumpEndsAGrantEarly(firewall(), clock, runner);
    assertThat(runner.calls).as("the grant's rule removed").hasSizeGreaterThan(before);
  }

  @Test
  void dualStackRoutesByFamily() throws Exception {
    Access six = Fixtures.SSH6;
    Access net = Fixtures.SSH6NET;
    Firewall fw = Firewalls.create("iptables", SETTINGS,
        FirewallOptions.DEFAULTS.withCommandPrefix(List.of("ip", "netns", "exec", "ns1")), clock,
        runner);
    fw.install();
    assertThat(runner.argvs()).containsExactly(prefixed(IptablesRules.listAll()),
        prefixed(IptablesRules.restore()), prefixed(IptablesRules.listAll(IptablesFamily.V6)),
        prefixed(IptablesRules.restore(IptablesFamily.V6)));
    assertThat(runner.calls.get(3).stdin())
        .isEqualTo(IptablesRules.restoreScript(SETTINGS, Map.of(), true, IptablesFamily.V6));
    runner.calls.clear();
    fw.grant(SSH, Duration.ofSeconds(30));
    fw.grant(six, Duration.ofSeconds(30));
    fw.grant(net, Duration.ofSeconds(60));
    assertThat(runner.argvs()).containsExactly(
        prefixed(IptablesRules.insertGrant("KNOCKD", SSH, T0 + 31)),
        prefixed(IptablesRules.insertGrant("KNOCKD", six, T0 + 31)),
        prefixed(IptablesRules.insertGrant("KNOCKD", net, T0 + 61)));
    assertThat(runner.argvs().get(1)).startsWith("ip", "netns", "exec", "ns1", "ip6tables");
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 31))).containsExactlyInAnyOrder(SSH, six);
    assertThat(fw.describe()).contains("iptables (IPv4), chain KNOCKD")
        .contains("ip6tables (IPv6), chain KNOCKD").contains("-s 2001:db8::1/128");
    listing = "";
    assertThat(fw.remove()).isEqualTo("nothing (no iptables chain KNOCKD, no ip6tables chain "
        + "KNOCKD)");
  }

  @Test
  void anIpv6RandomPortIsAnIp6tablesRedirectAndAcceptAndA64OrAForwardIsRefused()
      throws Exception {
    Firewall fw = Firewalls.create("iptables", SETTINGS, FirewallOptions.DEFAULTS, clock, runner);
    fw.install();
    runner.calls.clear();
    Access six = Access.redirect(Fixtures.SSH6.address(), 22, org.knock.core.Protocol.TCP, 41369);
    fw.grant(six, Duration.ofSeconds(30));
    assertThat(runner.argvs()).containsExactly(
        IptablesRules.listNat(IptablesFamily.V6), IptablesRules.listAll(IptablesFamily.V6),
        IptablesRules.restore(IptablesFamily.V6),
        IptablesRules.insertGrant("KNOCKD", six, T0 + 31),
        IptablesRules.insertNat("KNOCKD", six, T0 + 31));
    assertThat(runner.calls.get(2).stdin()).as("ip6tables: only the nat chain and its jump")
        .isEqualTo("*nat\n:KNOCKD - [0:0]\n-I PREROUTING 1 -j KNOCKD\nCOMMIT\n");
    assertThat(runner.argvs().get(4)).startsWith("ip6tables", "-w", "-t", "nat", "-I", "KNOCKD");
    assertThat(fw.grants()).containsOnlyKeys(six);
    runner.calls.clear();
    fw.revoke(six);
    assertThat(runner.argvs()).containsExactly(IptablesRules.deleteNat("KNOCKD", six, T0 + 31),
        IptablesRules.deleteGrant("KNOCKD", six, T0 + 31));

    Access slash64 = new Access(Fixtures.SSH6NET.address(), 22, org.knock.core.Protocol.TCP, 64,
        41369, null, false);
    Access forward = new Access(Fixtures.SSH6.address(), 5432, org.knock.core.Protocol.TCP, 41370,
        Access.ipv4("10.0.0.5"), false);
    runner.calls.clear();
    assertThatThrownBy(() -> fw.grant(slash64, Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(FirewallException.class, e -> assertThat(e.refusal()).isTrue())
        .hasMessageContaining("a random port is for one address, not a /64");
    assertThatThrownBy(() -> fw.grant(forward, Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(FirewallException.class, e -> assertThat(e.refusal()).isTrue())
        .hasMessageContaining("a forward needs an IPv4 source");
    assertThat(runner.calls).isEmpty();
  }

  @Test
  void aKilledRunsIpv6RandomPortIsAdoptedRewrittenInTheNatChainAndEnded() throws Exception {
    Access six = Access.redirect(Fixtures.SSH6.address(), 22, org.knock.core.Protocol.TCP, 41369);
    String leftover = "-N KNOCKD\n-A INPUT -j KNOCKD\n"
        + IptablesRules.grantLine("KNOCKD", six, T0 + 60) + "\n";
    runner.answering(c -> c.argv().equals(IptablesRules.listAll(IptablesFamily.V6))
        ? RecordingRunner.ok(leftover) : RecordingRunner.ok(""));
    Firewall fw = new IptablesFirewall(SETTINGS, new Commands(List.of(),
        SETTINGS.commandTimeout(), runner), clock, IptablesFamily.V6);
    fw.install();
    assertThat(fw.grants()).containsExactly(Map.entry(six, Instant.ofEpochSecond(T0 + 60)));
    // the next random grant writes the nat chain with the adopted redirect in it
    Access next = Access.redirect(Fixtures.SSH6.address(), 22, org.knock.core.Protocol.TCP, 45000);
    runner.calls.clear();
    fw.grant(next, Duration.ofSeconds(120));
    assertThat(runner.calls.get(2).argv()).isEqualTo(IptablesRules.restore(IptablesFamily.V6));
    assertThat(runner.calls.get(2).stdin()).isEqualTo("*nat\n:KNOCKD - [0:0]\n"
        + IptablesRules.natLine("KNOCKD", six, T0 + 60) + "\n-I PREROUTING 1 -j KNOCKD\nCOMMIT\n");
    runner.calls.clear();
    assertThat(fw.expire(Instant.ofEpochSecond(T0 + 60))).containsExactly(six);
    assertThat(runner.argvs()).containsExactly(IptablesRules.deleteNat("KNOCKD", six, T0 + 60),
        IptablesRules.deleteGrant("KNOCKD", six, T0 + 60));
  }

  @Test
  void aFailedIpv6ReconfigurePutsTheIpv4HalfBack() throws Exception {
    Firewall fw = Firewalls.create("iptables", SETTINGS,
        FirewallOptions.DEFAULTS.withCommandPrefix(List.of("ip", "netns", "exec", "ns1")), clock,
        runner);
    fw.install();
    runner.calls.clear();
    runner.answering(c -> c.argv().contains("ip6tables-restore")
        ? RecordingRunner.fail(1, "ip6tables-restore: line 3 failed") : answer(c));
    assertThatThrownBy(() -> fw.reconfigure(Fixtures.RELOADED))
        .hasMessageContaining("ip6tables-restore: line 3 failed");
    List<String> restores = runner.calls.stream()
        .filter(c -> c.argv().contains("iptables-restore")).map(RecordingRunner.Call::stdin)
        .toList();
    assertThat(restores).hasSize(2);
    assertThat(restores.get(0)).contains("--dport 3000:3255");
    assertThat(restores.get(1)).contains("--dport 1000:1255").doesNotContain("3000:3255");
  }
}
