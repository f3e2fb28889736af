package org.knock.daemon.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knock.daemon.firewall.PortSpec;

/**
 * knockd's One_Time_Sequences file: one sequence per line; a used line is disabled, as knockd
 * does, by writing '#' at its start.
 */
public final class OneTimeSequences {
  private OneTimeSequences() {}

  /**
   * Disables the first unused line holding {@code sequence}.
   *
   * @return false if no unused line holds it
   * @throws IOException if the file cannot be read or written
   */
  public static boolean markUsed(Path file, List<PortSpec> sequence) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i].strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      List<PortSpec> ports;
      try {
        ports = Values.ports("sequence", l, ':', false);
      } catch (BadValue e) {
        continue;
      }
      if (ports.equals(sequence)) {
        lines[i] = "#" + lines[i];
        Files.writeString(file, String.join("\n", lines), StandardCharsets.UTF_8);
        return true;
      }
    }
    return false;
  }
}
