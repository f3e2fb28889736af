package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persistent nft session against a fake {@code nft -i} (a shell script) that logs its input. */
class NftSessionTest {
  private static final String FAKE = """
      #!/usr/bin/env bash
      log=$1
      while IFS= read -r line; do
        echo "$line" >> "$log"
        case "$line" in
          "describe tcp dport") echo "payload expression, datatype inet_service" ;;
          *bogus*) echo "Error: syntax error, unexpected string" >&2; echo "$line" >&2 ;;
          *die-once*) if [ ! -e "$log.died" ]; then touch "$log.died"; exit 3; fi ;;
          *hang*) exec sleep 30 ;;
          *slow*) sleep 0.3 ;;
        esac
      done
      """;

  @TempDir Path dir;
  private Path log;
  private NftSession session;
  private final RecordingRunner runner = new RecordingRunner();

  @BeforeEach
  void setUp() throws Exception {
    Path fake = dir.resolve("nft");
    Files.writeString(fake, FAKE);
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    log = dir.resolve("input.log");
    Nft oneShot = new NftProcess(new Commands(List.of(), Duration.ofSeconds(2), runner));
    session = new NftSession(List.of(fake.toString(), log.toString()), Duration.ofMillis(800),
        oneShot);
  }

  @AfterEach
  void tearDown() {
    session.close();
  }

  private List<String> input() throws Exception {
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  @Test
  void aScriptIsOneLineOneTransactionFollowedByTheSyncCommand() throws Exception {
    session.apply("add element inet t s { a }\n\ndelete element inet t s { a }\n");
    session.apply("add element inet t s { b }\n");
    assertThat(input()).containsExactly(NftSession.SYNC,
        "add element inet t s { a }; delete element inet t s { a }", NftSession.SYNC,
        "add element inet t s { b }", NftSession.SYNC);
  }

  @Test
  void anErrorFailsThatScriptOnlyAndTheProcessGoesOn() throws Exception {
    assertThatThrownBy(() -> session.apply("add bogus\n"))
        .isInstanceOf(FirewallException.class)
        .hasMessage("nft -i failed: Error: syntax error, unexpected string");
    session.apply("add element inet t s { c }\n");
    assertThat(input()).containsExactly(NftSession.SYNC, "add bogus", NftSession.SYNC,
        "add element inet t s { c }", NftSession.SYNC);
  }

  @Test
  void aDeadProcessIsRestartedAndTheScriptSentAgain() throws Exception {
    session.apply("add die-once\n");
    assertThat(input()).containsExactly(NftSession.SYNC, "add die-once", NftSession.SYNC,
        "add die-once", NftSession.SYNC);
  }

  @Test
  void aHangIsATimeoutAndTheNextScriptGetsANewProcess() throws Exception {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> session.apply("add hang\n"))
        .isInstanceOf(FirewallException.class).hasMessage("nft -i timed out after 800 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    session.apply("add element inet t s { d }\n");
    assertThat(input()).endsWith(NftSession.SYNC, "add element inet t s { d }", NftSession.SYNC);
  }

  @Test
  void anAnswerLaterThanTheSpinIsStillReadAndTheSpinIsBounded() throws Exception {
    session.close();
    session = new NftSession(List.of(dir.resolve("nft").toString(), log.toString()),
        Duration.ofSeconds(2), Duration.ofMillis(20), null);
    session.apply("add element inet t s { e }\n"); // started, the first mark read
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    session.apply("add slow\n");
    long wallMs = (System.nanoTime() - t0) / 1_000_000;
    long cpuMs = (threads.getCurrentThreadCpuTime() - cpu0) / 1_000_000;
    assertThat(wallMs).isGreaterThanOrEqualTo(300); // answered after the 20 ms spin
    assertThat(cpuMs).as("CPU of a 300 ms wait with a 20 ms spin").isLessThan(150);
    session.apply("add element inet t s { f }\n");
    assertThat(input()).endsWith("add slow", NftSession.SYNC, "add element inet t s { f }",
        NftSession.SYNC);
  }

  @Test
  void withoutSpinningTheAnswerIsReadAsWell() throws Exception {
    session.close();
    session = new NftSession(List.of(dir.resolve("nft").toString(), log.toString()),
        Duration.ofSeconds(2), Duration.ZERO, null);
    session.apply("add element inet t s { g }\n");
    assertThatThrownBy(() -> session.apply("add bogus\n"))
        .hasMessage("nft -i failed: Error: syntax error, unexpected string");
    session.apply("add die-once\n");
    assertThat(input()).containsExactly(NftSession.SYNC, "add element inet t s { g }",
        NftSession.SYNC, "add bogus", NftSession.SYNC, "add die-once", NftSession.SYNC,
        "add die-once", NftSession.SYNC);
  }

  @Test
  void aMissingProgramIsAOneLineError() {
    NftSession none = new NftSession(List.of(dir.resolve("no-such-nft").toString(), "-i"),
        Duration.ofMillis(500), null);
    assertThatThrownBy(() -> none.apply("add table inet t\n"))
        .isInstanceOf(FirewallException.class).hasMessageStartingWith("cannot start ");
  }

  @Test
  void listRunsItsOwnProcess() throws Exception {
    runner.answering(c -> RecordingRunner.ok("table inet t {}\n"));
    assertThat(session.list(List.of("table", "inet", "t"))).isEqualTo("table inet t {}\n");
    assertThat(runner.argvs()).containsExactly(List.of("nft", "list", "table", "inet", "t"));
  }
}
