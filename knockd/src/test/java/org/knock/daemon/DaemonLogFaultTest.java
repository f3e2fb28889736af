package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockEncoder;
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
  private int sport = 41000;
  private long seed = 1;

  @Test
  void aMissingOrDeletedLogIsAuditedAsLostThenRecoveredAndKnocksAreServedAgain() throws Exception {
    Path log = dir.resolve("kern.log"); // missing at start, as before rsyslog's first line
    Path keyFile = dir.resolve("alice.key");
    Files.writeString(keyFile, key.toBase64() + "\n");
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
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
    DecoderSettings s = config.decoderSettings();
    int[] ports = new KnockEncoder(key, s.suite(), s.mapping(), s.basePort(),
        org.knock.core.ServerBinding.of(new byte[] {10, 99, 0, 1}))
        .encode(Command.parse(command), 0, Instant.now(), new SplittableRandom(seed++));
    StringBuilder b = new StringBuilder();
    for (int p : ports) {
      b.append("Nov 22 08:08:53 vm kernel: [ 1769.840635] KNOCK: IN=vs OUT= ")
          .append("MAC=62:72:c3:cb:d2:e6:de:e2:d6:98:06:20:08:00 SRC=10.99.0.2 DST=10.99.0.1 ")
          .append("LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1686 DF PROTO=TCP SPT=").append(sport++)
          .append(" DPT=").append(p).append(" WINDOW=64240 RES=0x00 SYN URGP=0 \n");
    }
    Files.writeString(log, b, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static void await(MemoryAudit audit, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 10 s; audit: %s", audit.events()).isLessThan(end);
      Thread.sleep(20);
    }
  }
}
