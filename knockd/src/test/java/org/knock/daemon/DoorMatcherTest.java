package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import java.util.Set;
import org.knock.core.Protocol;
import org.knock.daemon.config.TcpFlags;
import org.knock.daemon.firewall.PortSpec;

class DoorMatcherTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  private final DoorMatcher.Door ssh = new DoorMatcher.Door("openSSH",
      List.of(new PortSpec(7000, Protocol.TCP), new PortSpec(8000, Protocol.UDP),
          new PortSpec(9000, Protocol.TCP)),
      Duration.ofSeconds(5), new TcpFlags(Set.of("syn"), Set.of("ack")), false);
  private final DoorMatcher m = new DoorMatcher(List.of(ssh), 100);

  private List<DoorMatcher.Door> knock(String src, int port, Protocol p, long ms) {
    return m.offer(src, port, p, List.of("syn"), T0.plusMillis(ms));
  }

  @Test
  void theSequenceInOrderOpens() {
    assertThat(knock("10.0.0.2", 7000, Protocol.TCP, 0)).isEmpty();
    assertThat(knock("10.0.0.2", 8000, Protocol.UDP, 10)).isEmpty();
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).containsExactly(ssh);
  }

  @Test
  void aReloadsMatcherGoesOnWithTheProgressOnTheDoorsItKeptUnchanged() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    knock("10.0.0.2", 8000, Protocol.UDP, 10);
    knock("10.0.0.3", 7000, Protocol.TCP, 10);
    DoorMatcher.Door web = new DoorMatcher.Door("web", List.of(new PortSpec(7100, Protocol.TCP),
        new PortSpec(7200, Protocol.TCP)), Duration.ofSeconds(5), ssh.flags(), false);
    DoorMatcher next = new DoorMatcher(List.of(web, ssh), 100); // another order, another door
    next.takeOver(m);
    assertThat(next.offer("10.0.0.2", 9000, Protocol.TCP, List.of("syn"), T0.plusMillis(20)))
        .containsExactly(ssh);
    assertThat(next.offer("10.0.0.3", 9000, Protocol.TCP, List.of("syn"), T0.plusMillis(20)))
        .as("its next step was 8000/udp").isEmpty();
    // the door changed by the reload (another step): its progress is not taken over
    knock("10.0.0.4", 7000, Protocol.TCP, 0);
    knock("10.0.0.4", 8000, Protocol.UDP, 10);
    DoorMatcher.Door changed = new DoorMatcher.Door("openSSH", List.of(
        new PortSpec(7000, Protocol.TCP), new PortSpec(8000, Protocol.UDP),
        new PortSpec(9100, Protocol.TCP)), ssh.timeout(), ssh.flags(), false);
    DoorMatcher other = new DoorMatcher(List.of(changed), 100);
    other.takeOver(m);
    assertThat(other.offer("10.0.0.4", 9100, Protocol.TCP, List.of("syn"), T0.plusMillis(20)))
        .isEmpty();
  }

  @Test
  void shuffledOrderDoesNotOpen() {
    knock("10.0.0.2", 8000, Protocol.UDP, 0);
    knock("10.0.0.2", 7000, Protocol.TCP, 10);
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).isEmpty();
  }

  @Test
  void theWrongProtocolIsNotAStep() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    knock("10.0.0.2", 8000, Protocol.TCP, 10); // not a sequence port: ignored
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).isEmpty(); // 8000/udp still missing
  }

  @Test
  void aPortOfTheSequenceOutOfTurnResets() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    knock("10.0.0.2", 9000, Protocol.TCP, 5);
    knock("10.0.0.2", 8000, Protocol.UDP, 10);
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).isEmpty();
  }

  @Test
  void aDuplicateOfTheLastStepDoesNotReset() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    knock("10.0.0.2", 7000, Protocol.TCP, 3); // retransmit or spoofed copy
    knock("10.0.0.2", 8000, Protocol.UDP, 10);
    knock("10.0.0.2", 8000, Protocol.UDP, 11);
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).containsExactly(ssh);
  }

  @Test
  void portsOutsideEverySequenceAreIgnored() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    knock("10.0.0.2", 1234, Protocol.TCP, 3);
    knock("10.0.0.2", 8000, Protocol.UDP, 10);
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).containsExactly(ssh);
  }

  @Test
  void sourcesAreSeparate() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    knock("10.0.0.3", 8000, Protocol.UDP, 10);
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).isEmpty();
  }

  @Test
  void theSequenceTimesOut() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    knock("10.0.0.2", 8000, Protocol.UDP, 10);
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 5001)).isEmpty();
  }

  @Test
  void wrongTcpFlagsAreIgnored() {
    knock("10.0.0.2", 7000, Protocol.TCP, 0);
    m.offer("10.0.0.2", 9000, Protocol.TCP, List.of("syn", "ack"), T0.plusMillis(5));
    knock("10.0.0.2", 8000, Protocol.UDP, 10);
    assertThat(knock("10.0.0.2", 9000, Protocol.TCP, 20)).containsExactly(ssh);
  }

  @Test
  void trackedSourcesAreBounded() {
    for (int i = 0; i < 1000; i++) {
      knock("10.1." + (i / 256) + "." + (i % 256), 7000, Protocol.TCP, i);
    }
    // the first source was evicted: its progress is gone
    knock("10.1.0.0", 8000, Protocol.UDP, 2000);
    assertThat(knock("10.1.0.0", 9000, Protocol.TCP, 2001)).isEmpty();
    // a recent one kept its progress
    knock("10.1.3.231", 8000, Protocol.UDP, 2000);
    assertThat(knock("10.1.3.231", 9000, Protocol.TCP, 2001)).containsExactly(ssh);
  }

  @Test
  void aRetiredOneTimeDoorNoLongerOpens() {
    DoorMatcher.Door once = new DoorMatcher.Door("once",
        List.of(new PortSpec(2001, Protocol.TCP), new PortSpec(2002, Protocol.TCP)),
        Duration.ofSeconds(5), TcpFlags.ANY, true);
    DoorMatcher om = new DoorMatcher(List.of(once), 10);
    om.offer("10.0.0.2", 2001, Protocol.TCP, List.of("syn"), T0);
    assertThat(om.offer("10.0.0.2", 2002, Protocol.TCP, List.of("syn"), T0)).containsExactly(once);
    om.retire(once);
    assertThat(om.isSequencePort(2001, Protocol.TCP)).isFalse();
    om.offer("10.0.0.2", 2001, Protocol.TCP, List.of("syn"), T0);
    assertThat(om.offer("10.0.0.2", 2002, Protocol.TCP, List.of("syn"), T0)).isEmpty();
  }

  @Test
  void retiringAOneTimeDoorKeepsEveryonesProgressOnTheOthers() {
    DoorMatcher.Door once = new DoorMatcher.Door("once",
        List.of(new PortSpec(2001, Protocol.TCP), new PortSpec(2002, Protocol.TCP)),
        Duration.ofSeconds(5), TcpFlags.ANY, true);
    DoorMatcher om = new DoorMatcher(List.of(ssh, once), 10);
    om.offer("10.0.0.3", 7000, Protocol.TCP, List.of("syn"), T0);
    om.offer("10.0.0.3", 8000, Protocol.UDP, List.of("syn"), T0);
    om.offer("10.0.0.2", 2001, Protocol.TCP, List.of("syn"), T0);
    assertThat(om.offer("10.0.0.2", 2002, Protocol.TCP, List.of("syn"), T0)).containsExactly(once);
    om.retire(once); // another source's one-time sequence, used
    assertThat(om.offer("10.0.0.3", 9000, Protocol.TCP, List.of("syn"), T0))
        .as("10.0.0.3's static knock goes on").containsExactly(ssh);
  }
}
