package org.knock.daemon.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects the problems of one file as {@code file:line: message}, reported in line order. Each
 * problem is one line: control characters a message quotes from the file (a stray carriage
 * return, an escape sequence) are shown escaped, as {@code \\u000d}.
 */
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
    list.add(new Problem(line, oneLine(file + ":" + line + ": " + message)));
  }

  /** A problem of the whole file, listed first. */
  void addForFile(String message) {
    list.add(new Problem(0, oneLine(file + ": " + message)));
  }

  /** The text with every character that could end a line or drive a terminal escaped. */
  static String oneLine(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
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
