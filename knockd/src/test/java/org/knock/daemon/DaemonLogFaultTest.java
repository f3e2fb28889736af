package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;

/**
 * A running {@link Daemon} whose log file is missing at start, then deleted: each loss and each
 * recovery reaches the audit log (the daemon wires its source's listener to the audit), and knocks
 * written to the new file are served without a restart.
 */
class DaemonLogFaultTest {
  @TempDir Path dir;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(5));
  private KnockLines lines;

  @Test
  void aMissingOrDeletedLogIsAuditedAsLostThenRecoveredAndKnocksAreServedAgain() throws Exception {
    Path log = dir.resolve("kern.log"); // missing at start, as before rsyslog's first line
    TestKeys.write(dir.resolve("alice.key"), key);
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        "FirewallLog = " + log,
        "Firewall = none",
        "StateDir = " + dir.resolve("state"),
        "AuditLog = -",
        "[user alice]",
        "Key = alice.key",
        "Allow = open 22/tcp",
        ""));
    Config config = ConfigLoader.load(conf);
    MemoryAudit audit = new MemoryAudit();
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of())) {
      await(audit, () -> audit.events("source-lost").size() == 1);
      assertThat(audit.events("source-lost").get(0).get("log")).isEqualTo("file:" + log);
      append(log, config, "open 22 5m");
      await(audit, () -> audit.events("knock-accepted").size() == 1);
      await(audit, () -> audit.events("source-recovered").size() == 1);

      Files.delete(log);
      await(audit, () -> audit.events("source-lost").size() == 2);
      append(log, config, "open 22 10m");
      await(audit, () -> audit.events("knock-accepted").size() == 2);
      await(audit, () -> audit.events("source-recovered").size() == 2);
      assertThat(audit.events("knock-accepted").get(1).get("command"))
          .isEqualTo("open 22/tcp 10m");
    }
  }

  /** Appends the kernel's LOG lines of a knock (creating the file if it is missing). */
  private void append(Path log, Config config, String command) throws Exception {
    if (lines == null) {
      lines = new KnockLines(key, config.decoderSettings());
    }
    Files.writeString(log, lines.knock(command), StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  static void await(MemoryAudit audit, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 10 s; audit: %s", audit.events()).isLessThan(end);
      Thread.sleep(20);
    }
  }
}
