package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.knock.daemon.DaemonFixture.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;
import org.knock.daemon.audit.Audit;
import org.knock.daemon.audit.AuditEvent;
import org.knock.daemon.audit.MemoryAudit;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;

/**
 * Issue 12: no input stops knockd. A running {@link Daemon} fed by a {@link QueueSource}: a
 * {@code DPT=0} line (it once killed the reader in the static doors' port check) is counted as
 * unparsable and the next knock is served; a source that throws is audited once as
 * internal-error and run again; a source that ends by itself is a fault, standard input's end is
 * not. {@link LogReader} with a throwing sink (the pipeline): the line is skipped, the fault
 * audited once per minute.
 */
class NoInputStopsKnockdTest {
  @TempDir Path dir;
  private final KnockKey key = KnockKey.generate(new SplittableRandom(12));
  private final MemoryAudit audit = new MemoryAudit();

  private Config config() throws Exception {
    TestKeys.write(dir.resolve("alice.key"), key);
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, String.join("\n",
        "[options]",
        "FirewallLog = -",
        "Firewall = none",
        "StateDir = " + dir.resolve("state"),
        "AuditLog = -",
        "[user alice]",
        "Key = alice.key",
        "Allow = open 22/tcp",
        "[ssh]",
        "Sequence = 7000,8000,9000",
        "Start_Command = true",
        ""));
    return ConfigLoader.load(conf);
  }

  private static void feed(QueueSource source, String lines) {
    lines.lines().forEach(source::line);
  }

  @Test
  void aDpt0LineIsCountedAsUnparsableAndTheNextKnockIsServed() throws Exception {
    Config config = config();
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      source.line(lines.syn(0));
      source.line(lines.syn(7000)); // a door port: the path DPT=0 used to crash
      feed(source, lines.knock("open 22 5m"));
      await(audit, () -> audit.events("knock-accepted").size() == 1);
      assertThat(d.counters()).containsEntry("unparsable", 1L);
      assertThat(audit.events("internal-error")).isEmpty();
      assertThat(source.runs).isEqualTo(1);
    }
  }

  @Test
  void unreadableLinesAreCountedAcrossAReload() throws Exception {
    Config config = config();
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      source.line(lines.syn(0));
      feed(source, lines.knock("open 22 5m"));
      await(audit, () -> audit.events("knock-accepted").size() == 1);
      d.reload(config());
      source.line(lines.syn(0));
      feed(source, lines.knock("open 22 5m"));
      await(audit, () -> audit.events("knock-accepted").size() == 2);
      assertThat(d.counters()).containsEntry("unparsable", 1L).containsEntry("unreadable", 2L);
    }
  }

  @Test
  void aFaultInTheReloadsCarryOverIsAuditedAndTheReloadStands() throws Exception {
    // bob's whole knock is held, undecided, while only alice is configured; the reload that adds
    // bob replays it, and the audit throws on its knock-accepted. The new pipeline was already in
    // place: the reload stands (before: refused, after the replay had begun to act for the new
    // config) and the fault is audited
    KnockKey bobKey = KnockKey.generate(new SplittableRandom(13));
    TestKeys.write(dir.resolve("bob.key"), bobKey);
    boolean[] armed = {false};
    Audit throwing = e -> {
      if (armed[0] && e.name().equals("knock-accepted") && e.toText().contains("user=bob")) {
        armed[0] = false;
        throw new IllegalStateException("injected fault");
      }
      return audit.record(e);
    };
    Config config = config();
    KnockLines alice = new KnockLines(key, config.decoderSettings());
    KnockLines bob = new KnockLines(bobKey, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), throwing, List.of(), source)) {
      feed(source, bob.knock("open 22 5m"));
      // a knock of alice's from another address: once it is decided, bob's ports are held
      feed(source, alice.knock("open 22 5m").replace("SRC=10.99.0.2", "SRC=10.99.0.3"));
      await(audit, () -> audit.events("knock-accepted").size() == 1);
      Files.writeString(dir.resolve("knockd.conf"), "[user bob]\nKey = bob.key\n"
          + "Allow = open 22/tcp\n", java.nio.file.StandardOpenOption.APPEND);
      armed[0] = true;
      d.reload(ConfigLoader.load(dir.resolve("knockd.conf")));
      assertThat(armed[0]).as("the replay reached bob's knock").isFalse();
      assertThat(audit.events("internal-error")).extracting(AuditEvent::toText).containsExactly(
          "event=internal-error where=reload class=java.lang.IllegalStateException "
              + "message=\"injected fault\"");
      feed(source, bob.knock("open 22 5m")); // the reloaded config is in force
      await(audit, () -> audit.events("knock-accepted").size() == 2);
      assertThat(audit.events("knock-accepted").get(1).toText()).contains("user=bob");
    }
  }

  @Test
  void aSourceThatThrowsIsAuditedOnceRunAgainAndKnocksAreServed() throws Exception {
    Config config = config();
    KnockLines lines = new KnockLines(key, config.decoderSettings());
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), source)) {
      source.fail(new IllegalStateException("injected\nfault"));
      feed(source, lines.knock("open 22 5m"));
      await(audit, () -> audit.events("knock-accepted").size() == 1);
      List<AuditEvent> errors = audit.events("internal-error");
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0).toText()).isEqualTo("event=internal-error where=log-reader "
          + "class=java.lang.IllegalStateException message=\"injected fault\"");
      assertThat(source.runs).isEqualTo(2);
    }
  }

  @Test
  void aLogSourceThatEndsByItselfIsAFaultTheEndOfStandardInputIsNot() throws Exception {
    Config config = config();
    QueueSource follower = new QueueSource(false);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), follower)) {
      follower.end();
      assertThat(d.awaitEnd()).isEqualTo(new Daemon.Ending(true, "queue ended unexpectedly"));
    }
    QueueSource stdin = new QueueSource(true);
    try (Daemon d = Daemon.start(config, Clock.systemUTC(), audit, List.of(), stdin)) {
      stdin.end();
      assertThat(d.awaitEnd()).isEqualTo(new Daemon.Ending(false, "end of log"));
    }
  }

  @Test
  void anErrorEscapingAThreadIsAFault() throws Exception {
    QueueSource source = new QueueSource(false);
    try (Daemon d = Daemon.start(config(), Clock.systemUTC(), audit, List.of(), source)) {
      d.fail("sweeper", new OutOfMemoryError("Java heap space"));
      assertThat(d.awaitEnd()).isEqualTo(new Daemon.Ending(true,
          "internal error in sweeper: java.lang.OutOfMemoryError: Java heap space"));
    }
  }

  @Test
  void aPipelineFaultSkipsItsLineAndIsAuditedOncePerMinuteWithTheCountLeftOut()
      throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    QueueSource source = new QueueSource(true);
    List<String> handled = new ArrayList<>();
    LogReader reader = new LogReader(source, line -> {
      if (line.startsWith("bad")) {
        throw new IllegalArgumentException("bad port 0: use 1-65535");
      }
      handled.add(line);
    }, new InternalErrors(audit, clock), clock);
    for (int i = 0; i < 100; i++) {
      source.line("bad " + i);
      source.line("good " + i);
    }
    source.end();
    assertThat(reader.run()).isEqualTo(LogReader.End.INPUT_ENDED);
    assertThat(handled).hasSize(100).startsWith("good 0").endsWith("good 99");
    assertThat(audit.events()).extracting(AuditEvent::toText).containsExactly(
        "event=internal-error where=pipeline class=java.lang.IllegalArgumentException "
            + "message=\"bad port 0: use 1-65535\"");

    clock.advance(InternalErrors.INTERVAL);
    QueueSource more = new QueueSource(true);
    LogReader again = new LogReader(more, line -> {
      throw new IllegalArgumentException("bad port 0: use 1-65535");
    }, new InternalErrors(audit, clock), clock);
    more.line("bad");
    more.end();
    again.run();
    assertThat(audit.events()).hasSize(2); // a new reporter: first of its kind again
  }

  @Test
  void repeatsAfterTheIntervalCarryTheNumberNotReported() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    InternalErrors errors = new InternalErrors(audit, clock);
    for (int i = 0; i < 50; i++) {
      errors.report("pipeline", new IllegalStateException("x"));
    }
    clock.advance(InternalErrors.INTERVAL.minus(Duration.ofMillis(1)));
    errors.report("pipeline", new IllegalStateException("x"));
    assertThat(audit.events("internal-error")).hasSize(1);
    clock.advance(Duration.ofMillis(1));
    errors.report("pipeline", new IllegalStateException("x"));
    assertThat(audit.events("internal-error")).hasSize(2);
    assertThat(audit.last().get("suppressed")).isEqualTo("50");
    errors.report("sweeper", new IllegalStateException("x"));
    assertThat(audit.events("internal-error")).hasSize(3); // another kind
  }

  @Test
  void aSourceThatKeepsFailingIsGivenUpAfterFiveFailuresAMinute() throws Exception {
    QueueSource source = new QueueSource(false);
    for (int i = 0; i < LogReader.MAX_FAILURES; i++) {
      source.fail(new IllegalStateException("broken " + i));
    }
    LogReader reader = new LogReader(source, line -> {}, new InternalErrors(audit,
        Clock.systemUTC()), Clock.systemUTC());
    assertThat(reader.run()).isEqualTo(LogReader.End.FAILED);
    assertThat(reader.failure())
        .isEqualTo("queue keeps failing: IllegalStateException: broken 4");
    assertThat(source.runs).isEqualTo(LogReader.MAX_FAILURES);
    assertThat(audit.events("internal-error")).hasSize(1);
  }
}
