package org.knock.daemon.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.layout.template.json.util.JsonReader;
import org.apache.logging.log4j.status.StatusLogger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.daemon.config.AuditFormat;

/** The Log4j setup writes real files: text and ECS JSON, read back. */
class LoggingTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T07:44:50.123Z"), ZoneOffset.UTC);

  @TempDir
  Path dir;

  @AfterEach
  void restore() {
    Logging.configureConsole(Level.WARN);
  }

  private static void writeSome(Audit audit) {
    audit.knockAccepted("alice", "10.0.0.2", "10.0.0.2", "open 22/tcp 30m",
        Duration.ofMinutes(30), Instant.parse("2026-11-22T08:14:50Z"));
    audit.knockRejected("bad-tag", "203.0.113.9", null);
    audit.actionRun("backup", "alice", "10.0.0.2", 3, Duration.ofMillis(20), true);
  }

  @Test
  void textLinesGoToTheAuditFileOnly() throws IOException {
    Path log = dir.resolve("logs/audit.log");
    Logging.configure(Level.INFO, log, AuditFormat.TEXT, Logging.ROLL_SIZE, Logging.ROLL_KEEP);
    writeSome(new Log4jAudit(CLOCK));
    LogManager.getLogger("org.knock.daemon.Main").warn("operational, not audit");
    assertThat(Files.readAllLines(log)).containsExactly(
        "2026-11-22T07:44:50.123Z event=knock-accepted user=alice src=10.0.0.2 grant=10.0.0.2 "
            + "command=\"open 22/tcp 30m\" duration=30m expires=2026-11-22T08:14:50Z",
        "2026-11-22T07:44:50.123Z event=knock-rejected src=203.0.113.9 reason=bad-tag",
        "2026-11-22T07:44:50.123Z event=action-run action=backup user=alice src=10.0.0.2 exit=3 "
            + "took=20ms timed-out=yes");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log)))
        .isEqualTo("rw-r-----");
  }

  @Test
  void theWarmUpWritesOnlyToItsOwnTemporaryFileAndDeletesIt() throws IOException {
    Path log = dir.resolve("audit.log");
    Logging.configure(Level.INFO, log, AuditFormat.TEXT, Logging.ROLL_SIZE, Logging.ROLL_KEEP);
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    for (AuditFormat f : AuditFormat.values()) {
      try (WarmUpAudit w = WarmUpAudit.open(f, CLOCK, tmp)) {
        assertThat(w.recordGrants(200, CLOCK)).as(f.toString()).isEqualTo(200);
        assertThat(w.count("access-granted")).as(f.toString()).isEqualTo(200);
        assertThat(w.count("knock-accepted")).as(f.toString()).isZero();
        assertThat(w.bytes()).as(f.toString()).isGreaterThan(200 * 40);
      }
    }
    writeSome(new Log4jAudit(CLOCK)); // the real audit logger still writes to its file
    assertThat(Files.readAllLines(log)).hasSize(3).noneMatch(l -> l.contains("warm-up"));
    try (var left = Files.list(tmp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aReplacedWarmUpFileNeverReconfiguresTheLiveAudit() throws IOException {
    Path log = dir.resolve("live/audit.log");
    Logging.configure(Level.INFO, log, AuditFormat.TEXT, Logging.ROLL_SIZE, Logging.ROLL_KEEP);
    Configuration live = LoggerContext.getContext(false).getConfiguration();
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    try (WarmUpAudit w = WarmUpAudit.open(AuditFormat.TEXT, CLOCK, tmp)) {
      Files.delete(w.dir().resolve("audit.log")); // rolled over, or a tmp cleaner took it
      for (int i = 0; i < 5; i++) {
        w.recordGrants(1, CLOCK);
        assertThat(LoggerContext.getContext(false).getConfiguration()).isSameAs(live);
      }
    }
    writeSome(new Log4jAudit(CLOCK));
    assertThat(Files.readAllLines(log)).hasSize(3).noneMatch(l -> l.contains("warm-up"));
  }

  @Test
  void theWarmUpLeavesLog4jsStatusLevelAsTheLiveSetupHasIt() throws IOException {
    Logging.configure(Level.INFO, dir.resolve("audit.log"), AuditFormat.JSON, Logging.ROLL_SIZE,
        Logging.ROLL_KEEP);
    Level before = StatusLogger.getLogger().getFallbackListener().getStatusLevel();
    try (WarmUpAudit w = WarmUpAudit.open(AuditFormat.JSON, CLOCK,
        Files.createDirectories(dir.resolve("tmp")))) {
      w.recordGrants(10, CLOCK);
    }
    // OFF here would hide the live audit log's rollover errors until the next reload
    assertThat(StatusLogger.getLogger().getFallbackListener().getStatusLevel())
        .isEqualTo(before).isNotEqualTo(Level.OFF);
  }

  @Test
  @SuppressWarnings("unchecked")
  void jsonLinesAreEcsWithTheEventFields() throws IOException {
    Path log = dir.resolve("audit.json");
    Logging.configure(Level.INFO, log, AuditFormat.JSON, Logging.ROLL_SIZE, Logging.ROLL_KEEP);
    writeSome(new Log4jAudit(CLOCK));
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).hasSize(3);
    Map<String, Object> first = (Map<String, Object>) JsonReader.read(lines.get(0));
    assertThat(first).containsEntry("@timestamp", "2026-11-22T07:44:50.123Z")
        .containsEntry("ecs.version", "1.2.0")
        .containsEntry("log.level", "INFO")
        .containsEntry("log.logger", "audit")
        .containsEntry("event.dataset", "knockd.audit")
        .containsEntry("event.action", "knock-accepted")
        .containsEntry("message", "event=knock-accepted user=alice src=10.0.0.2 "
            + "grant=10.0.0.2 command=\"open 22/tcp 30m\" duration=30m "
            + "expires=2026-11-22T08:14:50Z");
    assertThat((Map<String, Object>) first.get("labels")).containsExactlyInAnyOrderEntriesOf(
        Map.of("user", "alice", "src", "10.0.0.2", "grant", "10.0.0.2",
            "command", "open 22/tcp 30m", "duration", "30m", "expires", "2026-11-22T08:14:50Z"));
    Map<String, Object> third = (Map<String, Object>) JsonReader.read(lines.get(2));
    assertThat((Map<String, Object>) third.get("labels")).containsEntry("timed-out", "yes")
        .containsEntry("exit", "3");
  }

  @Test
  void rollsAtTheSizeLimit() throws IOException {
    Path log = dir.resolve("audit.log");
    Logging.configure(Level.INFO, log, AuditFormat.TEXT, "1KB", 2);
    Audit audit = new Log4jAudit(CLOCK);
    for (int i = 0; i < 100; i++) {
      audit.knockRejected("bad-tag", "203.0.113." + i, null);
    }
    // Log4j compresses rolled files on a background thread: wait for it, at most 10 s.
    for (int i = 0; i < 200 && !(Files.exists(dir.resolve("audit-1.log.gz"))
        && Files.exists(dir.resolve("audit-2.log.gz"))); i++) {
      sleep(50);
    }
    assertThat(dir.resolve("audit-1.log.gz")).exists();
    assertThat(dir.resolve("audit-2.log.gz")).exists();
    assertThat(dir.resolve("audit-3.log.gz")).doesNotExist();
    assertThat(Files.size(log)).isLessThanOrEqualTo(1024);
    assertThat(Files.readAllLines(log).get(Files.readAllLines(log).size() - 1))
        .endsWith("src=203.0.113.99 reason=bad-tag");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void reconfiguringReopensTheFile() throws IOException {
    Path log = dir.resolve("audit.log");
    Logging.configure(Level.INFO, log, AuditFormat.TEXT, Logging.ROLL_SIZE, Logging.ROLL_KEEP);
    Audit audit = new Log4jAudit(CLOCK);
    audit.daemonStart("0.1.0", "/etc/knockd/knockd.conf");
    Files.move(log, dir.resolve("audit.log.1"));
    Logging.configure(Level.INFO, log, AuditFormat.TEXT, Logging.ROLL_SIZE, Logging.ROLL_KEEP);
    audit.configReloaded("/etc/knockd/knockd.conf");
    assertThat(Files.readString(log, StandardCharsets.UTF_8)).isEqualTo(
        "2026-11-22T07:44:50.123Z event=config-reloaded config=/etc/knockd/knockd.conf\n");
    assertThat(Files.readString(dir.resolve("audit.log.1"))).contains("event=daemon-start");
  }

  @Test
  void unwritableAuditLogFailsWithOneLine() throws IOException {
    Path file = dir.resolve("plain-file");
    Files.writeString(file, "x");
    Path log = file.resolve("audit.log");
    assertThatThrownBy(() -> Logging.configure(Level.INFO, log, AuditFormat.TEXT,
        Logging.ROLL_SIZE, Logging.ROLL_KEEP))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot open audit log " + log + ": ");
  }

  @Test
  void rolledNames() {
    assertThat(Logging.rolledPattern(Path.of("/var/log/knockd/audit.log")))
        .isEqualTo("/var/log/knockd/audit-%i.log.gz");
    assertThat(Logging.rolledPattern(Path.of("/var/log/knockd/audit")))
        .isEqualTo("/var/log/knockd/audit-%i.gz");
  }
}
