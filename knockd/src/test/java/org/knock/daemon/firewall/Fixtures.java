package org.knock.daemon.firewall;

import java.time.Duration;
import java.util.List;
import org.knock.core.Protocol;

/** Settings and accesses shared by the firewall tests. */
final class Fixtures {
  static final FirewallSettings SETTINGS = new FirewallSettings("KNOCK: ", 1000, 1255, true,
      List.of(PortSpec.parse("7000/tcp"), PortSpec.parse("8000/udp"), PortSpec.parse("9000")),
      List.of(PortSpec.parse("22/tcp"), PortSpec.parse("443"), PortSpec.parse("53/udp")), null,
      Duration.ofSeconds(3));
  /** What a reload changes to: another prefix and range, 2222/tcp protected too, no UDP. */
  static final FirewallSettings RELOADED = new FirewallSettings("NEW: ", 3000, 3255, false,
      List.of(), List.of(PortSpec.parse("22/tcp"), PortSpec.parse("2222/tcp")), null,
      Duration.ofSeconds(3));
  static final Access SSH = access("192.0.2.7", 22, Protocol.TCP);
  static final Access DNS = access("198.51.100.9", 53, Protocol.UDP);
  /** An IPv6 address's access to 22/tcp, and its /64's. */
  static final Access SSH6 = new Access(v6("fd10:204:15::2"), 22, Protocol.TCP);
  static final Access SSH6NET = new Access(v6("fd10:204:15::"), 22, Protocol.TCP, 64);

  private Fixtures() {}

  private static java.net.InetAddress v6(String literal) {
    try {
      return java.net.InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  static Access access(String ip, int port, Protocol p) {
    return new Access(Access.ipv4(ip), port, p);
  }

  /**
   * docs/SECURITY.md (Clock): a backend that ends grants by the daemon's clock ends a 30 min
   * grant at the first expiry after the clock steps forward by an hour. Returns the runner's call
   * count just after the grant.
   */
  static int forwardJumpEndsAGrantEarly(Firewall fw, org.knock.daemon.MutableClock clock,
      RecordingRunner runner) throws FirewallException {
    fw.install();
    fw.grant(SSH, Duration.ofMinutes(30));
    int before = runner.calls.size();
    org.assertj.core.api.Assertions.assertThat(fw.expire(clock.instant())).isEmpty();
    clock.advance(Duration.ofHours(1)); // the wall clock steps forward; 30 min never passed
    org.assertj.core.api.Assertions.assertThat(fw.expire(clock.instant())).containsExactly(SSH);
    return before;
  }
}
