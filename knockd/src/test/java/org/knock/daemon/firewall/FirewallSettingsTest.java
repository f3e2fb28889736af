package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knock.core.Protocol;

class FirewallSettingsTest {
  private static FirewallSettings settings(String prefix, int start, int end, boolean udp,
      List<PortSpec> extra, List<PortSpec> protect, String name) {
    return new FirewallSettings(prefix, start, end, udp, extra, protect, name, null);
  }

  @Test
  void defaultsNameAndTimeoutAndDropsDuplicates() {
    FirewallSettings s = settings("KNOCK: ", 1000, 1255, false,
        List.of(PortSpec.parse("7000"), PortSpec.parse("7000/tcp")), List.of(), null);
    assertThat(s.name()).isEqualTo("knockd");
    assertThat(s.chain()).isEqualTo("KNOCKD");
    assertThat(s.commandTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.extraLogged()).containsExactly(new PortSpec(7000, Protocol.TCP));
  }

  @Test
  void refusesPrefixesThatCouldBreakARule() {
    for (String bad : List.of("", "a\"b", "a\\b", "$x", "123456789012345678901234567890",
        "a\nb", "a;b")) {
      assertThatThrownBy(() -> settings(bad, 1000, 1255, false, List.of(), List.of(), null))
          .as(bad).hasMessageStartingWith("bad log prefix '");
    }
  }

  @Test
  void refusesBadRangesAndNames() {
    assertThatThrownBy(() -> settings("K", 2000, 1999, false, List.of(), List.of(), null))
        .hasMessage("bad knock range 2000-1999: use 1 <= start <= end <= 65535");
    assertThatThrownBy(() -> settings("K", 0, 10, false, List.of(), List.of(), null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> settings("K", 1, 10, false, List.of(), List.of(), "knock-d"))
        .hasMessage("bad firewall name 'knock-d': use a letter then up to 20 of A-Z a-z 0-9 _");
    // iptables takes chain names of up to 28 characters, and the longest knockd makes of the
    // name is CHAIN-FWD-RE
    String longest = "k".repeat(21);
    assertThat(IptablesRules.reopenChain(settings("K", 1, 10, false, List.of(), List.of(),
        longest).chain())).hasSize(28);
    assertThatThrownBy(() -> settings("K", 1, 10, false, List.of(), List.of(), longest + "k"))
        .hasMessageStartingWith("bad firewall name");
    assertThatThrownBy(() -> new FirewallSettings("K", 1, 10, false, List.of(), List.of(), null,
        Duration.ZERO)).hasMessage("bad command timeout PT0S");
  }

  @Test
  void refusesAProtectedPortThatIsAlsoLogged() {
    assertThatThrownBy(() -> settings("K", 1000, 1255, false, List.of(),
        List.of(PortSpec.parse("1022/tcp")), null))
        .hasMessage("port 1022/tcp is both protected and logged as a knock (knock range 1000-1255)");
    assertThatThrownBy(() -> settings("K", 1000, 1255, false, List.of(PortSpec.parse("7000")),
        List.of(PortSpec.parse("7000")), null))
        .hasMessage("port 7000/tcp is both protected and logged as a knock");
    assertThat(settings("K", 1000, 1255, false, List.of(), List.of(PortSpec.parse("1022/udp")),
        null).protect()).hasSize(1);
    assertThatThrownBy(() -> settings("K", 1000, 1255, true, List.of(),
        List.of(PortSpec.parse("1022/udp")), null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void portSpecsParseAndPrint() {
    assertThat(PortSpec.parse(" 22 ")).isEqualTo(new PortSpec(22, Protocol.TCP));
    assertThat(PortSpec.parse("8000/UDP").toString()).isEqualTo("8000/udp");
    for (String bad : List.of("0", "65536", "22/sctp", "x", "22/", "/tcp", "022")) {
      assertThatThrownBy(() -> PortSpec.parse(bad)).as(bad)
          .hasMessage("bad port '" + bad + "': use a number 1-65535, optionally /tcp or /udp");
    }
  }

  @Test
  void accessParsesDottedQuadsOnly() {
    assertThat(Fixtures.SSH.toString()).isEqualTo("192.0.2.7 22/tcp");
    for (String bad : List.of("192.0.2", "192.0.2.256", "host", "::1", "1.2.3.4.5")) {
      assertThatThrownBy(() -> Access.ipv4(bad)).as(bad)
          .hasMessage("bad IPv4 address '" + bad + "'");
    }
  }

  @Test
  void factoryRefusesUnknownKindsAndBadSets() {
    assertThatThrownBy(() -> Firewalls.create("pf", Fixtures.SETTINGS, FirewallOptions.DEFAULTS,
        Clock.systemUTC()))
        .hasMessage("unknown firewall 'pf': use nftables, iptables, command, none");
    assertThatThrownBy(() -> Firewalls.create("nftables", Fixtures.SETTINGS,
        FirewallOptions.DEFAULTS.withNftSet("filter set"), Clock.systemUTC()))
        .hasMessageStartingWith("bad nft set 'filter set'");
  }
}
