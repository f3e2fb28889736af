package org.knock.daemon.firewall;

import org.knock.daemon.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.daemon.firewall.Fixtures.DNS;
import static org.knock.daemon.firewall.Fixtures.SETTINGS;
import static org.knock.daemon.firewall.Fixtures.SSH;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NftablesFirewallTest {
  private static final List<String> APPLY = List.of("nft", "-f", "-");
  private static final String SHARED_LISTING = """
      table inet filter {
      	set knock_granted {
      		type ipv4_addr . inet_proto . inet_service
      		flags interval,timeout
      	}
      }
      """;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-01T10:00:00Z"));
  private final RecordingRunner runner = new RecordingRunner();

  private Firewall own() {
    return Firewalls.create("nftables", SETTINGS, FirewallOptions.DEFAULTS, clock, runner);
  }

  private Firewall shared() {
    return Firewalls.create("nftables", SETTINGS,
        FirewallOptions.DEFAULTS.withNftSet("inet filter knock_granted"), clock, runner);
  }

  /** What each command read (null: a listing), without the JSON listings of the adoption. */
  private List<String> scripts() {
    return runner.calls.stream().filter(c -> !c.argv().contains("-j"))
        .map(RecordingRunner.Call::stdin).toList();
  }

  /** The commands run, without the JSON listings the own table's adoption reads. */
  private List<List<String>> changes() {
    return runner.argvs().stream().filter(a -> !a.contains("-j")).toList();
  }

  @Test
  void ownTableIsInstalledGrantedAndKeptOnClose() throws Exception {
    Firewall fw = own();
    fw.install();
    fw.grant(SSH, Duration.ofSeconds(90));
    fw.revoke(DNS);
    assertThat(fw.expire(clock.instant().plus(Duration.ofDays(1)))).isEmpty();
    fw.close();
    NftSetRef set = NftScripts.ownSet(SETTINGS);
    assertThat(changes()).containsOnly(APPLY);
    assertThat(scripts()).containsExactly(NftScripts.install(SETTINGS),
        NftScripts.grant(set, SSH, Duration.ofSeconds(90)), NftScripts.revoke(set, List.of(DNS)));
  }

  @Test
  void ipv6AddressesAndSlash64sGoToTheirOwnSets() throws Exception {
    Access one = Fixtures.SSH6;
    Access net = Fixtures.SSH6NET;
    Firewall fw = own();
    fw.grant(one, Duration.ofSeconds(90));
    fw.grant(net, Duration.ofSeconds(90));
    fw.revoke(net);
    assertThat(scripts()).containsExactly(
        NftScripts.grant(NftScripts.ownSet6(SETTINGS), one, Duration.ofSeconds(90)),
        NftScripts.grant(NftScripts.ownSet6Net(SETTINGS), net, Duration.ofSeconds(90)),
        NftScripts.revoke(NftScripts.ownSet6Net(SETTINGS), List.of(net)));
    assertThat(scripts().get(1)).contains("granted6net { fd10:204:15::/64 . tcp . 22 timeout");
  }

  @Test
  void anIpv6RandomPortIsGrantedRevokedAndKnownInTheIpv6MapAndSet() throws Exception {
    Access random = Access.redirect(Fixtures.SSH6.address(), 22, org.knock.core.Protocol.TCP,
        41369);
    Firewall fw = own();
    fw.grant(random, Duration.ofMinutes(30));
    assertThat(fw.grants()).containsOnlyKeys(random);
    assertThat(fw.grants().get(random)).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
    fw.grant(random, Duration.ofMinutes(5)); // a re-grant: the same elements, the new timeout
    fw.revoke(random);
    assertThat(fw.grants()).isEmpty();
    assertThat(scripts()).containsExactly(
        NftScripts.grantRedirect("inet knockd", random, Duration.ofMinutes(30)),
        NftScripts.grantRedirect("inet knockd", random, Duration.ofMinutes(5)),
        NftScripts.revokeRedirect("inet knockd", random));
    assertThat(scripts().get(1)).contains("redirects6 { fd10:204:15::2 . tcp . 41369 timeout 5m "
        + ": 22 }").contains("redirected6 { fd10:204:15::2 . tcp . 41369 . 22 timeout 5m }")
        .doesNotContain("redirects {").doesNotContain("redirected {");
  }

  @Test
  void aRandomPortForASlash64OrAForwardForAnIpv6SourceIsRefusedInOneLine() throws Exception {
    Access slash64 = new Access(Fixtures.SSH6NET.address(), 22, org.knock.core.Protocol.TCP, 64,
        41369, null, false);
    Access forward = new Access(Fixtures.SSH6.address(), 5432, org.knock.core.Protocol.TCP, 41370,
        Access.ipv4("10.0.0.5"), false);
    Firewall fw = own();
    assertThatThrownBy(() -> fw.grant(slash64, Duration.ofMinutes(30)))
        .isInstanceOfSatisfying(FirewallException.class, e -> assertThat(e.refusal()).isTrue())
        .hasMessage("cannot grant " + slash64 + ": a random port is for one address, not a /64 "
            + "(knock without --allow-prefix 64)");
    assertThatThrownBy(() -> fw.grant(forward, Duration.ofMinutes(30)))
        .isInstanceOfSatisfying(FirewallException.class, e -> assertThat(e.refusal()).isTrue())
        .hasMessage("cannot grant " + forward + ": a forward needs an IPv4 source (its inner "
            + "host is IPv4; an IPv6 source would need NAT64)");
    assertThat(runner.calls).isEmpty();
    assertThat(fw.grants()).isEmpty();
  }

  /** Answers {@code nft list set} for the sets in {@code listings} (by name), fails for others. */
  private void sharedSets(java.util.Map<String, String> listings) {
    runner.answering(c -> {
      if (c.stdin() != null) {
        return RecordingRunner.ok("");
      }
      String l = listings.get(c.argv().get(c.argv().size() - 1));
      return l != null ? RecordingRunner.ok(l)
          : RecordingRunner.fail(1, "Error: No such file or directory");
    });
  }

  private static String listing(String name, String type, String flags) {
    return "table inet filter {\n\tset " + name + " {\n\t\ttype " + type + "\n\t\tflags "
        + flags + "\n\t}\n}\n";
  }

  @Test
  void sharedModeGrantsIpv6InTheAdminsSet6AndSet6netWhenTheRulesetHasThem() throws Exception {
    Access one = Fixtures.SSH6;
    Access net = Fixtures.SSH6NET;
    sharedSets(java.util.Map.of("knock_granted", SHARED_LISTING));
    Firewall ipv4Only = shared();
    ipv4Only.install();
    assertThatThrownBy(() -> ipv4Only.grant(one, Duration.ofSeconds(90)))
        .hasMessage("cannot grant " + one + ": shared-set mode puts IPv6 grants in set 'inet "
            + "filter knock_granted6' (type ipv6_addr . inet_proto . inet_service; flags timeout),"
            + " which your ruleset does not have: see etc/nftables-shared.nft");
    assertThatThrownBy(() -> ipv4Only.grant(net, Duration.ofSeconds(90)))
        .hasMessageContaining("/64 grants in set 'inet filter knock_granted6net'");

    sharedSets(java.util.Map.of("knock_granted", SHARED_LISTING,
        "knock_granted6", listing("knock_granted6", NftScripts.SET_TYPE6, "timeout"),
        "knock_granted6net", listing("knock_granted6net", NftScripts.SET_TYPE6,
            "interval,timeout")));
    runner.calls.clear();
    Firewall fw = shared();
    fw.install();
    fw.grant(one, Duration.ofSeconds(90));
    fw.grant(net, Duration.ofSeconds(90));
    fw.grant(SSH, Duration.ofSeconds(90));
    NftSetRef set6 = NftSetRef.parse("inet filter knock_granted6");
    NftSetRef set6net = NftSetRef.parse("inet filter knock_granted6net");
    NftSetRef set = NftSetRef.parse("inet filter knock_granted");
    assertThat(scripts()).containsExactly(null, null, null,
        NftScripts.grant(set6, one, Duration.ofSeconds(90)),
        NftScripts.grant(set6net, net, Duration.ofSeconds(90)),
        NftScripts.grant(set, SSH, Duration.ofSeconds(90)));
    runner.calls.clear();
    fw.remove();
    assertThat(scripts()).hasSize(1); // one transaction, each element from its own set
    assertThat(scripts().get(0).lines()).containsExactlyInAnyOrderElementsOf(
        (NftScripts.revoke(set6, List.of(one)) + NftScripts.revoke(set6net, List.of(net))
            + NftScripts.revoke(set, List.of(SSH))).lines().toList());
  }

  @Test
  void sharedModeRefusesAnIpv6SetOfAnotherTypeOrWithoutIntervals() {
    sharedSets(java.util.Map.of("knock_granted", SHARED_LISTING,
        "knock_granted6", listing("knock_granted6", NftScripts.SET_TYPE, "timeout")));
    assertThatThrownBy(() -> shared().install()).hasMessage("nft set 'inet filter knock_granted6'"
        + " must have type ipv6_addr . inet_proto . inet_service and flags timeout");
    sharedSets(java.util.Map.of("knock_granted", SHARED_LISTING,
        "knock_granted6net", listing("knock_granted6net", NftScripts.SET_TYPE6, "timeout")));
    assertThatThrownBy(() -> shared().install()).hasMessage("nft set 'inet filter "
        + "knock_granted6net' must have type ipv6_addr . inet_proto . inet_service and flags "
        + "interval, timeout");
  }

  @Test
  void removeDeletesTheTable() throws Exception {
    Firewall fw = own();
    assertThat(fw.remove()).isEqualTo("nftables table inet knockd");
    assertThat(runner.argvs().get(0)).containsExactly("nft", "list", "table", "inet", "knockd");
    assertThat(scripts()).containsExactly(null, NftScripts.uninstall(SETTINGS));
    runner.answering(c -> c.stdin() == null ? RecordingRunner.fail(1, "Error: No such file or "
        + "directory") : RecordingRunner.ok(""));
    assertThat(fw.remove()).isEqualTo("nothing (no nftables table inet knockd)");
    runner.answering(c -> RecordingRunner.fail(1, "Error: Operation not permitted"));
    assertThatThrownBy(fw::remove).hasMessage("cannot remove knockd's nftables table inet "
        + "knockd: nft -f - failed (exit 1): Error: Operation not permitted");
  }

  @Test
  void reconfigureRewritesTheChainInOneTransactionAndKeepsTheSet() throws Exception {
    Firewall fw = own();
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(5));
    runner.calls.clear();
    FirewallSettings next = Fixtures.RELOADED;
    fw.reconfigure(next);
    assertThat(scripts()).containsExactly(NftScripts.install(next));
    String script = scripts().get(0);
    // one script = one nft transaction: the chain is flushed and refilled, the set (and the
    // grants in it) is only declared, never flushed or deleted
    assertThat(script).contains("flush chain inet knockd input\n")
        .contains("tcp dport { 22, 2222 } drop").contains("tcp dport 3000-3255")
        .contains("log prefix \"NEW: \"").doesNotContain("1000-1255")
        .doesNotContain("delete").doesNotContain("flush set");
    assertThat(script.indexOf("flush chain")).isLessThan(script.indexOf("tcp dport { 22, 2222 }"));
  }

  @Test
  void aFailedReconfigureIsNotRetriedAsARecreationAndKeepsTheOldSettings() throws Exception {
    Firewall fw = own();
    fw.install();
    runner.calls.clear();
    runner.answering(c -> RecordingRunner.fail(1, "Error: Could not process rule"));
    FirewallSettings next = Fixtures.RELOADED;
    assertThatThrownBy(() -> fw.reconfigure(next)).isInstanceOf(FirewallException.class);
    assertThat(scripts()).containsExactly(NftScripts.install(next));
    assertThat(fw.describe()).contains("1000-1255");
  }

  @Test
  void aLeftoverThatCannotBeAdoptedIsRecreated() throws Exception {
    runner.answering(c -> c.stdin() != null && c.stdin().startsWith("add table inet knockd\nadd set")
        ? RecordingRunner.fail(1, "/dev/stdin:2:1-90: Error: Could not process rule: File exists")
        : RecordingRunner.ok(""));
    Firewall fw = own();
    fw.install();
    assertThat(scripts()).containsExactly(NftScripts.install(SETTINGS),
        NftScripts.reinstall(SETTINGS));
  }

  @Test
  void whatRecreatingALeftoverEndsIsReadFirstForTheAudit() throws Exception {
    boolean[] recreated = {false}; // then the table is empty, as in the kernel
    runner.answering(c -> c.argv().contains("-j")
        ? RecordingRunner.ok(recreated[0] ? "{\"nftables\": []}"
            : NftLeftoversTest.captured(c.argv().get(c.argv().size() - 1)))
        : NftScripts.reinstall(SETTINGS).equals(c.stdin()) && (recreated[0] = true)
        ? RecordingRunner.ok("")
        : c.stdin() != null && c.stdin().startsWith("add table inet knockd\nadd set")
        ? RecordingRunner.fail(1, "/dev/stdin:2:1-90: Error: Could not process rule: File exists")
        : RecordingRunner.ok(""));
    Firewall fw = own();
    fw.install();
    int reinstall = runner.calls.indexOf(runner.calls.stream()
        .filter(c -> NftScripts.reinstall(SETTINGS).equals(c.stdin())).findFirst().orElseThrow());
    assertThat(runner.calls.subList(0, reinstall)).as("listed before the table is deleted")
        .anyMatch(c -> c.argv().equals(List.of("nft", "-j", "list", "set", "inet", "knockd",
            "granted")));
    Firewall.Ended ended = fw.endedAtInstall();
    assertThat(ended.grants()).hasSize(9).contains(NftLeftoversTest.SSH_REDIRECT,
        NftLeftoversTest.DB_FORWARD, NftLeftoversTest.SSH_REDIRECT6);
    assertThat(ended.others()).as("the captures' elements of a shape knockd never writes")
        .isEqualTo(4);
    assertThat(ended.what()).isEqualTo("nftables table inet knockd");
    assertThat(fw.grants()).as("none of them is held: the new table is empty")
        .doesNotContainKeys(NftLeftoversTest.SSH_REDIRECT, NftLeftoversTest.DB_FORWARD);
  }

  @Test
  void aLeftoverThatCannotBeListedIsRecreatedAndSaysSo() throws Exception {
    runner.answering(c -> c.argv().contains("-j")
        ? RecordingRunner.fail(1, "Error: Could not process rule: No such file or directory")
        : c.stdin() != null && c.stdin().startsWith("add table inet knockd\nadd set")
        ? RecordingRunner.fail(1, "/dev/stdin:2:1-90: Error: Could not process rule: File exists")
        : RecordingRunner.ok(""));
    Firewall fw = own();
    fw.install();
    assertThat(fw.endedAtInstall()).isEqualTo(
        new Firewall.Ended(List.of(), -1, "nftables table inet knockd"));
    assertThat(fw.endedAtInstall().any()).isTrue();
  }

  @Test
  void aFailedInstallIsOneLine() {
    runner.answering(c -> RecordingRunner.fail(1,
        "/dev/stdin:3:1-2: Error: Could not process rule: Operation not supported\nadd chain\n^^^\n"));
    assertThatThrownBy(() -> own().install())
        .isInstanceOf(FirewallException.class)
        .hasMessage("nft -f - failed (exit 1): /dev/stdin:3:1-2: Error: Could not process rule: "
            + "Operation not supported");
  }

  @Test
  void sharedModeChecksTheSetAndTouchesOnlyItsElements() throws Exception {
    sharedSets(java.util.Map.of("knock_granted", SHARED_LISTING));
    Firewall fw = shared();
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.grant(DNS, Duration.ofMinutes(1));
    fw.expire(clock.instant().plus(Duration.ofMinutes(1)));
    fw.close(); // the elements stay: the kernel ends them
    NftSetRef set = NftSetRef.parse("inet filter knock_granted");
    assertThat(runner.argvs().get(0))
        .containsExactly("nft", "list", "set", "inet", "filter", "knock_granted");
    assertThat(scripts()).containsExactly(null, null, null,
        NftScripts.grant(set, SSH, Duration.ofMinutes(30)),
        NftScripts.grant(set, DNS, Duration.ofMinutes(1)));
  }

  @Test
  void sharedModeRemoveDeletesOnlyTheElementsOfThisRun() throws Exception {
    sharedSets(java.util.Map.of("knock_granted", SHARED_LISTING));
    Firewall fw = shared();
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.reconfigure(SETTINGS.withReply(KnockReply.DROP)); // nothing to rewrite: the rules are yours
    runner.calls.clear();
    assertThat(fw.remove()).startsWith("1 element(s) knockd added to nftables set inet filter "
        + "knock_granted");
    assertThat(scripts()).containsExactly(
        NftScripts.revoke(NftSetRef.parse("inet filter knock_granted"), List.of(SSH)));
  }

  @Test
  void sharedModeRefusesASetOfAnotherType() {
    runner.answering(c -> RecordingRunner.ok(
        "table inet filter {\n set knock_granted {\n  type ipv4_addr . inet_service\n"
            + "  flags timeout\n }\n}\n"));
    assertThatThrownBy(() -> shared().install())
        .hasMessage("nft set 'inet filter knock_granted' must have type ipv4_addr . inet_proto . "
            + "inet_service and flags timeout");
    runner.answering(c -> RecordingRunner.ok(
        "set knock_granted {\n type ipv4_addr . inet_proto . inet_service\n}\n"));
    assertThatThrownBy(() -> shared().install()).isInstanceOf(FirewallException.class);
  }

  @Test
  void sharedModeCloseWithoutGrantsRunsNothing() {
    shared().close();
    assertThat(runner.calls).isEmpty();
  }

  @Test
  void closeRunsNothing() {
    own().close();
    assertThat(runner.calls).isEmpty();
  }

  @Test
  void describeSaysWhatIsInstalled() {
    assertThat(own().describe()).contains(NftScripts.install(SETTINGS))
        .contains("add element inet knockd granted { 192.0.2.1 . tcp . 22 timeout 30m }");
    assertThat(shared().describe()).startsWith("nftables, shared set: knockd installs nothing")
        .contains("etc/nftables-shared.nft");
  }

  @Test
  void autoReadsTheRulesetAndAnswersLikeTheHostsOtherPorts() throws Exception {
    FirewallSettings auto = SETTINGS.withReply(KnockReply.AUTO);
    String dropping = "table ip filter {\n\tchain INPUT {\n"
        + "\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n";
    for (String ruleset : List.of(dropping, "")) {
      runner.calls.clear();
      runner.answering(c -> RecordingRunner.ok(c.stdin() == null ? ruleset : ""));
      Firewalls.create("nftables", auto, FirewallOptions.DEFAULTS, clock, runner).install();
      assertThat(changes()).containsExactly(List.of("nft", "list", "ruleset"), APPLY);
      assertThat(runner.calls.get(1).stdin()).isEqualTo(NftScripts.install(
          auto.withReply(ruleset.isEmpty() ? KnockReply.RESET : KnockReply.DROP)));
    }
    assertThat(Firewalls.create("nftables", auto, FirewallOptions.DEFAULTS, clock, runner)
        .describe()).contains(NftScripts.install(auto.withReply(KnockReply.RESET)))
        .contains("KnockReply = auto");
  }

  /** Answers each JSON listing of the own table with its capture (test-data/nft-leftovers). */
  private RecordingRunner leftovers(java.util.function.Function<String, String> byName) {
    return runner.answering(c -> c.argv().contains("-j")
        ? RecordingRunner.ok(byName.apply(c.argv().get(c.argv().size() - 1)))
        : RecordingRunner.ok(""));
  }

  @Test
  void anEarlierRunsGrantsAreAdoptedAtStartAndARevokeEndsThem() throws Exception {
    leftovers(NftLeftoversTest::captured);
    Firewall fw = own();
    fw.install();
    assertThat(runner.argvs()).filteredOn(a -> a.contains("-j")).containsExactly(
        List.of("nft", "-j", "list", "set", "inet", "knockd", "granted"),
        List.of("nft", "-j", "list", "set", "inet", "knockd", "granted6"),
        List.of("nft", "-j", "list", "set", "inet", "knockd", "granted6net"),
        List.of("nft", "-j", "list", "map", "inet", "knockd", "redirects"),
        List.of("nft", "-j", "list", "map", "inet", "knockd", "redirects6"),
        List.of("nft", "-j", "list", "map", "inet", "knockd", "forwards"),
        List.of("nft", "-j", "list", "set", "inet", "knockd", "masqueraded"));
    Instant t0 = clock.instant();
    assertThat(fw.grants()).hasSize(9)
        .containsEntry(NftLeftoversTest.SSH_REDIRECT, t0.plusSeconds(1799))
        .containsEntry(NftLeftoversTest.SSH_REDIRECT6, t0.plusSeconds(899))
        .containsEntry(NftLeftoversTest.DB_FORWARD, t0.plusSeconds(1799))
        .containsEntry(NftLeftoversTest.DB2_FORWARD, t0.plusSeconds(1199));
    runner.calls.clear();
    fw.revoke(NftLeftoversTest.SSH_REDIRECT);
    fw.revoke(NftLeftoversTest.DB_FORWARD);
    fw.revoke(NftLeftoversTest.SSH_REDIRECT6);
    assertThat(scripts()).containsExactly(
        NftScripts.revokeRedirect("inet knockd", NftLeftoversTest.SSH_REDIRECT),
        NftScripts.revokeForward("inet knockd", NftLeftoversTest.DB_FORWARD),
        NftScripts.revokeRedirect("inet knockd", NftLeftoversTest.SSH_REDIRECT6));
    assertThat(scripts().get(2)).contains("redirects6 { fd10::2 . tcp . 42000 : 22 }");
    assertThat(fw.grants()).hasSize(6).doesNotContainKeys(NftLeftoversTest.SSH_REDIRECT,
        NftLeftoversTest.DB_FORWARD, NftLeftoversTest.SSH_REDIRECT6);
    assertThat(fw.expire(t0.plusSeconds(1199))).isEmpty(); // the kernel ends them
    assertThat(fw.grants()).hasSize(2).doesNotContainKey(NftLeftoversTest.DB2_FORWARD);
  }

  @Test
  void listingsThatFailOrDoNotParseNeverStopTheStart() throws Exception {
    String forwards = NftLeftoversTest.captured("forwards");
    runner.answering(c -> !c.argv().contains("-j") ? RecordingRunner.ok("")
        : c.argv().contains("redirects") ? RecordingRunner.fail(1, "Error: JSON support not compiled-in")
        : c.argv().contains("forwards") ? RecordingRunner.ok(forwards)
        : RecordingRunner.ok(forwards.substring(0, 40)));
    Firewall fw = own();
    fw.install();
    assertThat(fw.grants()).containsOnlyKeys(NftLeftoversTest.DB2_FORWARD,
        new Access(Access.ipv4("10.99.0.2"), 5432, org.knock.core.Protocol.TCP, 8443,
        Access.ipv4("10.98.0.2"), false)); // the masqueraded set's listing did not parse
  }

  /** A listing cut at the runner's bound is not read (not parsed: no heap for it); the rest are. */
  @Test
  void aListingAsLongAsTheBoundIsSkippedAndTheOthersAdopted() throws Exception {
    String forwards = NftLeftoversTest.captured("forwards");
    String cut = "{\"nftables\": [" + " ".repeat(Firewalls.LISTING_OUTPUT);
    runner.answering(c -> !c.argv().contains("-j") ? RecordingRunner.ok("")
        : c.argv().contains("forwards") ? RecordingRunner.ok(forwards)
        : c.argv().contains("redirects") ? RecordingRunner.ok(cut)
        : RecordingRunner.ok("{\"nftables\": []}"));
    Firewall fw = own();
    fw.install();
    assertThat(fw.grants()).containsKey(NftLeftoversTest.DB2_FORWARD).allSatisfy(
        (a, end) -> assertThat(a.forwarded()).isTrue());
  }

  @Test
  void aReloadAdoptsWhatTheBookLacksAndKeepsThisRunsEnds() throws Exception {
    Firewall fw = own();
    fw.install();
    assertThat(fw.grants()).isEmpty(); // "" from every listing: nothing adopted
    fw.grant(NftLeftoversTest.SSH_REDIRECT, Duration.ofMinutes(5));
    Instant end = clock.instant().plus(Duration.ofMinutes(5));
    leftovers(n -> n.equals("redirects") ? NftLeftoversTest.captured(n) : "{\"nftables\": []}");
    fw.reconfigure(Fixtures.RELOADED);
    assertThat(fw.grants()).containsOnly(Map.entry(NftLeftoversTest.SSH_REDIRECT, end),
        Map.entry(NftLeftoversTest.DNS_REDIRECT, clock.instant().plusSeconds(299)));
  }

  @Test
  void sharedModeAdoptsNothingFromTheAdminsSet() throws Exception {
    sharedSets(Map.of("knock_granted", SHARED_LISTING));
    Firewall fw = shared();
    fw.install();
    assertThat(runner.argvs()).noneMatch(a -> a.contains("-j"));
    assertThat(fw.grants()).isEmpty();
  }
}
