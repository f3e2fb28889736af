package org.knock.daemon.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The sample logs in test-data/logs. */
final class Samples {
  private Samples() {}

  static Path dir() {
    String prop = System.getProperty("knock.testdata");
    Path base = prop != null ? Path.of(prop) : Path.of("..", "test-data");
    return base.resolve("logs");
  }

  static List<String> lines(String name) {
    try {
      return Files.readAllLines(dir().resolve(name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
