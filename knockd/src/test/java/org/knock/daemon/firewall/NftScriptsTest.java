package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.daemon.firewall.Fixtures.DNS;
import static org.knock.daemon.firewall.Fixtures.SETTINGS;
import static org.knock.daemon.firewall.Fixtures.SSH;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NftScriptsTest {
  /** The part of every install script before its drop and log rules, for table inet {@code t}. */
  private static String head(String t) {
    return head(t, "drop");
  }

  /** {@link #head(String)} with {@code verdict} for a forward's re-opened flow (KnockReply). */
  private static String head(String t, String verdict) {
    return """
        add table inet %T%
        add set inet %T% granted { type ipv4_addr . inet_proto . inet_service; flags timeout; }
        add set inet %T% granted6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
        add set inet %T% granted6net { type ipv6_addr . inet_proto . inet_service; \
        flags interval, timeout; }
        add map inet %T% redirects { type ipv4_addr . inet_proto . inet_service : inet_service; \
        flags timeout; }
        add set inet %T% redirected { type ipv4_addr . inet_proto . inet_service . inet_service; \
        flags timeout; }
        add map inet %T% redirects6 { type ipv6_addr . inet_proto . inet_service : inet_service; \
        flags timeout; }
        add set inet %T% redirected6 { type ipv6_addr . inet_proto . inet_service . inet_service; \
        flags timeout; }
        add chain inet %T% prerouting { type nat hook prerouting priority dstnat; policy accept; }
        flush chain inet %T% prerouting
        add rule inet %T% prerouting meta l4proto { tcp, udp } redirect to ip saddr . meta l4proto \
        . th dport map @redirects
        add rule inet %T% prerouting meta l4proto { tcp, udp } redirect to ip6 saddr . meta l4proto \
        . th dport map @redirects6
        add map inet %T% forwards { type ipv4_addr . inet_proto . inet_service : ipv4_addr \
        . inet_service; flags timeout; }
        add set inet %T% forwarded { type ipv4_addr . inet_proto . inet_service; flags timeout; }
        add set inet %T% masqueraded { type ipv4_addr . inet_proto . inet_service; flags timeout; }
        add set inet %T% forwardports { type inet_proto . inet_service; }
        add rule inet %T% prerouting meta l4proto { tcp, udp } dnat ip addr . port to ip saddr \
        . meta l4proto . th dport map @forwards
        add chain inet %T% forward { type filter hook forward priority filter - 1; policy accept; }
        flush chain inet %T% forward
        add rule inet %T% forward meta l4proto tcp ct status dnat ip saddr . meta l4proto . ct \
        original proto-dst @forwarded accept
        add rule inet %T% forward meta l4proto udp ct status dnat ip saddr . meta l4proto . ct \
        original proto-dst @forwarded accept
        add chain inet %T% postrouting { type nat hook postrouting priority srcnat; policy accept; }
        flush chain inet %T% postrouting
        add rule inet %T% postrouting meta l4proto tcp ct status dnat ip saddr . meta l4proto . ct \
        original proto-dst @masqueraded masquerade
        add rule inet %T% postrouting meta l4proto udp ct status dnat ip saddr . meta l4proto . ct \
        original proto-dst @masqueraded masquerade
        add rule inet %T% forward tcp flags & (syn | ack) == syn ct state established ct status \
        dnat meta l4proto . ct original proto-dst @forwardports %V%
        add chain inet %T% input { type filter hook input priority filter - 1; policy accept; }
        flush chain inet %T% input
        add rule inet %T% input meta l4proto != tcp ct state established,related accept
        add rule inet %T% input tcp flags & (syn | ack) != syn ct state established,related accept
        add rule inet %T% input ip saddr . meta l4proto . th dport @granted accept
        add rule inet %T% input ip6 saddr . meta l4proto . th dport @granted6 accept
        add rule inet %T% input ip6 saddr . meta l4proto . th dport @granted6net accept
        add rule inet %T% input meta l4proto tcp ct status dnat ip saddr . meta l4proto . ct original \
        proto-dst . tcp dport @redirected accept
        add rule inet %T% input meta l4proto udp ct status dnat ip saddr . meta l4proto . ct original \
        proto-dst . udp dport @redirected accept
        add rule inet %T% input meta l4proto tcp ct status dnat ip6 saddr . meta l4proto . ct original \
        proto-dst . tcp dport @redirected6 accept
        add rule inet %T% input meta l4proto udp ct status dnat ip6 saddr . meta l4proto . ct original \
        proto-dst . udp dport @redirected6 accept
        """.replace("%T%", t).replace("%V%", verdict);
  }

  @Test
  void installWritesTheWholeTableInOneScript() {
    assertThat(NftScripts.install(SETTINGS)).isEqualTo(head("knockd") + """
        add rule inet knockd input tcp dport { 22, 443 } drop
        add rule inet knockd input udp dport 53 drop
        add rule inet knockd input tcp dport 1000-1255 tcp flags & (fin|syn|rst|ack) == syn \
        log prefix "KNOCK: " drop
        add rule inet knockd input udp dport 1000-1255 log prefix "KNOCK: " drop
        add rule inet knockd input tcp dport { 7000, 9000 } tcp flags & (fin|syn|rst|ack) == syn \
        log prefix "KNOCK: " drop
        add rule inet knockd input udp dport 8000 log prefix "KNOCK: " drop
        """);
  }

  @Test
  void installLeavesOutWhatIsNotConfigured() {
    FirewallSettings s = new FirewallSettings("KNFW", 5000, 5000, false, List.of(), List.of(),
        "kt", null);
    assertThat(NftScripts.install(s)).isEqualTo(head("kt") + """
        add rule inet kt input tcp dport 5000 tcp flags & (fin|syn|rst|ack) == syn \
        log prefix "KNFW" drop
        """);
  }

  @Test
  void nflogLogsKnocksToTheGroupInsteadOfTheKernelLog() {
    FirewallSettings s = new FirewallSettings("KNFW: ", 5000, 5001, true, List.of(), List.of(),
        "kt", null).withNflogGroup(5);
    assertThat(NftScripts.install(s)).isEqualTo(head("kt") + """
        add rule inet kt input tcp dport 5000-5001 tcp flags & (fin|syn|rst|ack) == syn \
        log group 5 prefix "KNFW: " drop
        add rule inet kt input udp dport 5000-5001 log group 5 prefix "KNFW: " drop
        """);
  }

  @Test
  void resetAnswersLikeAClosedPort() {
    assertThat(NftScripts.install(SETTINGS.withReply(KnockReply.RESET)))
        .isEqualTo(head("knockd", "reject with tcp reset") + """
        add rule inet knockd input tcp dport { 22, 443 } reject with tcp reset
        add rule inet knockd input udp dport 53 reject
        add rule inet knockd input tcp dport 1000-1255 tcp flags & (fin|syn|rst|ack) == syn \
        log prefix "KNOCK: " reject with tcp reset
        add rule inet knockd input udp dport 1000-1255 log prefix "KNOCK: " reject
        add rule inet knockd input tcp dport { 7000, 9000 } tcp flags & (fin|syn|rst|ack) == syn \
        log prefix "KNOCK: " reject with tcp reset
        add rule inet knockd input udp dport 8000 log prefix "KNOCK: " reject
        """);
  }

  @Test
  void autoMustBeResolvedBeforeWriting() {
    assertThatThrownBy(() -> NftScripts.install(SETTINGS.withReply(KnockReply.AUTO)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("KnockReply auto must be resolved before rules are written");
  }

  @Test
  void reinstallAndUninstallDeleteTheTableWhetherItExistsOrNot() {
    assertThat(NftScripts.uninstall(SETTINGS))
        .isEqualTo("add table inet knockd\ndelete table inet knockd\n");
    assertThat(NftScripts.reinstall(SETTINGS))
        .isEqualTo(NftScripts.uninstall(SETTINGS) + NftScripts.install(SETTINGS));
  }

  @Test
  void grantReplacesTheElementWithItsNewTimeoutAtomically() {
    assertThat(NftScripts.grant(NftScripts.ownSet(SETTINGS), SSH, Duration.ofMinutes(30)))
        .isEqualTo("""
            add element inet knockd granted { 192.0.2.7 . tcp . 22 }
            delete element inet knockd granted { 192.0.2.7 . tcp . 22 }
            add element inet knockd granted { 192.0.2.7 . tcp . 22 timeout 30m }
            """);
  }

  @Test
  void aRandomPortGrantIsANatMapElementAndAFilterElementWithOneTimeout() {
    Access a = Access.redirect(SSH.address(), 22, org.knock.core.Protocol.TCP, 41369);
    assertThat(NftScripts.grantRedirect("inet knockd", a, Duration.ofMinutes(30))).isEqualTo("""
        add element inet knockd redirects { 192.0.2.7 . tcp . 41369 : 22 }
        delete element inet knockd redirects { 192.0.2.7 . tcp . 41369 }
        add element inet knockd redirects { 192.0.2.7 . tcp . 41369 timeout 30m : 22 }
        add element inet knockd redirected { 192.0.2.7 . tcp . 41369 . 22 }
        delete element inet knockd redirected { 192.0.2.7 . tcp . 41369 . 22 }
        add element inet knockd redirected { 192.0.2.7 . tcp . 41369 . 22 timeout 30m }
        """);
    assertThat(NftScripts.revokeRedirect("inet knockd", a)).isEqualTo("""
        add element inet knockd redirects { 192.0.2.7 . tcp . 41369 : 22 }
        delete element inet knockd redirects { 192.0.2.7 . tcp . 41369 }
        add element inet knockd redirected { 192.0.2.7 . tcp . 41369 . 22 }
        delete element inet knockd redirected { 192.0.2.7 . tcp . 41369 . 22 }
        """);
    assertThat(a.toString()).isEqualTo("192.0.2.7 22/tcp external 41369");
  }

  @Test
  void anIpv6RandomPortGrantIsAnElementOfTheIpv6MapAndSetWithOneTimeout() throws Exception {
    Access a = Access.redirect(Fixtures.SSH6.address(), 22, org.knock.core.Protocol.TCP, 41369);
    assertThat(NftScripts.grantRedirect("inet knockd", a, Duration.ofMinutes(30))).isEqualTo("""
        add element inet knockd redirects6 { fd10:204:15::2 . tcp . 41369 : 22 }
        delete element inet knockd redirects6 { fd10:204:15::2 . tcp . 41369 }
        add element inet knockd redirects6 { fd10:204:15::2 . tcp . 41369 timeout 30m : 22 }
        add element inet knockd redirected6 { fd10:204:15::2 . tcp . 41369 . 22 }
        delete element inet knockd redirected6 { fd10:204:15::2 . tcp . 41369 . 22 }
        add element inet knockd redirected6 { fd10:204:15::2 . tcp . 41369 . 22 timeout 30m }
        """);
    assertThat(NftScripts.revokeRedirect("inet knockd", a)).isEqualTo("""
        add element inet knockd redirects6 { fd10:204:15::2 . tcp . 41369 : 22 }
        delete element inet knockd redirects6 { fd10:204:15::2 . tcp . 41369 }
        add element inet knockd redirected6 { fd10:204:15::2 . tcp . 41369 . 22 }
        delete element inet knockd redirected6 { fd10:204:15::2 . tcp . 41369 . 22 }
        """);
  }

  @Test
  void aForwardIsADnatElementAndAForwardAcceptAndMaybeAMasquerade() {
    Access f = new Access(SSH.address(), 5432, org.knock.core.Protocol.TCP, 8443,
        Access.ipv4("10.1.0.5"), true);
    assertThat(NftScripts.grantForward("inet knockd", f, Duration.ofMinutes(30), true))
        .isEqualTo("""
        add element inet knockd forwards { 192.0.2.7 . tcp . 8443 : 10.1.0.5 . 5432 }
        delete element inet knockd forwards { 192.0.2.7 . tcp . 8443 }
        add element inet knockd forwards { 192.0.2.7 . tcp . 8443 timeout 30m : 10.1.0.5 . 5432 }
        add element inet knockd forwarded { 192.0.2.7 . tcp . 8443 }
        delete element inet knockd forwarded { 192.0.2.7 . tcp . 8443 }
        add element inet knockd forwarded { 192.0.2.7 . tcp . 8443 timeout 30m }
        add element inet knockd forwardports { tcp . 8443 }
        add element inet knockd masqueraded { 192.0.2.7 . tcp . 8443 }
        delete element inet knockd masqueraded { 192.0.2.7 . tcp . 8443 }
        add element inet knockd masqueraded { 192.0.2.7 . tcp . 8443 timeout 30m }
        """);
    assertThat(NftScripts.grantForward("inet knockd", f, Duration.ofMinutes(30), false))
        .doesNotContain("masqueraded");
    assertThat(NftScripts.revokeForward("inet knockd", f)).isEqualTo("""
        add element inet knockd forwards { 192.0.2.7 . tcp . 8443 : 10.1.0.5 . 5432 }
        delete element inet knockd forwards { 192.0.2.7 . tcp . 8443 }
        add element inet knockd forwarded { 192.0.2.7 . tcp . 8443 }
        delete element inet knockd forwarded { 192.0.2.7 . tcp . 8443 }
        add element inet knockd masqueraded { 192.0.2.7 . tcp . 8443 }
        delete element inet knockd masqueraded { 192.0.2.7 . tcp . 8443 }
        """);
  }

  @Test
  void aRandomPortGrantNeedsTheOwnTable() throws Exception {
    Access a = Access.redirect(SSH.address(), 22, org.knock.core.Protocol.TCP, 41369);
    Firewall own = Firewalls.create("nftables", SETTINGS, FirewallOptions.DEFAULTS,
        java.time.Clock.systemUTC(), new RecordingRunner());
    own.grant(a, Duration.ofMinutes(30)); // the recording runner accepts it
    Firewall shared = Firewalls.create("nftables", SETTINGS,
        FirewallOptions.DEFAULTS.withNftSet("inet filter knock_granted"),
        java.time.Clock.systemUTC(), new RecordingRunner());
    assertThatThrownBy(() -> shared.grant(a, Duration.ofMinutes(30)))
        .isInstanceOf(FirewallException.class).hasMessageContaining("random port");
  }

  @Test
  void anIpv6GrantIsAnElementOfTheIpv6Set() throws Exception {
    Access a = new Access(java.net.InetAddress.getByName("fd00:15:0::0:2"), 22,
        org.knock.core.Protocol.TCP);
    assertThat(NftScripts.addWithTimeout(NftScripts.ownSet6(SETTINGS), a, Duration.ofMinutes(30)))
        .isEqualTo("add element inet knockd granted6 { fd00:15::2 . tcp . 22 timeout 30m }");
    assertThat(Access.text(java.net.InetAddress.getByName("2001:db8:0:0:1:0:0:1")))
        .isEqualTo("2001:db8::1:0:0:1");
    assertThat(Access.text(java.net.InetAddress.getByName("::1"))).isEqualTo("::1");
    assertThat(Access.text(java.net.InetAddress.getByName("fe80::"))).isEqualTo("fe80::");
    assertThat(Access.text(java.net.InetAddress.getByName("1:2:3:4:5:6:7:8")))
        .isEqualTo("1:2:3:4:5:6:7:8");
    assertThat(Access.text(java.net.InetAddress.getByName("1:0:3:4:5:6:7:8")))
        .isEqualTo("1:0:3:4:5:6:7:8");
  }

  @Test
  void anIpv6Slash64GrantIsAPrefixElementOfItsOwnSet() throws Exception {
    Access a = new Access(java.net.InetAddress.getByName("fd10:204:15::"), 22,
        org.knock.core.Protocol.TCP, 64);
    assertThat(a.network()).isTrue();
    assertThat(a.ip()).isEqualTo("fd10:204:15::/64");
    assertThat(NftScripts.addWithTimeout(NftScripts.ownSet6Net(SETTINGS), a,
        Duration.ofMinutes(30))).isEqualTo(
            "add element inet knockd granted6net { fd10:204:15::/64 . tcp . 22 timeout 30m }");
    // only a /64 with its host bits zero, only for IPv6; a full-length prefix is one address
    assertThatThrownBy(() -> new Access(java.net.InetAddress.getByName("fd10:204:15::2"), 22,
        org.knock.core.Protocol.TCP, 64)).hasMessage("bad prefix /64 for fd10:204:15::2");
    assertThatThrownBy(() -> new Access(java.net.InetAddress.getByName("192.0.2.0"), 22,
        org.knock.core.Protocol.TCP, 24)).hasMessage("bad prefix /24 for 192.0.2.0");
    assertThat(new Access(java.net.InetAddress.getByName("fd10::2"), 22,
        org.knock.core.Protocol.TCP, 128).network()).isFalse();
  }

  @Test
  void revokeRemovesElementsWhetherPresentOrNot() {
    NftSetRef shared = NftSetRef.parse("inet filter knock_granted");
    assertThat(NftScripts.revoke(shared, List.of(SSH, DNS))).isEqualTo("""
        add element inet filter knock_granted { 192.0.2.7 . tcp . 22 }
        delete element inet filter knock_granted { 192.0.2.7 . tcp . 22 }
        add element inet filter knock_granted { 198.51.100.9 . udp . 53 }
        delete element inet filter knock_granted { 198.51.100.9 . udp . 53 }
        """);
  }

  @Test
  void timeoutsAreWholeSecondsInUnitsNftAccepts() {
    assertThat(NftScripts.timeout(Duration.ofSeconds(3))).isEqualTo("3s");
    assertThat(NftScripts.timeout(Duration.ofMillis(2001))).isEqualTo("3s");
    assertThat(NftScripts.timeout(Duration.ofMillis(1))).isEqualTo("1s");
    assertThat(NftScripts.timeout(Duration.ofSeconds(1800))).isEqualTo("30m");
    assertThat(NftScripts.timeout(Duration.ofSeconds(93784))).isEqualTo("1d2h3m4s");
    assertThat(NftScripts.timeout(Duration.ofDays(16383))).isEqualTo("16383d");
  }
}
