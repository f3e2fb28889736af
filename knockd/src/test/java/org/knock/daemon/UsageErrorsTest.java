package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * knockd's exit code 2 (knockd(8), --help: "2 usage"): each usage error exits 2 with one line on
 * stderr naming what is wrong, before any config is read, and prints nothing on stdout.
 */
class UsageErrorsTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--frobnicate                  | knockd: Unrecognized option: --frobnicate (see knockd --help)",
      "--check --remove-rules        | knockd: --check and --remove-rules exclude each other (see knockd --help)",
      "--check extra                 | knockd: unexpected argument 'extra' (see knockd --help)",
      "--self-test                   | knockd: --self-test goes with --check (knockd runs it at every start unless SelfTest = no)",
      "--config                      | knockd: Missing argument for option: c (see knockd --help)",
  })
  void aUsageErrorExitsWithTwo(String args, String message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args.split(" "), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(message + "\n");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
