package org.knock.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Fuzzes the config parser with arbitrary file text. It either gives a config or fails with a
 * {@link ConfigException} whose every problem is one line, {@code FILE:LINE: message} with a line
 * of the file (or {@code FILE: message}). Nothing else may escape. The files the text may name
 * (a key file, a sequence file) are in memory. And the other way round: a text that parses gives
 * a {@code knockd --check} report ({@link ConfigReport}) that parses back to the same settings
 * and renders to the same report, so a parser that refuses good configs, or a report that drops
 * or changes a setting, fails here. Seeds: {@code ConfigParserFuzzTestInputs/parse/}.
 */
class ConfigParserFuzzTest {
  private static final Path FILE = Path.of("/etc/knockd/fuzz.conf");
  private static final Pattern PROBLEM =
      Pattern.compile("/etc/knockd/fuzz\\.conf(:(\\d+))?: [^\\r\\n]+");

  @FuzzTest(maxDuration = "5m")
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    FakeFiles files = new FakeFiles()
        .key("/etc/knockd/admin.key")
        .put("/etc/knockd/open-key", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", 0644)
        .put("/etc/knockd/seqs", "7000,8000,9000\n1000,2000,3000\n", 0600);
    int lines = text.split("\n", -1).length;
    try {
      // mode 0644: a Passphrase is refused before scrypt (0.2 s a try) would slow the fuzzer down
      Config c = ConfigParser.parse(FILE, text, 0644, files);
      String report = ConfigReport.render(c);
      Config again = reparse(report, files);
      assertThat(again.options()).isEqualTo(c.options());
      assertThat(again.actions()).isEqualTo(c.actions());
      assertThat(again.doors()).isEqualTo(c.doors());
      assertThat(again.users()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("key")
          .isEqualTo(c.users());
      assertThat(ConfigReport.render(again)).isEqualTo(report);
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty();
      for (String p : e.problems()) {
        var m = PROBLEM.matcher(p);
        assertThat(m.matches()).as("one line FILE:LINE: message, got %s", p).isTrue();
        if (m.group(2) != null) {
          assertThat(Long.parseLong(m.group(2))).as(p).isBetween(1L, (long) lines);
        }
      }
    }
  }

  private static Config reparse(String report, FakeFiles files) {
    try {
      return ConfigParser.parse(FILE, report, 0644, files);
    } catch (ConfigException e) {
      throw new AssertionError("the --check report of a valid config does not parse: "
          + e.problems() + "\n" + report, e);
    }
  }
}
