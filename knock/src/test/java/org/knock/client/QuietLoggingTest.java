package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QuietLogging} in a fresh JVM each (the test JVM's java.util.logging has long started):
 * Bouncy Castle's registrar then starts java.util.logging without reading logging.properties,
 * unless the user named a configuration.
 */
class QuietLoggingTest {
  @TempDir Path dir;

  @Test
  void theRegistrarStartsLoggingWithoutTheJdkConfiguration() throws Exception {
    assertThat(probe(false)).isEqualTo("handlers=1 property=java.util.logging.ConsoleHandler");
    assertThat(probe(true)).isEqualTo("handlers=0 property=null");
  }

  @Test
  void aConfigurationTheUserNamesIsKept() throws Exception {
    Path file = dir.resolve("logging.properties");
    Files.writeString(file, "handlers = java.util.logging.ConsoleHandler\n");
    assertThat(probe(true, "-D" + QuietLogging.CONFIG_FILE + "=" + file))
        .isEqualTo("handlers=1 property=java.util.logging.ConsoleHandler");
    assertThat(probe(true, "-D" + QuietLogging.CONFIG_CLASS + "=java.lang.Object"))
        .isEqualTo("handlers=0 property=null");
  }

  /** Runs {@link Probe} in a new JVM on this class path; returns its one line. */
  private String probe(boolean install, String... jvmOptions) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:auto"));
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName(),
        Boolean.toString(install)));
    Path out = dir.resolve("out");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
        .start();
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("probe finished").isTrue();
    } finally {
      p.destroyForcibly();
    }
    String text = Files.readString(out, StandardCharsets.UTF_8).strip();
    assertThat(p.exitValue()).as(text).isZero();
    return text;
  }

  /** What Main does first, then Bouncy Castle's set-up; prints the root logger's handlers. */
  static final class Probe {
    private Probe() {}

    public static void main(String[] args) throws Exception {
      if (Boolean.parseBoolean(args[0])) {
        QuietLogging.install();
      }
      Class.forName(CryptoWarmUp.REGISTRAR, true, Probe.class.getClassLoader());
      Logger root = LogManager.getLogManager().getLogger("");
      System.out.println("handlers=" + root.getHandlers().length + " property="
          + LogManager.getLogManager().getProperty("handlers"));
    }
  }
}
