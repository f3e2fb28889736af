package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;

/**
 * Issue 17: a file read from standard input faster than MaxTagChecks allows spends a second's
 * budget of tag checks in a fraction of it; a knock's check refused then is owed to the next
 * seconds' sweeps. The daemon serves the owed checks before it stops at the end of the input,
 * so the knock is granted (before, 39-50 of bench/ingest.sh's 50 knocks were).
 */
class EndOfInputServesOwedChecksTest {
  @TempDir Path dir;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(17));
  private final MemoryAudit audit = new MemoryAudit();

  @Test
  void aKnockWhoseCheckTheBudgetRefusedIsGrantedBeforeTheDaemonStops() throws Exception {
    // one message a second: the junk's newest-first check spends it
    Config config = DaemonFixture.aliceConfig(dir, key, Path.of("-"), "MaxTagChecks = 1");
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    String knock = lines.knock("open 22 5m");
    QueueSource stdin = new QueueSource(true);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), stdin)) {
      // early in a second, so that the junk and the knock are read within the same one
      for (int i = 0; i < 60 && System.currentTimeMillis() % 1000 > 50; i++) {
        Thread.sleep(20);
      }
      for (int pos = 0; pos < 20; pos++) { // another source completes a (bad) message first
        stdin.line(lines.syn(20000 + 256 * pos + 7 * pos).replace("SRC=10.99.0.2",
            "SRC=10.99.0.3"));
      }
      knock.lines().forEach(stdin::line);
      stdin.end();
      assertThat(d.awaitEnd()).isEqualTo(new Daemon.Ending(false, "end of log"));
      assertThat(d.counters().get("budget-refused")).isPositive(); // the knock had to wait
      assertThat(audit.events("knock-accepted")).hasSize(1);
      assertThat(audit.events("access-granted")).hasSize(1);
    }
  }
}
