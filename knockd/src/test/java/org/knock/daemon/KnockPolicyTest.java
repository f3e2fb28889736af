package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.knock.core.Command;
import org.knock.core.Knock;
import org.knock.core.Payload;
import org.knock.core.Protocol;
import org.knock.core.Verb;

class KnockPolicyTest {
  private static final KnockPolicy.Port SSH = new KnockPolicy.Port(22, Protocol.TCP);
  private final KnockPolicy policy = new KnockPolicy(Map.of(
      "alice", new KnockPolicy.UserRules("alice", Set.of(SSH), false, true, true,
          Set.of("backup"), Duration.ofHours(2)),
      "cron", new KnockPolicy.UserRules("cron", Set.of(), false, false, false,
          Set.of("backup"), Duration.ofHours(1))),
      Duration.ofMinutes(30),
      Map.of(Payload.actionId("backup"), "backup", Payload.actionId("reboot"), "reboot"));

  private KnockPolicy.Decision decide(String user, String command) throws Exception {
    Payload p = Payload.of(Command.parse(command), 0, 1000, 1);
    return policy.decide(new Knock(user, p, 1, 1));
  }

  @Test
  void anAllowedOpenKeepsItsDuration() throws Exception {
    KnockPolicy.Decision d = decide("alice", "open 22 1h");
    assertThat(d.allowed()).isTrue();
    assertThat(d.verb()).isEqualTo(Verb.OPEN);
    assertThat(d.port()).isEqualTo(SSH);
    assertThat(d.duration()).isEqualTo(Duration.ofHours(1));
    assertThat(d.clamped()).isFalse();
  }

  @Test
  void noDurationMeansTheDefault() throws Exception {
    assertThat(decide("alice", "open 22").duration()).isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void tooLongIsClampedToMaxDuration() throws Exception {
    KnockPolicy.Decision d = decide("alice", "open 22 1d");
    assertThat(d.duration()).isEqualTo(Duration.ofHours(2));
    assertThat(d.clamped()).isTrue();
  }

  @Test
  void aPortNotAllowedIsRefused() throws Exception {
    assertThat(decide("alice", "open 23").refusal()).isEqualTo("not-allowed");
    assertThat(decide("alice", "open 22/udp").refusal()).isEqualTo("not-allowed");
  }

  @Test
  void closeNeedsCloseAndThePort() throws Exception {
    assertThat(decide("alice", "close 22").verb()).isEqualTo(Verb.CLOSE);
    assertThat(decide("alice", "close 23").refusal()).isEqualTo("not-allowed");
    assertThat(decide("cron", "close 22").refusal()).isEqualTo("not-allowed");
  }

  @Test
  void runNamesTheActionAndChecksIt() throws Exception {
    assertThat(decide("cron", "run backup").action()).isEqualTo("backup");
    assertThat(decide("cron", "run reboot").refusal()).isEqualTo("not-allowed");
    assertThat(decide("cron", "run nosuch").refusal()).isEqualTo("unknown-action");
  }

  @Test
  void denyFurtherNeedsPermission() throws Exception {
    assertThat(decide("alice", "deny-further 1h").duration()).isEqualTo(Duration.ofHours(1));
    assertThat(decide("cron", "deny-further").refusal()).isEqualTo("not-allowed");
  }
}
