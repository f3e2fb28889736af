package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DualStackFirewallTest {
  /** A half that ended {@code ended} at its install and does nothing else. */
  private static Firewall half(Firewall.Ended ended) {
    return new Firewall() {
      @Override
      public String describe() {
        return "half";
      }

      @Override
      public void install() {}

      @Override
      public void grant(Access access, Duration duration) {}

      @Override
      public void revoke(Access access) {}

      @Override
      public List<Access> expire(Instant now) {
        return List.of();
      }

      @Override
      public Firewall.Ended endedAtInstall() {
        return ended;
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void whatEitherHalfEndedAtItsInstallIsPassedOnSoTheDaemonAuditsIt() {
    Firewall.Ended four = new Firewall.Ended(List.of(Access.EXAMPLE), 1, "iptables chain");
    Firewall.Ended six = new Firewall.Ended(List.of(Access.EXAMPLE6), 0, "ip6tables chain");
    Firewall.Ended unknown = new Firewall.Ended(List.of(), -1, "ip6tables chain");
    Firewall.Ended none = Firewall.Ended.NONE;

    assertThat(new DualStackFirewall(half(none), half(none), null).endedAtInstall().any())
        .isFalse();
    assertThat(new DualStackFirewall(half(four), half(none), null).endedAtInstall())
        .isEqualTo(four);
    assertThat(new DualStackFirewall(half(none), half(six), null).endedAtInstall())
        .isEqualTo(six);
    assertThat(new DualStackFirewall(half(four), half(six), null).endedAtInstall())
        .isEqualTo(new Firewall.Ended(List.of(Access.EXAMPLE, Access.EXAMPLE6), 1,
            "iptables chain and ip6tables chain"));
    assertThat(new DualStackFirewall(half(four), half(unknown), null).endedAtInstall().others())
        .as("a half that could not list its rules: unknown").isEqualTo(-1);
  }
}
