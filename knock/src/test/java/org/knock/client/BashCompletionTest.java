package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * etc/bash_completion.d/knock, sourced by a real bash (README: "bash completion"): it registers
 * {@code _knock} for {@code knock} and completes options, their values and keygen's options.
 */
class BashCompletionTest {
  private static final Path SCRIPT = Path.of(System.getProperty("knock.testdata", "../test-data"))
      .resolveSibling("etc").resolve("bash_completion.d").resolve("knock");

  /** Runs the script's completion for the words, the last one being completed. */
  private static String bash(String script) throws Exception {
    Process p = new ProcessBuilder("bash", "--norc", "--noprofile", "-c",
        "source '" + SCRIPT + "' && " + script).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("bash finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out.strip();
  }

  private static String complete(String... words) throws Exception {
    StringBuilder w = new StringBuilder();
    for (String s : words) {
      w.append(" '").append(s).append('\'');
    }
    return bash("COMP_WORDS=(" + w + "); COMP_CWORD=" + (words.length - 1)
        + "; _knock; echo \"${COMPREPLY[*]}\"");
  }

  @Test
  void theScriptRegistersItsFunctionForKnock() throws Exception {
    assertThat(Files.isRegularFile(SCRIPT)).as(SCRIPT.toString()).isTrue();
    assertThat(bash("complete -p knock")).isEqualTo("complete -F _knock knock");
  }

  @Test
  void optionsTheirValuesAndKeygensOptionsComplete() throws Exception {
    assertThat(complete("knock", "--ci")).isEqualTo("--cipher");
    assertThat(complete("knock", "--cipher", "t")).isEqualTo("twofish");
    assertThat(complete("knock", "--cipher", "")).isEqualTo("twofish blowfish");
    assertThat(complete("knock", "keygen", "--f")).isEqualTo("--force");
  }
}
