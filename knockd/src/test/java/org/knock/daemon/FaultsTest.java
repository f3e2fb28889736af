package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.InMemoryReplayCache;
import org.knock.core.KnockDecoder;
import org.knock.core.KnockEncoder;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.AuditEvent;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.ActionConfig;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallException;
import org.knock.daemon.firewall.FirewallOptions;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.log.LoggedPacket;
import org.knock.daemon.log.Transport;

/**
 * The pipeline when things go wrong: a firewall that fails or hangs (retries, audit, and the
 * pipeline keeps serving), and the daemon's clock jumping (a knock is judged by the daemon's
 * clock; grants of backends knockd expires itself end by that clock too).
 */
class FaultsTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  private static final String CLIENT = "10.99.0.2";

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private final MemoryAudit audit = new MemoryAudit();
  private final KnockKey key = KnockKey.generate(new SplittableRandom(11));
  private Config config;
  private KnockPipeline pipeline;
  private int sport = 40000;
  private long seed = 1;

  /** A firewall whose first {@code failures} grants fail; counts every grant it is asked for. */
  private static final class FlakyFirewall implements Firewall {
    private int failures;
    final List<Access> asked = new ArrayList<>();
    final List<Access> granted = new ArrayList<>();
    final List<Access> revoked = new ArrayList<>();

    FlakyFirewall(int failures) {
      this.failures = failures;
    }

    @Override
    public String describe() {
      return "flaky";
    }

    @Override
    public void install() {}

    @Override
    public void grant(Access access, Duration duration) throws FirewallException {
      asked.add(access);
      if (failures > 0) {
        failures--;
        throw new FirewallException("nft: Could not process rule: Device or resource busy");
      }
      granted.add(access);
    }

    @Override
    public void revoke(Access access) {
      revoked.add(access);
    }

    @Override
    public List<Access> expire(Instant now) {
      return List.of();
    }

    @Override
    public void close() {}
  }

  private void setUp(String firewallLines, Firewall firewall) throws Exception {
    TestKeys.write(dir.resolve("alice.key"), key);
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        firewallLines,
        "StateDir = " + dir.resolve("state"),
        "AuditLog = -",
        "TimeWindow = 120s",
        "[user alice]",
        "Key = alice.key",
        "Allow = open 22/tcp, close",
        ""));
    config = ConfigLoader.load(conf);
    Firewall fw = firewall != null ? firewall : Firewalls.create(
        config.options().firewall().name().toLowerCase(java.util.Locale.ROOT),
        Wiring.firewallSettings(config), Wiring.firewallOptions(config, List.of()), clock);
    KnockDecoder decoder =
        new KnockDecoder(config.decoderSettings(), config.knockUsers(), new InMemoryReplayCache());
    SourceTracker tracker = new SourceTracker(decoder, Duration.ofSeconds(10), 1000, 512);
    DoorMatcher doors = new DoorMatcher(Wiring.doors(config), 1000);
    pipeline = new KnockPipeline(config, clock, tracker, doors, fw, audit,
        new KnockPipeline.Commands() {
          @Override
          public void runAction(ActionConfig action, String user, String ip, String source) {}

          @Override
          public void openDoor(DoorMatcher.Door door, String source) {}
        });
  }

  private void knock(String command, Instant stamp) throws Exception {
    DecoderSettings s = config.decoderSettings();
    int[] ports = new KnockEncoder(key, s.suite(), s.mapping(), s.basePort(),
        org.knock.core.ServerBinding.of(new byte[] {10, 99, 0, 1}))
        .encode(Command.parse(command), 0, stamp, new SplittableRandom(seed++));
    for (int p : ports) {
      pipeline.onPacket(new LoggedPacket("KNOCK:", InetAddress.getByName(CLIENT),
          InetAddress.getByName("10.99.0.1"), Transport.TCP, sport++, p, true, false));
    }
  }

  private List<String> names() {
    return audit.events().stream().map(AuditEvent::name).toList();
  }

  @Test
  void noGrantAndNoCloseWithoutTheirRecordAndTheNextRecordedKnockIsServed() throws Exception {
    FlakyFirewall fw = new FlakyFirewall(0);
    setUp("Firewall = none", fw);
    audit.setUnavailable(true); // e.g. the audit log's disk is full
    knock("open 22 30m", T0);
    assertThat(fw.asked).as("no grant without a record").isEmpty();
    assertThat(pipeline.grants()).isEmpty();
    assertThat(audit.lost()).extracting(AuditEvent::name).containsExactly("knock-accepted");

    audit.setUnavailable(false);
    knock("open 22 20m", T0);
    assertThat(fw.granted).hasSize(1);
    assertThat(names()).containsExactly("knock-accepted", "access-granted");
    assertThat(audit.events("knock-accepted").get(0).get("duration")).isEqualTo("20m");

    audit.setUnavailable(true);
    knock("close 22", T0);
    assertThat(fw.revoked).as("no close without a record").isEmpty();
    assertThat(pipeline.grants()).hasSize(1);
    audit.setUnavailable(false);
    knock("close 22", T0.plusSeconds(1));
    assertThat(fw.revoked).hasSize(1);
    assertThat(pipeline.grants()).isEmpty();
  }

  @Test
  void aFailedGrantIsRetriedOnceASweepUntilItSucceeds() throws Exception {
    FlakyFirewall fw = new FlakyFirewall(3);
    setUp("Firewall = none", fw);
    knock("open 22 30m", T0);
    assertThat(names()).containsExactly("knock-accepted", "firewall-error");
    assertThat(audit.last().get("retry")).isEqualTo("yes");
    for (int i = 0; i < 4; i++) {
      clock.advance(Daemon.SWEEP);
      pipeline.sweep();
    }
    assertThat(fw.asked).hasSize(4);
    assertThat(fw.granted).hasSize(1);
    assertThat(names()).containsExactly("knock-accepted", "firewall-error", "firewall-error",
        "firewall-error", "access-granted");
    assertThat(pipeline.grants()).hasSize(1);
  }

  @Test
  void aGrantThatKeepsFailingIsTriedFiveTimesAuditedAndTheNextKnockStillServed()
      throws Exception {
    FlakyFirewall fw = new FlakyFirewall(Integer.MAX_VALUE);
    setUp("Firewall = none", fw);
    knock("open 22 30m", T0);
    for (int i = 0; i < 10; i++) {
      clock.advance(Daemon.SWEEP);
      pipeline.sweep();
    }
    assertThat(fw.asked).hasSize(KnockPipeline.FIREWALL_RETRIES);
    List<AuditEvent> errors = audit.events("firewall-error");
    assertThat(errors).hasSize(5);
    assertThat(errors).extracting(e -> e.get("retry"))
        .containsExactly("yes", "yes", "yes", "yes", "no");
    assertThat(errors.get(0).get("message"))
        .isEqualTo("nft: Could not process rule: Device or resource busy");
    assertThat(pipeline.grants()).isEmpty();
    knock("open 22 30m", clock.instant());
    assertThat(audit.events("knock-accepted")).hasSize(2);
    assertThat(fw.asked).hasSize(KnockPipeline.FIREWALL_RETRIES + 1);
  }

  @Test
  void aHangingFirewallCommandIsKilledAtItsTimeoutAndKnockdCarriesOn() throws Exception {
    Path marker = dir.resolve("ran");
    setUp(String.join("\n",
        "Firewall = command",
        "OpenCommand = /bin/sh -c \"touch " + marker + "; exec sleep 60\" %IP% %PORT%",
        "CloseCommand = /bin/true %IP% %PORT%",
        "CommandTimeout = 1s"), null);
    long t0 = System.nanoTime();
    knock("open 22 30m", T0);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(marker).exists();
    assertThat(ms).as("the knock's handling waited for the timeout only").isBetween(900L, 5000L);
    assertThat(names()).containsExactly("knock-accepted", "firewall-error");
    assertThat(audit.last().get("message")).contains("timed out after 1000 ms");
    assertThat(audit.last().get("retry")).isEqualTo("yes");
    assertThat(pipeline.grants()).isEmpty();
    // the pipeline still decodes: a close knock right after is accepted
    knock("close 22", clock.instant());
    assertThat(audit.events("knock-accepted")).hasSize(2);
  }

  @Test
  void aKnockIsJudgedByTheDaemonsClockAcrossAJump() throws Exception {
    setUp("Firewall = none", null);
    Instant clientClock = T0.plusSeconds(300); // the client is 5 minutes ahead of the daemon
    knock("open 22 30m", clientClock);
    clock.advance(Duration.ofSeconds(10));
    pipeline.sweep();
    assertThat(names()).containsExactly("knock-rejected");
    assertThat(audit.last().get("reason")).isEqualTo("future");
    clock.advance(Duration.ofSeconds(290)); // the daemon's clock jumps (NTP step) to the client's
    knock("open 22 30m", clientClock);
    assertThat(audit.events("knock-accepted")).hasSize(1);
  }

  @Test
  void grantsKnockdExpiresItselfEndByTheDaemonsClock() throws Exception {
    setUp("Firewall = none", null);
    knock("open 22 30m", T0);
    assertThat(pipeline.grants()).hasSize(1);
    clock.advance(Duration.ofHours(1)); // a forward jump ends a 30 min grant at the next sweep
    pipeline.sweep();
    assertThat(pipeline.grants()).isEmpty();
    assertThat(audit.events("access-expired")).hasSize(1);
  }
}
