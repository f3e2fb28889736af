package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.daemon.DaemonFixture.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.AuditEvent;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;

/**
 * "Never acts without an audit record", for what a running {@link Daemon} does outside the
 * pipeline: a door's Stop_Command, run Cmd_Timeout after its Start_Command, and the command
 * backend's CloseCommand for the grants still open when knockd stops. Each program here touches
 * a file, so the test sees that it ran, and then looks for its record. And a reload, applied
 * before the audit log is set up anew, is recorded even when that fails.
 */
class DaemonActsAuditedTest {
  @TempDir Path dir;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(14));
  private final MemoryAudit audit = new MemoryAudit();

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private Config config(String... lines) throws Exception {
    TestKeys.write(dir.resolve("alice.key"), key);
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n", lines) + "\n");
    return ConfigLoader.load(conf);
  }

  @Test
  void aDoorsStopCommandIsAudited() throws Exception {
    Path started = dir.resolve("started");
    Path stopped = dir.resolve("stopped");
    Config config = config("[options]", "FirewallLog = -", "Firewall = none",
        "StateDir = " + dir.resolve("state"), "AuditLog = -",
        "[user alice]", "Key = alice.key", "Allow = open 22/tcp",
        "[ssh]", "Sequence = 7000,8000,9000",
        "Start_Command = touch " + started + "-%IP%",
        "Stop_Command = touch " + stopped + "-%IP%",
        "Cmd_Timeout = 1s");
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      for (int port : new int[] {7000, 8000, 9000}) {
        source.line(lines.syn(port));
      }
      await(audit, () -> Files.exists(Path.of(stopped + "-10.99.0.2")));
      assertThat(Path.of(started + "-10.99.0.2")).exists();
      // the Stop_Command ran: its record follows it (before: none at all)
      await(audit, () -> !audit.events("door-closed").isEmpty());
      assertThat(audit.events().stream().map(AuditEvent::name).toList())
          .containsSubsequence("door-opened", "door-closed");
      assertThat(audit.events("door-closed").get(0).toText())
          .isEqualTo("event=door-closed door=ssh src=10.99.0.2 exit=0 timed-out=no");
    }
  }

  @Test
  void aStopCommandAnEarlierKnockdOwedRunsAtStartAndIsAudited() throws Exception {
    Path stopped = dir.resolve("stopped");
    Path state = dir.resolve("state");
    Files.createDirectories(state);
    // what a knockd killed (kill -9) after opening two doors left: both Stop_Commands owed
    org.knock.daemon.state.DoorStops killed = org.knock.daemon.state.DoorStops.open(state);
    killed.opened("ssh", "10.99.0.7", 0); // its time is past: runs at once
    killed.opened("gone", "10.99.0.8", 0); // a door the config no longer has
    Config config = config("[options]", "FirewallLog = -", "Firewall = none",
        "StateDir = " + state, "AuditLog = -",
        "[user alice]", "Key = alice.key", "Allow = open 22/tcp",
        "[ssh]", "Sequence = 7000,8000,9000",
        "Start_Command = true", "Stop_Command = touch " + stopped + "-%IP%",
        "Cmd_Timeout = 60s");
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(),
        new QueueSource(false))) {
      await(audit, () -> !audit.events("door-closed").isEmpty());
      assertThat(Path.of(stopped + "-10.99.0.7")).as("the owed Stop_Command ran").exists();
      assertThat(audit.events("door-closed").get(0).toText())
          .isEqualTo("event=door-closed door=ssh src=10.99.0.7 exit=0 timed-out=no");
      assertThat(audit.events("firewall-error")).extracting(AuditEvent::toText).containsExactly(
          "event=firewall-error what=door-stop message=\"door gone for 10.99.0.8, opened by an "
              + "earlier knockd that did not live to run its Stop_Command: no such door now; "
              + "close it by hand\" retry=no");
    }
    assertThat(org.knock.daemon.state.DoorStops.open(state).earlier()).as("nothing owed now")
        .isEmpty();
  }

  @Test
  void aDoorOpenWhenKnockdIsKilledIsOwedOnDisk() throws Exception {
    Path state = dir.resolve("state");
    Config config = config("[options]", "FirewallLog = -", "Firewall = none",
        "StateDir = " + state, "AuditLog = -",
        "[user alice]", "Key = alice.key", "Allow = open 22/tcp",
        "[ssh]", "Sequence = 7000,8000,9000",
        "Start_Command = true", "Stop_Command = true", "Cmd_Timeout = 60s");
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      for (int port : new int[] {7000, 8000, 9000}) {
        source.line(lines.syn(port));
      }
      Path file = state.resolve(org.knock.daemon.state.DoorStops.FILE);
      // written right after door-opened: as the next knockd would find it if this one died now
      await(audit,
          () -> read(file).matches("open \\d+ \\d+ 10\\.99\\.0\\.2 ssh\n"));
      assertThat(audit.events("door-opened")).hasSize(1);
    }
    assertThat(Files.readString(state.resolve(org.knock.daemon.state.DoorStops.FILE)))
        .as("the stop ran at close: done").contains("done ");
  }

  @Test
  void aReloadThatCannotOpenItsNewAuditLogIsStillAudited() throws Exception {
    // the reload is applied (config, pipeline, firewall rules) before the audit log is set up
    // anew; when that failed, knockd only logged "reload: ..." and wrote no record at all
    Files.writeString(dir.resolve("not-a-dir"), "");
    Config config = config("[options]", "FirewallLog = -", "Firewall = none",
        "StateDir = " + dir.resolve("state"), "AuditLog = -",
        "[user alice]", "Key = alice.key", "Allow = open 22/tcp");
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      config("[options]", "FirewallLog = -", "Firewall = none",
          "StateDir = " + dir.resolve("state"),
          "AuditLog = " + dir.resolve("not-a-dir").resolve("audit.log"),
          "[user alice]", "Key = alice.key", "Allow = open 22/tcp, close");
      Main.reload(dir.resolve("knockd.conf"), d, audit,
          org.apache.logging.log4j.LogManager.getLogger(DaemonActsAuditedTest.class));
      assertThat(audit.events().stream().map(AuditEvent::name).toList())
          .containsExactly("config-reloaded");
      assertThat(audit.last().get("changed")).isEqualTo("AuditLog");
    }
  }

  @Test
  void aReloadThatMovesTheKnockRangeOrAddsUdpMovesWhatWakesTheLogReader() throws Exception {
    // the kmsg source's packet sockets wake on the knock range: a reload that kept the old
    // filter would leave knocks to the new range waiting for the kernel's tick, unsaid
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(rangeConfig("20000-25119", "no", "open 22/tcp"),
        Clock.systemUTC(), audit, List.of(), source)) {
      d.reload(rangeConfig("30000-35119", "no", "open 22/tcp, close"));
      d.reload(rangeConfig("30000-35119", "no", "open 22/tcp"));
      d.reload(rangeConfig("30000-35119", "yes", "open 22/tcp"));
    }
    assertThat(source.wakePorts).containsExactly(
        new org.knock.daemon.netlink.KnockPorts(30000, 35119, false),
        new org.knock.daemon.netlink.KnockPorts(30000, 35119, true));
  }

  @Test
  void withTheWakeUpSwitchedOffAReloadGivesTheLogReaderNoPortsToWakeOn() throws Exception {
    // -Dknockd.kmsgWake=false: the reader waits for the kernel's tick; no packet socket is made
    QueueSource source = new QueueSource(false);
    System.setProperty(Daemon.KMSG_WAKE, "false");
    try (Daemon d = Daemon.start(rangeConfig("20000-25119", "no", "open 22/tcp"),
        Clock.systemUTC(), audit, List.of(), source)) {
      d.reload(rangeConfig("30000-35119", "yes", "open 22/tcp"));
    } finally {
      System.clearProperty(Daemon.KMSG_WAKE);
    }
    assertThat(source.wakePorts).isEmpty();
  }

  @Test
  void withKmsgPollAReloadGivesTheLogReaderNoPortsToWakeOn() throws Exception {
    // KmsgPoll makes the reader poll while idle: packet sockets would only cost (and, opened
    // at the next reopen of /dev/kmsg, never be drained)
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config("[options]", "FirewallLog = kmsg", "Firewall = none",
        "SelfTest = no", "StateDir = " + dir.resolve("state"), "AuditLog = -", "KmsgPoll = 1ms",
        "KnockPorts = 20000-25119", "[user alice]", "Key = alice.key", "Allow = open 22/tcp"),
        Clock.systemUTC(), audit, List.of(), source)) {
      d.reload(config("[options]", "FirewallLog = kmsg", "Firewall = none",
          "SelfTest = no", "StateDir = " + dir.resolve("state"), "AuditLog = -",
          "KmsgPoll = 1ms",
          "KnockPorts = 30000-35119", "[user alice]", "Key = alice.key",
          "Allow = open 22/tcp"));
    }
    assertThat(source.wakePorts).isEmpty();
  }

  /** alice's config with these knock ports, UdpKnocks and Allow; no log, firewall or audit. */
  private Config rangeConfig(String ports, String udp, String allow) throws Exception {
    return config("[options]", "FirewallLog = -", "Firewall = none",
        "StateDir = " + dir.resolve("state"), "AuditLog = -", "KnockPorts = " + ports,
        "UdpKnocks = " + udp, "[user alice]", "Key = alice.key", "Allow = " + allow);
  }

  @Test
  void aDoorsPendingStopCommandRunsAndIsAuditedWhenKnockdStops() throws Exception {
    // the Stop_Command was a task of the sweeper, which close() discards: a door opened less
    // than Cmd_Timeout before a stop stayed open for good, door-opened with no door-closed
    Path stopped = dir.resolve("stopped");
    Config config = config("[options]", "FirewallLog = -", "Firewall = none",
        "StateDir = " + dir.resolve("state"), "AuditLog = -",
        "[user alice]", "Key = alice.key", "Allow = open 22/tcp",
        "[ssh]", "Sequence = 7000,8000,9000", "Start_Command = true",
        "Stop_Command = touch " + stopped + "-%IP%", "Cmd_Timeout = 1h");
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      for (int port : new int[] {7000, 8000, 9000}) {
        source.line(lines.syn(port));
      }
      await(audit, () -> !audit.events("door-opened").isEmpty());
      assertThat(Path.of(stopped + "-10.99.0.2")).doesNotExist();
      d.close();
    }
    assertThat(Path.of(stopped + "-10.99.0.2")).as("Stop_Command ran at stop").exists();
    assertThat(audit.events("door-closed")).extracting(AuditEvent::toText)
        .containsExactly("event=door-closed door=ssh src=10.99.0.2 exit=0 timed-out=no");
  }

  @Test
  void theCommandBackendsCloseCommandAtStopIsAudited() throws Exception {
    Path closed = dir.resolve("closed");
    Config config = config("[options]", "FirewallLog = -", "Firewall = command",
        "OpenCommand = /bin/true %IP% %PORT%",
        "CloseCommand = /usr/bin/touch " + closed + "-%IP%-%PORT%",
        "StateDir = " + dir.resolve("state"), "AuditLog = -",
        "[user alice]", "Key = alice.key", "Allow = open 22/tcp");
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      lines.knock("open 22 5m").lines().forEach(source::line);
      await(audit, () -> audit.events("access-granted").size() == 1);
      d.close(); // OnExit = keep: the command backend still ends its grants (nothing else would)
    }
    assertThat(Path.of(closed + "-10.99.0.2-22")).as("CloseCommand ran").exists();
    assertThat(audit.events("access-closed")).extracting(AuditEvent::toText)
        .containsExactly("event=access-closed addr=10.99.0.2 port=22/tcp by=exit");
  }
  @Test
  void whatAStartEndedOfAnEarlierRunIsAudited() throws Exception {
    Access ssh = new Access(Access.ipv4("10.99.0.2"), 22, org.knock.core.Protocol.TCP);
    Access redirect = Access.redirect(Access.ipv4("10.99.0.3"), 22, org.knock.core.Protocol.TCP,
        42000);
    Daemon.auditEndedAtInstall(new Firewall.Ended(List.of(ssh, redirect), 2,
        "nftables table inet knockd"), audit);
    assertThat(audit.events()).extracting(AuditEvent::toText).containsExactly(
        "event=access-closed addr=10.99.0.2 port=22/tcp by=reinstall",
        "event=access-closed addr=10.99.0.3 port=22/tcp external=42000 by=reinstall",
        "event=firewall-error what=install message=\"nftables table inet knockd of an earlier run "
            + "could not be adopted and was recreated: 2 grant(s) ended, and 2 other element(s)\" "
            + "retry=no");
    Daemon.auditEndedAtInstall(Firewall.Ended.NONE, audit);
    assertThat(audit.events()).hasSize(3);
  }
}
