package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.daemon.firewall.Fixtures.DNS;
import static org.knock.daemon.firewall.Fixtures.SETTINGS;
import static org.knock.daemon.firewall.Fixtures.SSH;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.knock.core.Protocol;

class IptablesRulesTest {
  private static final List<String> DROP = List.of("-j", "DROP");
  private static final List<String> RESET = List.of("-j", "REJECT", "--reject-with", "tcp-reset");
  private static final String REOPEN_JUMP = "-A " + IptablesRules.forwardChain("KNOCKD") + " "
      + String.join(" ", IptablesRules.reopenJumpSpec("KNOCKD"));

  @Test
  void grantArgvEndsInTheKernelByATimeMatchAndCarriesTheExpiryInAComment() {
    assertThat(IptablesRules.insertGrant("KNOCKD", SSH, 1_700_000_000L)).containsExactly(
        "iptables", "-w", "-I", "KNOCKD", "1", "-s", "192.0.2.7/32", "-p", "tcp", "-m", "tcp",
        "--dport", "22", "-m", "time", "--datestop", "2023-11-14T22:13:20", "-m", "comment",
        "--comment", "knockd expires=1700000000", "-j", "ACCEPT");
    assertThat(IptablesRules.deleteGrant("KNOCKD", DNS, 5L)).containsExactly(
        "iptables", "-w", "-D", "KNOCKD", "-s", "198.51.100.9/32", "-p", "udp", "-m", "udp",
        "--dport", "53", "-m", "time", "--datestop", "1970-01-01T00:00:05", "-m", "comment",
        "--comment", "knockd expires=5", "-j", "ACCEPT");
    assertThat(IptablesRules.grantLine("KNOCKD", SSH, 9L)).isEqualTo("-A KNOCKD -s 192.0.2.7/32 "
        + "-p tcp -m tcp --dport 22 -m time --datestop 1970-01-01T00:00:09 -m comment "
        + "--comment \"knockd expires=9\" -j ACCEPT");
  }

  @Test
  void aRandomPortGrantAcceptsOnlyTheRedirectedFlowAndParsesBack() {
    Access r = Access.redirect(SSH.address(), 22, Protocol.TCP, 41369);
    String line = IptablesRules.grantLine("KNOCKD", r, 9L);
    // as iptables 1.8.9 -S prints it (checked in a namespace)
    assertThat(line).isEqualTo("-A KNOCKD -s 192.0.2.7/32 -p tcp -m tcp --dport 22 -m conntrack "
        + "--ctstate DNAT --ctorigdstport 41369 -m time --datestop 1970-01-01T00:00:09 -m comment "
        + "--comment \"knockd expires=9\" -j ACCEPT");
    assertThat(IptablesRules.natLine("KNOCKD", r, 9L)).isEqualTo("-A KNOCKD -s 192.0.2.7/32 "
        + "-p tcp -m tcp --dport 41369 -m time --datestop 1970-01-01T00:00:09 -m comment "
        + "--comment \"knockd expires=9\" -j REDIRECT --to-ports 22");
    assertThat(IptablesRules.parse("-N KNOCKD\n" + line + "\n", "KNOCKD").grants())
        .containsExactly(Map.entry(r, 9L));
    assertThat(IptablesRules.natScript("KNOCKD", Map.of(SSH, 9L, r, 9L),
        new IptablesRules.Jumps(true, true, true), IptablesFamily.V4, Set.of(), DROP))
        .isEqualTo("*filter\n:KNOCKD-FWD - [0:0]\n:KNOCKD-FWD-RE - [0:0]\n" + REOPEN_JUMP + "\n"
        + "COMMIT\n*nat\n:KNOCKD - [0:0]\n:KNOCKD-FWD - [0:0]\n"
        + IptablesRules.natLine("KNOCKD", r, 9L) + "\nCOMMIT\n");
    assertThat(IptablesRules.Jumps.of("-A FORWARD -j KNOCKD-FWD\n",
        "-N KNOCKD\n-A PREROUTING -j KNOCKD\n", "KNOCKD"))
        .isEqualTo(new IptablesRules.Jumps(true, true, false));
  }

  @Test
  void anIpv6RandomPortGrantIsAnIp6tablesRedirectThatParsesBack() throws Exception {
    Access r = Access.redirect(Fixtures.SSH6.address(), 22, Protocol.TCP, 41369);
    String line = IptablesRules.grantLine("KNOCKD", r, 9L);
    // as ip6tables 1.8.9 -S prints them (checked in a namespace)
    assertThat(line).isEqualTo("-A KNOCKD -s fd10:204:15::2/128 -p tcp -m tcp --dport 22 -m "
        + "conntrack --ctstate DNAT --ctorigdstport 41369 -m time --datestop 1970-01-01T00:00:09 "
        + "-m comment --comment \"knockd expires=9\" -j ACCEPT");
    assertThat(IptablesRules.natLine("KNOCKD", r, 9L)).isEqualTo("-A KNOCKD -s "
        + "fd10:204:15::2/128 -p tcp -m tcp --dport 41369 -m time --datestop 1970-01-01T00:00:09 "
        + "-m comment --comment \"knockd expires=9\" -j REDIRECT --to-ports 22");
    assertThat(IptablesRules.insertNat("KNOCKD", r, 9L)).startsWith("ip6tables");
    assertThat(IptablesRules.parse("-N KNOCKD\n" + line + "\n", "KNOCKD", IptablesFamily.V6)
        .grants()).containsExactly(Map.entry(r, 9L));
    assertThat(IptablesRules.natScript("KNOCKD", Map.of(Fixtures.SSH6, 9L, r, 9L),
        new IptablesRules.Jumps(true, false, false), IptablesFamily.V6, Set.of(), RESET))
        .isEqualTo("*nat\n:KNOCKD - [0:0]\n" + IptablesRules.natLine("KNOCKD", r, 9L)
            + "\nCOMMIT\n");
    assertThat(IptablesRules.forwardRemoval("", "-N KNOCKD\n-A PREROUTING -j KNOCKD\n", "KNOCKD",
        IptablesFamily.V6)).containsExactly(
            List.of("ip6tables", "-w", "-t", "nat", "-D", "PREROUTING", "-j", "KNOCKD"),
            List.of("ip6tables", "-w", "-t", "nat", "-F", "KNOCKD"),
            List.of("ip6tables", "-w", "-t", "nat", "-X", "KNOCKD"));
  }

  @Test
  void aForwardIsADnatAForwardAcceptAndAMasqueradeThatParseBack() {
    Access f = new Access(SSH.address(), 5432, Protocol.TCP, 8443, Access.ipv4("10.1.0.5"),
        true);
    String accept = IptablesRules.grantLine("KNOCKD", f, 9L);
    assertThat(accept).isEqualTo("-A KNOCKD-FWD -s 192.0.2.7/32 -d 10.1.0.5/32 -p tcp -m tcp "
        + "--dport 5432 -m conntrack --ctstate DNAT --ctorigdstport 8443 -m time --datestop "
        + "1970-01-01T00:00:09 -m comment --comment \"knockd expires=9 masquerade\" -j ACCEPT");
    assertThat(IptablesRules.natLine("KNOCKD", f, 9L)).isEqualTo("-A KNOCKD -s 192.0.2.7/32 "
        + "-p tcp -m tcp --dport 8443 -m time --datestop 1970-01-01T00:00:09 -m comment "
        + "--comment \"knockd expires=9\" -j DNAT --to-destination 10.1.0.5:5432");
    assertThat(IptablesRules.masqueradeLine("KNOCKD", f, 9L)).isEqualTo("-A KNOCKD-FWD "
        + "-s 192.0.2.7/32 -d 10.1.0.5/32 -p tcp -m tcp --dport 5432 -m conntrack --ctstate DNAT "
        + "--ctorigdstport 8443 -m time --datestop 1970-01-01T00:00:09 -m comment --comment "
        + "\"knockd expires=9 masquerade\" -j MASQUERADE");
    assertThat(IptablesRules.parse("-N KNOCKD\n-N KNOCKD-FWD\n" + accept + "\n", "KNOCKD")
        .grants()).containsExactly(Map.entry(f, 9L));
    assertThat(IptablesRules.rules(SETTINGS.withReply(KnockReply.DROP), Map.of(f, 9L)))
        .noneMatch(l -> l.contains("10.1.0.5")); // not in knockd's input chain
    String script = IptablesRules.natScript("KNOCKD", Map.of(f, 9L),
        new IptablesRules.Jumps(false, false, false), IptablesFamily.V4, Set.of(), RESET);
    // as iptables 1.8.9 -S prints them (checked in a namespace)
    String refuse = "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 8443 "
        + "-j REJECT --reject-with tcp-reset";
    assertThat(REOPEN_JUMP).isEqualTo("-A KNOCKD-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN "
        + "-m conntrack --ctstate DNAT -j KNOCKD-FWD-RE");
    assertThat(script).isEqualTo("*filter\n:KNOCKD-FWD - [0:0]\n:KNOCKD-FWD-RE - [0:0]\n"
        + accept + "\n" + REOPEN_JUMP + "\n" + refuse + "\n"
        + "-I FORWARD 1 -j KNOCKD-FWD\nCOMMIT\n*nat\n:KNOCKD - [0:0]\n:KNOCKD-FWD - [0:0]\n"
        + IptablesRules.natLine("KNOCKD", f, 9L) + "\n"
        + IptablesRules.masqueradeLine("KNOCKD", f, 9L) + "\n"
        + "-I PREROUTING 1 -j KNOCKD\n-I POSTROUTING 1 -j KNOCKD-FWD\nCOMMIT\n");
    assertThat(IptablesRules.reopenRefusal("-C", "KNOCKD", 8443, DROP)).containsExactly(
        "iptables", "-w", "-C", "KNOCKD-FWD-RE", "-p", "tcp", "-m", "conntrack",
        "--ctorigdstport", "8443", "-j", "DROP");
    assertThat(IptablesRules.forwardRemoval("-N KNOCKD-FWD\n-N KNOCKD-FWD-RE\n"
        + "-A FORWARD -j KNOCKD-FWD\n", "-N KNOCKD\n-A PREROUTING -j KNOCKD\n", "KNOCKD"))
        .containsExactly(
        List.of("iptables", "-w", "-t", "nat", "-D", "PREROUTING", "-j", "KNOCKD"),
        List.of("iptables", "-w", "-t", "filter", "-D", "FORWARD", "-j", "KNOCKD-FWD"),
        List.of("iptables", "-w", "-t", "nat", "-F", "KNOCKD"),
        List.of("iptables", "-w", "-t", "nat", "-X", "KNOCKD"),
        List.of("iptables", "-w", "-t", "filter", "-F", "KNOCKD-FWD"),
        List.of("iptables", "-w", "-t", "filter", "-X", "KNOCKD-FWD"),
        List.of("iptables", "-w", "-t", "filter", "-F", "KNOCKD-FWD-RE"),
        List.of("iptables", "-w", "-t", "filter", "-X", "KNOCKD-FWD-RE"));
  }

  /**
   * A restart keeps the refused ports of forwards whose grants ended, read back from the
   * listing: those of the re-open chain (either verdict) and those an earlier knockd wrote as
   * DROP rules in the forward chain itself; and rewrites them all in the re-open chain with the
   * verdict the protected ports have now.
   */
  @Test
  void theRefusedPortsOfBothLayoutsAreReadBackAndRewrittenInTheReopenChain() {
    Access f = new Access(SSH.address(), 5432, Protocol.TCP, 8443, Access.ipv4("10.1.0.5"),
        false);
    String accept = IptablesRules.grantLine("KNOCKD", f, 9L);
    // what knockd wrote before the re-open chain (commit 43e39c6), as iptables 1.8.9 -S prints it
    String legacy = "-A KNOCKD-FWD -p tcp -m tcp --tcp-flags SYN,ACK SYN -m conntrack --ctstate "
        + "DNAT --ctorigdstport 7443 -j DROP";
    String listing = "-P FORWARD ACCEPT\n-N KNOCKD-FWD\n-N KNOCKD-FWD-RE\n"
        + "-A FORWARD -j KNOCKD-FWD\n" + accept + "\n" + legacy + "\n"
        + legacy.replace("7443", "7444") + "\n"
        + legacy.replace("7443 -j DROP", "7445 -j ACCEPT") + "\n"
        + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 9443 -j DROP\n"
        + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 9444 -j REJECT --reject-with "
        + "tcp-reset\n"
        + "-A KNOCKD-FWD-RE -p udp -m conntrack --ctorigdstport 9445 -j DROP\n"
        + "-A OTHER-FWD-RE -p tcp -m conntrack --ctorigdstport 9446 -j DROP\n";
    assertThat(IptablesRules.reopenPorts(listing, "KNOCKD"))
        .containsExactly(7443, 7444, 9443, 9444);
    IptablesRules.ForwardLeftovers left = IptablesRules.ForwardLeftovers.of(listing, "KNOCKD");
    assertThat(left).isEqualTo(new IptablesRules.ForwardLeftovers(true, true,
        Set.of(7443, 7444, 9443, 9444)));
    assertThat(IptablesRules.ForwardLeftovers.of("-N KNOCKD\n", "KNOCKD").exists()).isFalse();

    // a restart (install) rewrites the forward chain in its commit: the adopted grant's accept,
    // the one jump, then every refused port with the protected ports' verdict
    String reset = IptablesRules.restoreScript(SETTINGS.withReply(KnockReply.RESET),
        Map.of(f, 9L), false, IptablesFamily.V4, left);
    String fwd = ":KNOCKD-FWD - [0:0]\n:KNOCKD-FWD-RE - [0:0]\n" + accept + "\n" + REOPEN_JUMP
        + "\n";
    StringBuilder refusals = new StringBuilder();
    for (int p : List.of(7443, 7444, 8443, 9443, 9444)) {
      refusals.append("-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport ").append(p)
          .append(" -j REJECT --reject-with tcp-reset\n");
    }
    assertThat(reset).isEqualTo(IptablesRules.restoreScript(SETTINGS.withReply(KnockReply.RESET),
        Map.of(f, 9L), false).replace("COMMIT\n", "") + fwd + refusals + "COMMIT\n");
    assertThat(reset).as("every refusal resets").doesNotContain("DROP");
    String drop = IptablesRules.restoreScript(SETTINGS.withReply(KnockReply.DROP),
        Map.of(f, 9L), true, IptablesFamily.V4, new IptablesRules.ForwardLeftovers(true, false,
            Set.of(9443)));
    assertThat(drop).endsWith(fwd
        + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 8443 -j DROP\n"
        + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 9443 -j DROP\n"
        + "-I FORWARD 1 -j KNOCKD-FWD\n-I INPUT 1 -j KNOCKD\nCOMMIT\n");
    // no forward chain: the INPUT chain only, as before forwards
    assertThat(IptablesRules.restoreScript(SETTINGS.withReply(KnockReply.DROP), Map.of(f, 9L),
        true, IptablesFamily.V4, IptablesRules.ForwardLeftovers.of("", "KNOCKD")))
        .isEqualTo(IptablesRules.restoreScript(SETTINGS.withReply(KnockReply.DROP),
            Map.of(f, 9L), true));
    // the same for the first forward grant of a run (natScript)
    assertThat(IptablesRules.natScript("KNOCKD", Map.of(), new IptablesRules.Jumps(true, true,
        true), IptablesFamily.V4, IptablesRules.reopenPorts(listing, "KNOCKD"), DROP))
        .startsWith("*filter\n:KNOCKD-FWD - [0:0]\n:KNOCKD-FWD-RE - [0:0]\n" + REOPEN_JUMP + "\n"
            + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 7443 -j DROP\n"
            + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 7444 -j DROP\n"
            + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 9443 -j DROP\n"
            + "-A KNOCKD-FWD-RE -p tcp -m conntrack --ctorigdstport 9444 -j DROP\nCOMMIT\n");
  }

  @Test
  void aGrantEndingAfterWhatXtTimeAcceptsStopsMatchingAtItsLimit() {
    assertThat(IptablesRules.datestop(4_000_000_000L)).isEqualTo("2038-01-19T03:14:07");
    assertThat(IptablesRules.datestop(IptablesRules.MAX_DATESTOP - 1))
        .isEqualTo("2038-01-19T03:14:06");
    assertThat(IptablesRules.grantLine("KNOCKD", SSH, 4_000_000_000L))
        .contains("--datestop 2038-01-19T03:14:07 ").contains("knockd expires=4000000000");
  }

  @Test
  void restoreScriptRewritesTheChainAndAddsTheJump() {
    Map<Access, Long> grants = new LinkedHashMap<>();
    grants.put(SSH, 1_700_000_000L);
    assertThat(IptablesRules.restoreScript(SETTINGS, grants, true)).isEqualTo("""
        *filter
        :KNOCKD - [0:0]
        -A KNOCKD ! -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A KNOCKD -p tcp -m tcp ! --tcp-flags SYN,ACK SYN -m conntrack --ctstate RELATED,ESTABLISHED \
        -j ACCEPT
        -A KNOCKD -s 192.0.2.7/32 -p tcp -m tcp --dport 22 -m time --datestop 2023-11-14T22:13:20 \
        -m comment --comment "knockd expires=1700000000" -j ACCEPT
        -A KNOCKD -p tcp -m tcp --dport 22 -j DROP
        -A KNOCKD -p tcp -m tcp --dport 443 -j DROP
        -A KNOCKD -p udp -m udp --dport 53 -j DROP
        -A KNOCKD -p tcp -m tcp --dport 1000:1255 --tcp-flags FIN,SYN,RST,ACK SYN \
        -j LOG --log-prefix "KNOCK: "
        -A KNOCKD -p tcp -m tcp --dport 1000:1255 --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
        -A KNOCKD -p udp -m udp --dport 1000:1255 -j LOG --log-prefix "KNOCK: "
        -A KNOCKD -p udp -m udp --dport 1000:1255 -j DROP
        -A KNOCKD -p tcp -m tcp --dport 7000 --tcp-flags FIN,SYN,RST,ACK SYN \
        -j LOG --log-prefix "KNOCK: "
        -A KNOCKD -p tcp -m tcp --dport 7000 --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
        -A KNOCKD -p udp -m udp --dport 8000 -j LOG --log-prefix "KNOCK: "
        -A KNOCKD -p udp -m udp --dport 8000 -j DROP
        -A KNOCKD -p tcp -m tcp --dport 9000 --tcp-flags FIN,SYN,RST,ACK SYN \
        -j LOG --log-prefix "KNOCK: "
        -A KNOCKD -p tcp -m tcp --dport 9000 --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
        -I INPUT 1 -j KNOCKD
        COMMIT
        """);
  }

  @Test
  void nflogLogsKnocksToTheGroupInsteadOfTheKernelLog() {
    FirewallSettings s = new FirewallSettings("KNFW: ", 5000, 5000, true, List.of(),
        List.of(PortSpec.parse("22/tcp")), "knfw_t", null, KnockReply.DROP).withNflogGroup(65535);
    assertThat(IptablesRules.restoreScript(s, Map.of(), false)).isEqualTo("""
        *filter
        :KNFW_T - [0:0]
        -A KNFW_T ! -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A KNFW_T -p tcp -m tcp ! --tcp-flags SYN,ACK SYN -m conntrack --ctstate RELATED,ESTABLISHED \
        -j ACCEPT
        -A KNFW_T -p tcp -m tcp --dport 22 -j DROP
        -A KNFW_T -p tcp -m tcp --dport 5000 --tcp-flags FIN,SYN,RST,ACK SYN \
        -j NFLOG --nflog-group 65535 --nflog-prefix "KNFW: "
        -A KNFW_T -p tcp -m tcp --dport 5000 --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
        -A KNFW_T -p udp -m udp --dport 5000 -j NFLOG --nflog-group 65535 --nflog-prefix "KNFW: "
        -A KNFW_T -p udp -m udp --dport 5000 -j DROP
        COMMIT
        """);
    assertThatThrownBy(() -> s.withNflogGroup(65536)).hasMessage(
        "bad NFLOG group 65536: use 0-65535");
  }

  @Test
  void resetRejectsLikeAClosedPort() {
    FirewallSettings s = new FirewallSettings("KNFW:", 5000, 5000, true, List.of(),
        List.of(PortSpec.parse("22/tcp"), PortSpec.parse("53/udp")), "knfw_t", null,
        KnockReply.RESET);
    assertThat(IptablesRules.restoreScript(s, Map.of(), false)).isEqualTo("""
        *filter
        :KNFW_T - [0:0]
        -A KNFW_T ! -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A KNFW_T -p tcp -m tcp ! --tcp-flags SYN,ACK SYN -m conntrack --ctstate RELATED,ESTABLISHED \
        -j ACCEPT
        -A KNFW_T -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset
        -A KNFW_T -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable
        -A KNFW_T -p tcp -m tcp --dport 5000 --tcp-flags FIN,SYN,RST,ACK SYN -j LOG --log-prefix KNFW:
        -A KNFW_T -p tcp -m tcp --dport 5000 --tcp-flags FIN,SYN,RST,ACK SYN \
        -j REJECT --reject-with tcp-reset
        -A KNFW_T -p udp -m udp --dport 5000 -j LOG --log-prefix KNFW:
        -A KNFW_T -p udp -m udp --dport 5000 -j REJECT --reject-with icmp-port-unreachable
        COMMIT
        """);
  }

  @Test
  void restoreScriptWithoutJumpForASingleKnockPortAndOwnName() {
    FirewallSettings s = new FirewallSettings("KNFW:", 5000, 5000, false, List.of(), List.of(),
        "knfw_t", null);
    assertThat(IptablesRules.restoreScript(s, Map.of(), false)).isEqualTo("""
        *filter
        :KNFW_T - [0:0]
        -A KNFW_T ! -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A KNFW_T -p tcp -m tcp ! --tcp-flags SYN,ACK SYN -m conntrack --ctstate RELATED,ESTABLISHED \
        -j ACCEPT
        -A KNFW_T -p tcp -m tcp --dport 5000 --tcp-flags FIN,SYN,RST,ACK SYN -j LOG --log-prefix KNFW:
        -A KNFW_T -p tcp -m tcp --dport 5000 --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
        COMMIT
        """);
  }

  @Test
  void removalDeletesEveryJumpThenTheChain() {
    assertThat(IptablesRules.removal("KNOCKD", 2)).containsExactly(
        List.of("iptables", "-w", "-D", "INPUT", "-j", "KNOCKD"),
        List.of("iptables", "-w", "-D", "INPUT", "-j", "KNOCKD"),
        List.of("iptables", "-w", "-F", "KNOCKD"),
        List.of("iptables", "-w", "-X", "KNOCKD"));
  }

  @Test
  void parseFindsTheChainTheJumpsAndTheGrantsOfAKilledRun() {
    String listing = """
        -P INPUT ACCEPT
        -P FORWARD ACCEPT
        -P OUTPUT ACCEPT
        -N KNOCKD
        -N KNOCKDX
        -A INPUT -j KNOCKD
        -A INPUT -s 10.0.0.0/8 -j ACCEPT
        -A KNOCKD -s 198.51.100.9/32 -p udp -m udp --dport 53 -m comment --comment "knockd expires=50" -j ACCEPT
        -A KNOCKD -s 192.0.2.7/32 -p tcp -m tcp --dport 22 -m time --datestop 1970-01-01T00:01:40 -m comment --comment "knockd expires=100" -j ACCEPT
        -A KNOCKD -s 192.0.2.7/32 -p tcp -m tcp --dport 22 -m comment --comment "knockd expires=90" -j ACCEPT
        -A KNOCKD -s 192.0.2.8/32 -p tcp -m tcp --dport 22 -m comment --comment "other" -j ACCEPT
        -A KNOCKD -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -m comment --comment "knockd expires=1" -j ACCEPT
        -A KNOCKDX -s 192.0.2.9/32 -p tcp -m tcp --dport 22 -m comment --comment "knockd expires=1" -j ACCEPT
        -A KNOCKD -s 999.0.2.9/32 -p tcp -m tcp --dport 22 -m comment --comment "knockd expires=1" -j ACCEPT
        -A KNOCKD -p tcp -m tcp --dport 22 -j DROP
        """;
    IptablesRules.Leftovers left = IptablesRules.parse(listing, "KNOCKD");
    assertThat(left.chainExists()).isTrue();
    assertThat(left.jumps()).isEqualTo(1);
    assertThat(left.grants()).containsExactly(Map.entry(DNS, 50L), Map.entry(SSH, 100L));
  }

  @Test
  void parseOfAListingWithoutTheChain() {
    IptablesRules.Leftovers left =
        IptablesRules.parse("-P INPUT ACCEPT\n-N KNOCKDX\n-A INPUT -j KNOCKDX\n", "KNOCKD");
    assertThat(left).isEqualTo(new IptablesRules.Leftovers(false, 0, Map.of()));
  }

  @Test
  void grantLinesParseBackToTheirGrant() {
    Access a = Fixtures.access("10.1.2.3", 65535, Protocol.UDP);
    String listing = "-N KNOCKD\n" + IptablesRules.grantLine("KNOCKD", a, 123L) + "\n";
    assertThat(IptablesRules.parse(listing, "KNOCKD").grants()).containsExactly(Map.entry(a, 123L));
  }

  private static Access v6(String ip, int prefix) throws Exception {
    return new Access(java.net.InetAddress.getByName(ip), 22, Protocol.TCP, prefix);
  }

  @Test
  void ip6tablesGrantsAnAddressOrASlash64WithTheSameTimeMatch() throws Exception {
    assertThat(IptablesRules.insertGrant("KNOCKD", v6("fd10:204:15::2", 128), 9L))
        .startsWith("ip6tables", "-w", "-I", "KNOCKD", "1", "-s", "fd10:204:15::2/128")
        .contains("--datestop", "1970-01-01T00:00:09", "knockd expires=9");
    assertThat(IptablesRules.grantLine("KNOCKD", v6("fd10:204:15::", 64), 9L))
        .isEqualTo("-A KNOCKD -s fd10:204:15::/64 -p tcp -m tcp --dport 22 -m time --datestop "
            + "1970-01-01T00:00:09 -m comment --comment \"knockd expires=9\" -j ACCEPT");
    assertThat(IptablesRules.deleteGrant("KNOCKD", v6("fd10:204:15::2", 128), 9L))
        .startsWith("ip6tables", "-w", "-D", "KNOCKD");
  }

  @Test
  void theIp6tablesHalfListsRestoresRejectsAndRemovesWithItsOwnPrograms() throws Exception {
    IptablesFamily six = IptablesFamily.V6;
    assertThat(IptablesRules.listAll(six)).containsExactly("ip6tables", "-w", "-S");
    assertThat(IptablesRules.restore(six)).containsExactly("ip6tables-restore", "-w", "--noflush");
    assertThat(IptablesRules.removal("KNOCKD", 1, six)).containsExactly(
        List.of("ip6tables", "-w", "-D", "INPUT", "-j", "KNOCKD"),
        List.of("ip6tables", "-w", "-F", "KNOCKD"), List.of("ip6tables", "-w", "-X", "KNOCKD"));
    String script = IptablesRules.restoreScript(SETTINGS.withReply(KnockReply.RESET),
        Map.of(v6("fd10:204:15::2", 128), 9L), true, six);
    assertThat(script).contains("-A KNOCKD -s fd10:204:15::2/128 -p tcp")
        .contains("-A KNOCKD -p udp -m udp --dport 53 -j REJECT --reject-with "
            + "icmp6-port-unreachable")
        .contains("--dport 22 -j REJECT --reject-with tcp-reset")
        .doesNotContain("icmp-port-unreachable").endsWith("-I INPUT 1 -j KNOCKD\nCOMMIT\n");
  }

  @Test
  void ip6tablesLeftoversAreParsedAddressesAndSlash64s() throws Exception {
    Access one = v6("fd10:204:15::2", 128);
    Access net = v6("fd10:204:16::", 64);
    String listing = "-P INPUT ACCEPT\n-N KNOCKD\n-A INPUT -j KNOCKD\n"
        + IptablesRules.grantLine("KNOCKD", one, 100L) + "\n"
        + IptablesRules.grantLine("KNOCKD", net, 200L) + "\n"
        + IptablesRules.grantLine("KNOCKD", SSH, 300L) + "\n" // an IPv4 line: not this family's
        + "-A KNOCKD -s host.example/128 -p tcp -m tcp --dport 22 -m comment --comment "
        + "\"knockd expires=5\" -j ACCEPT\n"; // never looked up: not a grant
    IptablesRules.Leftovers left = IptablesRules.parse(listing, "KNOCKD", IptablesFamily.V6);
    assertThat(left.chainExists()).isTrue();
    assertThat(left.jumps()).isEqualTo(1);
    assertThat(left.grants()).containsExactly(Map.entry(one, 100L), Map.entry(net, 200L));
    assertThat(IptablesRules.parse(listing, "KNOCKD").grants()).containsOnlyKeys(SSH);
  }
}
