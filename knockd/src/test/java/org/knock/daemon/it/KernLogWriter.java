package org.knock.daemon.it;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for rsyslog (Debian 12 has none by default): follows the kernel log with
 * {@code dmesg -w} and appends the lines holding one LOG prefix to a file in kern.log format
 * ({@code Nov 22 08:44:37 HOST kernel: [ 1234.567890] PREFIX IN=...}), one flushed write per line.
 * The file is created empty first, so a follower started afterwards begins at its end. The
 * dmesg process is killed by PID on {@link #close()}.
 */
final class KernLogWriter implements AutoCloseable {
  private static final DateTimeFormatter SYSLOG_TIME =
      DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ENGLISH);
  private final String prefix;
  private final Path file;
  private final Process dmesg;
  private final Thread copier;

  KernLogWriter(String prefix, Path file) throws IOException {
    this.prefix = prefix;
    this.file = file;
    Files.write(file, new byte[0]);
    this.dmesg = new ProcessBuilder("dmesg", "-w", "-k")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    this.copier = new Thread(this::copy, "kern.log-writer");
    copier.setDaemon(true);
    copier.start();
  }

  private void copy() {
    try (BufferedReader in = new BufferedReader(
            new InputStreamReader(dmesg.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
            StandardOpenOption.APPEND)) {
      for (String l = in.readLine(); l != null; l = in.readLine()) {
        if (l.contains(prefix)) {
          out.write(SYSLOG_TIME.format(LocalDateTime.now()) + " e2e-host kernel: " + l + "\n");
          out.flush();
        }
      }
    } catch (IOException e) {
      // dmesg was killed, or the file went away with the test's directory
    }
  }

  @Override
  public void close() throws InterruptedException {
    dmesg.destroy();
    if (!dmesg.waitFor(5, TimeUnit.SECONDS)) {
      dmesg.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    copier.join(5000);
  }
}
