package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * README: "kill -HUP reloads users, actions and doors". The real knockd in a namespace: an
 * action's command and a door's sequence are changed in the config, SIGHUP is sent, and from the
 * audited reload on the action runs its new command and the door opens for its new sequence only
 * (the new door ports are logged by the firewall from that reload on).
 */
@Timeout(90)
class ReloadIT {
  @TempDir Path dir;

  @Test
  void sighupReloadsActionsAndDoors() throws Exception {
    try (Lab lab = Lab.open("rld", "10.210.1", dir)) {
      Path alice = lab.keygen("alice");
      String client = lab.clientIp();
      Knockd knockd = lab.knockd("knockd", Knockd.Settings.defaults(), "[user alice]\n"
          + "Key   = " + alice + "\n"
          + "Allow = run backup\n"
          + "\n[action backup]\n"
          + "Command = /usr/bin/touch " + dir.resolve("first-") + "%IP%\n"
          + "\n[door]\n"
          + "Sequence      = 7000,8000,9000\n"
          + "Seq_Timeout   = 5\n"
          + "TCPFlags      = syn\n"
          + "Start_Command = /usr/bin/touch " + dir.resolve("door-") + "%IP%\n");
      knockd.start();
      Path first = dir.resolve("first-" + client);
      Path second = dir.resolve("second-" + client);
      Path door = dir.resolve("door-" + client);

      lab.knock(alice, "run backup");
      assertThat(appears(first)).as("the action's command before the reload").isTrue();
      lab.sendPorts(List.of(7000, 8000, 9000));
      assertThat(appears(door)).as("the door before the reload").isTrue();
      Files.delete(first);
      Files.delete(door);

      knockd.set("Command", "/usr/bin/touch " + dir.resolve("second-") + "%IP%")
          .set("Sequence", "7100,8100,9100");
      AuditTrail.Event e = knockd.reload();
      assertThat(e.name()).as(e.line()).isEqualTo("config-reloaded");

      lab.knock(alice, "run backup");
      assertThat(appears(second)).as("the action's new command").isTrue();
      assertThat(first).as("not the old one").doesNotExist();
      lab.sendPorts(List.of(7000, 8000, 9000));
      assertThat(appears(door)).as("the old sequence no longer opens").isFalse();
      lab.sendPorts(List.of(7100, 8100, 9100));
      assertThat(appears(door)).as("the new sequence opens").isTrue();
      assertThat(knockd.alive()).as("reloaded without a restart").isTrue();
    }
  }

  /**
   * A knock whose packets straddle a SIGHUP opens: the reloaded knockd goes on from the ports the
   * running one held (decided by the new config), so a reload from config management never makes
   * a user's knock fail or wait for its retry.
   */
  @Test
  void aKnockWhosePacketsStraddleASighupOpens() throws Exception {
    try (Lab lab = Lab.open("rls", "10.210.3", dir)) {
      Path alice = lab.keygen("alice");
      Knockd knockd = lab.knockd("knockd", Knockd.Settings.defaults(), "[user alice]\n"
          + "Key   = " + alice + "\n"
          + "Allow = open 22/tcp\n"
          + "MaxDuration = 1h\n");
      knockd.set("SequenceTimeout", "10s"); // the ITs' 2 s is about what the reload takes here
      knockd.start();
      List<Integer> ports = lab.print(alice, "open 22 30s");
      lab.sendPorts(ports.subList(0, 10));
      Thread.sleep(300); // read and held by the running config before the reload
      knockd.set("MaxDuration", "2h");
      AuditTrail.Event e = knockd.reload();
      assertThat(e.name()).as(e.line()).isEqualTo("config-reloaded");
      assertThat(lab.reachable()).as("half a knock opens nothing").isFalse();
      lab.sendPorts(ports.subList(10, ports.size()));
      assertThat(lab.until(true, 3000)).as("the knock's second half, after the reload, opens: %s",
          AuditTrail.describe(knockd.audit().events())).isNotNegative();
      assertThat(knockd.audit().count(0, "knock-accepted")).isEqualTo(1);
    }
  }

  /**
   * README and etc/logrotate.d/knockd: logrotate moves the audit log away and reloads knockd
   * (postrotate: systemctl reload, the unit's ExecReload: SIGHUP), and knockd then writes a new
   * audit log under the old name, the rotated file keeping everything before.
   */
  @Test
  void afterLogrotateMovesTheAuditLogAReloadStartsANewOne() throws Exception {
    Path root = Path.of(System.getProperty("knock.root", "."));
    assertThat(Files.readString(root.resolve("etc/logrotate.d/knockd")))
        .containsPattern("(?s)postrotate\\s+systemctl reload knockd\\.service.*endscript")
        .doesNotContain("\n    copytruncate");
    assertThat(Files.readString(root.resolve("etc/knockd.service")))
        .contains("\nExecReload=/bin/kill -HUP $MAINPID\n");
    try (Lab lab = Lab.open("rlr", "10.210.2", dir)) {
      Path alice = lab.keygen("alice");
      Knockd knockd = lab.knockd("knockd", Knockd.Settings.defaults(), "[user alice]\n"
          + "Key   = " + alice + "\n"
          + "Allow = open 22/tcp, close\n");
      knockd.start();
      Path log = knockd.audit().file();
      Path rotated = log.resolveSibling(log.getFileName() + ".1");
      Files.move(log, rotated); // what logrotate does (no copytruncate)
      AuditTrail.Event e = knockd.reload();
      assertThat(e.name()).as(e.line()).isEqualTo("config-reloaded");
      assertThat(Files.readString(rotated)).contains("event=daemon-start")
          .doesNotContain("event=config-reloaded");
      lab.knock(alice, "open 22 5s");
      assertThat(lab.until(true, 2000)).isNotNegative();
      assertThat(knockd.audit().events()).extracting(AuditTrail.Event::name)
          .contains("config-reloaded", "knock-accepted");
    }
  }

  /** Whether the file exists within 2 s. */
  private static boolean appears(Path f) throws InterruptedException {
    long end = System.nanoTime() + 2_000_000_000L;
    while (!Files.exists(f) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    return Files.exists(f);
  }
}
