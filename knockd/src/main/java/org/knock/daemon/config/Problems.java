package org.knock.daemon.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects the problems of one file as {@code file:line: message}, reported in line order. */
final class Problems {
  private record Problem(int line, String text) {}

  private final String file;
  private final List<Problem> list = new ArrayList<>();

  Problems(String file) {
    this.file = file;
  }

  String file() {
    return file;
  }

  void add(int line, String message) {
    list.add(new Problem(line, file + ":" + line + ": " + message));
  }

  /** A problem of the whole file, listed first. */
  void addForFile(String message) {
    list.add(new Problem(0, file + ": " + message));
  }

  /** How many problems so far: a section compares counts to know if it went wrong. */
  int count() {
    return list.size();
  }

  boolean isEmpty() {
    return list.isEmpty();
  }

  void throwIfAny() throws ConfigException {
    if (!list.isEmpty()) {
      throw new ConfigException(list.stream()
          .sorted(Comparator.comparingInt(Problem::line))
          .map(Problem::text)
          .toList());
    }
  }
}
