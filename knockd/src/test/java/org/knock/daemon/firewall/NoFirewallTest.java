package org.knock.daemon.firewall;

import org.knock.daemon.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.daemon.firewall.Fixtures.DNS;
import static org.knock.daemon.firewall.Fixtures.SSH;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class NoFirewallTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-01T10:00:00Z"));
  private final NoFirewall fw = new NoFirewall(clock);

  @Test
  void expireReportsGrantsWhenTheirTimeIsUpEarliestFirst() {
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.grant(DNS, Duration.ofMinutes(10));
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(10)).minusMillis(1))).isEmpty();
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(30)))).containsExactly(DNS, SSH);
    assertThat(fw.expire(clock.instant().plus(Duration.ofDays(1)))).isEmpty();
  }

  @Test
  void regrantMovesTheEndAndRevokeForgets() {
    fw.grant(SSH, Duration.ofMinutes(30));
    clock.advance(Duration.ofMinutes(20));
    fw.grant(SSH, Duration.ofMinutes(5));
    assertThat(fw.expire(clock.instant().plus(Duration.ofMinutes(5)))).containsExactly(SSH);
    fw.grant(DNS, Duration.ofMinutes(5));
    fw.revoke(DNS);
    fw.revoke(SSH);
    assertThat(fw.expire(clock.instant().plus(Duration.ofDays(1)))).isEmpty();
  }

  @Test
  void closeForgetsEverything() {
    fw.grant(SSH, Duration.ofMinutes(30));
    fw.close();
    assertThat(fw.expire(clock.instant().plus(Duration.ofDays(1)))).isEmpty();
    assertThat(fw.describe()).startsWith("none: ");
  }

  @Test
  void refusesDurationsNoBackendCanKeep() {
    assertThatThrownBy(() -> fw.grant(SSH, Duration.ZERO))
        .hasMessage("bad grant duration PT0S: use more than zero and at most 16383 days");
    assertThatThrownBy(() -> fw.grant(SSH, Duration.ofDays(16384)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
