package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.daemon.DaemonFixture.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockEncoder;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;

/**
 * A running {@link Daemon} whose log file is missing at start, then deleted: each loss and each
 * recovery reaches the audit log (the daemon wires its source's listener to the audit), and knocks
 * written to the new file are served without a restart.
 */
class DaemonLogFaultTest {
  @TempDir Path dir;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(5));
  private int sport = 41000;
  private long seed = 1;

  @Test
  void aMissingOrDeletedLogIsAuditedAsLostThenRecoveredAndKnocksAreServedAgain() throws Exception {
    Path log = dir.resolve("kern.log"); // missing at start, as before rsyslog's first line
    Config config = DaemonFixture.aliceConfig(dir, key, log);
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
    DecoderSettings s = config.decoderSettings();
    int[] ports = new KnockEncoder(key, s.suite(), s.mapping(), s.basePort(),
        org.knock.core.ServerBinding.of(new byte[] {10, 99, 0, 1}))
        .encode(Command.parse(command), 0, Instant.now(), new SplittableRandom(seed++));
    Files.writeString(log, DaemonFixture.logLines("10.99.0.2", sport, ports),
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    sport += ports.length;
  }
}
