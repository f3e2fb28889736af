package org.knock.daemon.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * When the running kernel booted, as a Unix second: the {@code btime} line of /proc/stat. knockd
 * reads it once at start; the replay cache refuses knocks sealed before it (a power loss may have
 * lost their records).
 */
public final class BootTime {
  public static final Path PROC_STAT = Path.of("/proc/stat");

  private BootTime() {}

  /**
   * The {@code btime} of a /proc/stat file.
   *
   * @throws IOException if it cannot be read or holds no {@code btime} line
   */
  public static long read(Path procStat) throws IOException {
    return parse(Files.readString(procStat, StandardCharsets.US_ASCII), procStat);
  }

  static long parse(String stat, Path from) throws IOException {
    for (String line : stat.split("\n")) {
      if (line.startsWith("btime ")) {
        try {
          return Long.parseLong(line.substring("btime ".length()).strip());
        } catch (NumberFormatException e) {
          break;
        }
      }
    }
    throw new IOException(from + " holds no btime line");
  }
}
