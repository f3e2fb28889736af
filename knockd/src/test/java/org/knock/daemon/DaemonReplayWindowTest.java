package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
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
import org.knock.daemon.audit.AuditEvent;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;

/**
 * Issue 13 item 4 through a running {@link Daemon}: a knock accepted under TimeWindow = 120s is
 * refused as a replay after a SIGHUP-style reload to 600s and after a restart with 900s, although
 * its timestamp is back inside the window and ±120 s had let the cache forget it.
 */
class DaemonReplayWindowTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  @TempDir Path dir;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(13));
  private int sport = 42000;
  private int host = 2;

  @Test
  void aWidenedTimeWindowStillRefusesARecordedKnockAfterAReloadAndARestart() throws Exception {
    MutableClock clock = new MutableClock(T0);
    Path log = dir.resolve("kern.log");
    Files.writeString(log, "");
    Config narrow = config(log, "120s");
    DecoderSettings s = narrow.decoderSettings();
    int[] knock = new KnockEncoder(key, s.suite(), s.mapping(), s.basePort())
        .encode(Command.parse("open 22 5m"), 0, T0, new SplittableRandom(1));
    MemoryAudit audit = new MemoryAudit();
    try (Daemon d = Daemon.start(narrow, clock, audit, List.of())) {
      append(log, knock);
      await(audit, () -> audit.events("knock-accepted").size() == 1);
      clock.advance(Duration.ofSeconds(300)); // the knock left ±120 s: the next sweep forgets it
      Thread.sleep(4 * Daemon.SWEEP.toMillis());
      append(log, knock);
      await(audit, () -> audit.events("knock-rejected").size() == 1);
      d.reload(config(log, "600s")); // T0 is inside ±600 s again
      append(log, knock);
      await(audit, () -> audit.events("knock-rejected").size() == 2);
    }
    assertThat(audit.events("knock-rejected")).extracting(e -> e.get("reason"))
        .containsExactly("stale", "replay");
    assertThat(audit.events("knock-accepted")).hasSize(1);

    clock.advance(Duration.ofSeconds(1));
    Path log2 = dir.resolve("kern2.log");
    Files.writeString(log2, "");
    MemoryAudit after = new MemoryAudit();
    try (Daemon d = Daemon.start(config(log2, "900s"), clock, after, List.of())) {
      append(log2, knock);
      await(after, () -> after.events("knock-rejected").size() == 1);
    }
    assertThat(after.events("knock-rejected")).extracting(e -> e.get("reason"))
        .containsExactly("replay");
    assertThat(after.events("knock-accepted")).isEmpty();
    assertThat(Files.readString(dir.resolve("state/replay-window")))
        .startsWith("widest-window=900\n");
  }

  private Config config(Path log, String window) throws Exception {
    Path keyFile = dir.resolve("alice.key");
    if (!Files.exists(keyFile)) {
      Files.writeString(keyFile, key.toBase64() + "\n");
      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    }
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        "FirewallLog = " + log,
        "Firewall = none",
        "StateDir = " + dir.resolve("state"),
        "AuditLog = -",
        "TimeWindow = " + window,
        "[user alice]",
        "Key = alice.key",
        "Allow = open 22/tcp",
        ""));
    return ConfigLoader.load(conf);
  }

  /** Appends the kernel's LOG lines of the knock, from a new source address each time. */
  private void append(Path log, int[] ports) throws Exception {
    StringBuilder b = new StringBuilder();
    String src = "10.99.0." + host++;
    for (int p : ports) {
      b.append("Nov 22 08:08:53 vm kernel: [ 1769.840635] KNOCK: IN=vs OUT= ")
          .append("MAC=62:72:c3:cb:d2:e6:de:e2:d6:98:06:20:08:00 SRC=").append(src)
          .append(" DST=10.99.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1686 DF PROTO=TCP SPT=")
          .append(sport++).append(" DPT=").append(p)
          .append(" WINDOW=64240 RES=0x00 SYN URGP=0 \n");
    }
    Files.writeString(log, b, StandardOpenOption.APPEND);
  }

  private static void await(MemoryAudit audit, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 10 s; audit: %s",
          audit.events().stream().map(AuditEvent::toText).toList()).isLessThan(end);
      Thread.sleep(20);
    }
  }
}
