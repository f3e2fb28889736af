package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Protocol;
import org.knock.daemon.audit.AuditEvent;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallOptions;
import org.knock.daemon.firewall.Firewalls;

/**
 * {@code knockd --remove-rules}: nothing is removed unless the request is on record first
 * (SECURITY.md section 4); then the removal and its record.
 */
class RuleRemovalTest {
  @TempDir Path dir;
  private final MemoryAudit audit = new MemoryAudit();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private Firewall firewallWithAGrant() throws Exception {
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, "[options]\nFirewallLog = -\nFirewall = none\nStateDir = "
        + dir.resolve("state") + "\nAuditLog = -\n[ssh]\nSequence = 7000,8000,9000\n"
        + "Start_Command = true\n");
    Config config = ConfigLoader.load(conf);
    Firewall f = Firewalls.create("none", Wiring.firewallSettings(config),
        FirewallOptions.DEFAULTS, new MutableClock(Instant.parse("2026-12-01T22:00:00Z")));
    f.grant(new Access(Access.ipv4("10.0.0.2"), 22, Protocol.TCP), Duration.ofMinutes(5));
    return f;
  }

  private int remove(Firewall f) {
    return RuleRemoval.remove("none", f, audit, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void anAuditLogThatCannotBeWrittenRemovesNothing() throws Exception {
    Firewall f = firewallWithAGrant();
    audit.setUnavailable(true);
    assertThat(remove(f)).isEqualTo(1);
    assertThat(f.grants()).as("nothing removed").hasSize(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("knockd: the audit log cannot be "
        + "written: nothing removed (removals are audited)\n");
    assertThat(out.size()).isZero();
  }

  @Test
  void theRequestIsRecordedBeforeTheRemovalAndTheRemovalAfter() throws Exception {
    Firewall f = firewallWithAGrant();
    assertThat(remove(f)).isZero();
    assertThat(f.grants()).isEmpty();
    assertThat(audit.events()).extracting(AuditEvent::toText).containsExactly(
        "event=rules-remove-requested firewall=none by=remove-rules",
        "event=rules-removed firewall=none removed=\"" + out.toString(StandardCharsets.UTF_8)
            .strip().substring("knockd: removed ".length()) + "\" by=remove-rules");
  }
}
