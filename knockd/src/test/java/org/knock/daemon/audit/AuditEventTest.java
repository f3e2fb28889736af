package org.knock.daemon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knock.core.Rejection;

class AuditEventTest {
  private final MemoryAudit audit = new MemoryAudit();

  @Test
  void acceptedKnockFieldsInOrder() {
    audit.knockAccepted("alice", "10.0.0.2", "10.0.0.2", "open 22/tcp 30m",
        Duration.ofMinutes(30), Instant.parse("2026-11-22T08:14:50.123Z"));
    assertThat(audit.last().toText()).isEqualTo("event=knock-accepted user=alice src=10.0.0.2 "
        + "grant=10.0.0.2 command=\"open 22/tcp 30m\" duration=30m expires=2026-11-22T08:14:50Z");
  }

  @Test
  void rejectionWithoutUserLeavesTheFieldOut() {
    audit.knockRejected(Rejection.BAD_TAG, "203.0.113.9", null);
    assertThat(audit.last().toText())
        .isEqualTo("event=knock-rejected src=203.0.113.9 reason=bad-tag");
    audit.knockRejected("not-allowed", "10.0.0.2", "bob");
    assertThat(audit.last().get("user")).isEqualTo("bob");
  }

  @Test
  void valuesCannotForgeFieldsOrLines() {
    audit.firewallError("add-element", "nft: \"x\" failed\nevent=knock-accepted src=1.2.3.4 \\",
        true);
    assertThat(audit.last().toText()).isEqualTo("event=firewall-error what=add-element "
        + "message=\"nft: \\\"x\\\" failed\\nevent=knock-accepted src=1.2.3.4 \\\\\" retry=yes");
    audit.sourceLost("kmsg", "");
    assertThat(audit.last().toText()).isEqualTo("event=source-lost log=kmsg reason=\"\"");
    audit.daemonStop("a=b\u0001");
    assertThat(audit.last().toText()).isEqualTo("event=daemon-stop reason=\"a=b\\x01\"");
  }

  @Test
  void everyEventHasItsName() {
    Instant t = Instant.parse("2026-11-22T07:00:00Z");
    audit.accessGranted("alice", "10.0.0.2", "22/tcp", t);
    audit.accessExpired("10.0.0.2", "22/tcp");
    audit.accessClosed("10.0.0.2", "22/tcp", "alice");
    audit.doorOpened("openSSH", "10.0.0.3");
    audit.actionRun("backup", "alice", "10.0.0.2", 0, Duration.ofMillis(1204), false);
    audit.floodEvictions(17, t);
    audit.sourceRecovered("kmsg");
    audit.sourceOverrun("kmsg", 42);
    audit.daemonStart("0.1.0", "/etc/knockd/knockd.conf");
    audit.configReloaded("/etc/knockd/knockd.conf");
    audit.configReloadRefused("/etc/knockd/knockd.conf", "knockd.conf:3: Cipher: unknown");
    audit.keyCreated("admin", "/etc/knockd/admin.key");
    audit.configReloaded("/etc/knockd/knockd.conf", List.of("KnockPorts", "Protect"));
    audit.rulesRemoved("nftables", "nftables table inet knockd", "remove-rules");
    assertThat(audit.events()).extracting(AuditEvent::name).containsExactly("access-granted",
        "access-expired", "access-closed", "door-opened", "action-run", "flood-evictions",
        "source-recovered", "source-overrun", "daemon-start", "config-reloaded",
        "config-reload-refused", "key-created", "config-reloaded", "rules-removed");
    assertThat(audit.events("config-reloaded").get(1).toText()).isEqualTo("event=config-reloaded "
        + "config=/etc/knockd/knockd.conf changed=KnockPorts,Protect");
    assertThat(audit.events("config-reload-refused").get(0).toText()).isEqualTo(
        "event=config-reload-refused config=/etc/knockd/knockd.conf "
            + "reason=\"knockd.conf:3: Cipher: unknown\"");
    assertThat(audit.events("rules-removed").get(0).toText()).isEqualTo("event=rules-removed "
        + "firewall=nftables removed=\"nftables table inet knockd\" by=remove-rules");
    assertThat(audit.events("action-run").get(0).toText()).isEqualTo("event=action-run "
        + "action=backup user=alice src=10.0.0.2 exit=0 took=1204ms timed-out=no");
    assertThat(audit.events("flood-evictions").get(0).toText())
        .isEqualTo("event=flood-evictions count=17 since=2026-11-22T07:00:00Z");
    audit.budgetRefusals(4096, Instant.parse("2026-11-22T07:00:00Z"));
    assertThat(audit.events("budget-refusals").get(0).toText())
        .isEqualTo("event=budget-refusals count=4096 since=2026-11-22T07:00:00Z");
  }
}
