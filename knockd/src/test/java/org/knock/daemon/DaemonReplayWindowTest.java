package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.daemon.DaemonFixture.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
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
 * Issue 13 item 4 through a running {@link Daemon}: a knock accepted under TimeWindow = 120s is
 * refused as a replay after a SIGHUP-style reload to 600s and after a restart with 900s, although
 * its timestamp is back inside the window and ±120 s had let the cache forget it.
 */
class DaemonReplayWindowTest {
  private static final Instant T0 = Instant.parse("2026-11-22T08:00:00Z");
  /** The kernel booted an hour before T0 (the real btime may be later than this test's clock). */
  private static final long BOOT = T0.getEpochSecond() - 3600;
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
    int[] knock = new KnockEncoder(key, s.suite(), s.mapping(), s.basePort(),
        org.knock.core.ServerBinding.of(new byte[] {10, 99, 0, 1}))
        .encode(Command.parse("open 22 5m"), 0, T0, new SplittableRandom(1));
    MemoryAudit audit = new MemoryAudit();
    try (Daemon d = Daemon.start(narrow, clock, audit, List.of(), null, BOOT)) {
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
    try (Daemon d = Daemon.start(config(log2, "900s"), clock, after, List.of(), null, BOOT)) {
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
    return DaemonFixture.aliceConfig(dir, key, log, "TimeWindow = " + window);
  }

  /** Appends the kernel's LOG lines of the knock, from a new source address each time. */
  private void append(Path log, int[] ports) throws Exception {
    Files.writeString(log, DaemonFixture.logLines("10.99.0." + host++, sport, ports),
        StandardOpenOption.APPEND);
    sport += ports.length;
  }
}
