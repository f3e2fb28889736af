package org.knock.daemon.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandRunnerTest {
  private final CommandRunner runner = new CommandRunner();
  private static final Duration TEN_S = Duration.ofSeconds(10);

  @Test
  void capturesExitCodeAndBothStreams() {
    CommandRunner.Result r = runner.run(
        List.of("sh", "-c", "echo out; echo err >&2; exit 3"), TEN_S, null);
    assertThat(r).isEqualTo(new CommandRunner.Result(3, "out\n", "err\n", false));
    assertThat(r.succeeded()).isFalse();
    assertThat(r.firstLine()).isEqualTo("err");
  }

  @Test
  void passesArgumentsVerbatimWithoutAShell() {
    CommandRunner.Result r = runner.run(List.of("printf", "%s|", "a b", "$(id)", "*", ";x"),
        TEN_S, null);
    assertThat(r.succeeded()).isTrue();
    assertThat(r.out()).isEqualTo("a b|$(id)|*|;x|");
  }

  @Test
  void feedsStdin() {
    CommandRunner.Result r = runner.run(List.of("cat"), TEN_S, "add table inet t\n");
    assertThat(r.out()).isEqualTo("add table inet t\n");
    assertThat(runner.run(List.of("cat"), TEN_S, null).out()).isEmpty();
  }

  @Test
  void killsAHangingProgramAtTheTimeout() {
    long start = System.nanoTime();
    CommandRunner.Result r = runner.run(List.of("sleep", "30"), Duration.ofMillis(200), null);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.timedOut()).isTrue();
    assertThat(r.succeeded()).isFalse();
    assertThat(millis).isBetween(150L, 3000L);
  }

  @Test
  void killsTheDescendantsOfAHangingProgram() {
    long start = System.nanoTime();
    CommandRunner.Result r = runner.run(List.of("sh", "-c", "sleep 30; echo never"),
        Duration.ofMillis(200), null);
    assertThat(r.timedOut()).isTrue();
    assertThat(r.out()).isEmpty();
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000L);
  }

  @Test
  void reportsAProgramThatCannotStart() {
    CommandRunner.Result r = runner.run(List.of("/nonexistent/knock-nft"), TEN_S, null);
    assertThat(r.exit()).isEqualTo(CommandRunner.CANNOT_START);
    assertThat(r.timedOut()).isFalse();
    assertThat(r.firstLine()).startsWith("cannot run /nonexistent/knock-nft: ");
    assertThat(r.err()).doesNotContain("\n");
  }

  @Test
  void boundsTheOutputKept() {
    CommandRunner.Result r = runner.run(
        List.of("head", "-c", Integer.toString(CommandRunner.MAX_OUTPUT * 3), "/dev/zero"),
        TEN_S, null);
    assertThat(r.succeeded()).isTrue();
    assertThat(r.out()).hasSize(CommandRunner.MAX_OUTPUT);
  }

  @Test
  void aLargerBoundKeepsAListingWhole() {
    int size = CommandRunner.MAX_OUTPUT * 3;
    CommandRunner.Result r = new CommandRunner(size * 2).run(
        List.of("head", "-c", Integer.toString(size), "/dev/zero"), TEN_S, null);
    assertThat(r.succeeded()).isTrue();
    assertThat(r.out()).hasSize(size);
  }

  @Test
  void setsTheCLocale() {
    assertThat(runner.run(List.of("sh", "-c", "echo $LC_ALL"), TEN_S, null).out())
        .isEqualTo("C\n");
  }
}
