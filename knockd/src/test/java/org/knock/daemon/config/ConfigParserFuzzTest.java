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
 * (a key file, a sequence file) are in memory. Seeds: {@code ConfigParserFuzzTestInputs/parse/}.
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
      assertThat(c.options()).isNotNull();
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
}
