package org.knock.daemon.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where each key of a config file was written, for problems found after the config was loaded
 * (the start-up checks {@code knockd --check} runs): {@code file:line}. A key not written points
 * at its section's header, a section not written at the file.
 */
public final class ConfigLines {
  private final String file;
  private final Map<String, Integer> lines;

  private ConfigLines(String file, Map<String, Integer> lines) {
    this.file = file;
    this.lines = lines;
  }

  /** Reads the file's keys and sections; an unreadable file gives bare file names. */
  public static ConfigLines read(Path file) {
    Map<String, Integer> lines = new HashMap<>();
    try {
      String text = new LocalFiles().read(file).text();
      for (Ini.Section s : Ini.read(text, new Problems(file.toString()))) {
        String section = s.header().toLowerCase(Locale.ROOT);
        lines.putIfAbsent(section, s.line());
        for (Ini.Entry e : s.entries()) {
          lines.putIfAbsent(section + "\n" + e.key().toLowerCase(Locale.ROOT), e.line());
        }
      }
    } catch (IOException e) {
      // messages then name the file alone
    }
    return new ConfigLines(file.toString(), lines);
  }

  /**
   * {@code file:line} of a key ({@code section}: {@code options}, {@code user NAME},
   * {@code action NAME} or a door's name), else of its section, else {@code file}.
   */
  public String at(String section, String... keys) {
    String s = section.toLowerCase(Locale.ROOT);
    for (String key : keys) {
      Integer line = lines.get(s + "\n" + key.toLowerCase(Locale.ROOT));
      if (line != null) {
        return file + ":" + line;
      }
    }
    Integer line = lines.get(s);
    return line != null ? file + ":" + line : file;
  }
}
