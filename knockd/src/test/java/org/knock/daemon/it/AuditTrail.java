package org.knock.daemon.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * knockd's text audit log as the end-to-end tests read it: lines {@code TIME event=NAME k=v
 * k="v w"}, parsed into events. {@link #mark()} remembers how many events there are, so that a
 * scenario looks only at what happened after it began; {@link #await} polls, bounded in time.
 */
final class AuditTrail {
  /** One audit line: its event name and fields (quoted values unescaped). */
  record Event(String name, Map<String, String> fields, String line) {
    String get(String field) {
      return fields.get(field);
    }

    /** Whether every {@code key, value} pair matches. */
    boolean has(String... keyValues) {
      for (int i = 0; i + 1 < keyValues.length; i += 2) {
        if (!keyValues[i + 1].equals(fields.get(keyValues[i]))) {
          return false;
        }
      }
      return true;
    }
  }

  private final Path file;

  AuditTrail(Path file) {
    this.file = file;
  }

  Path file() {
    return file;
  }

  /** Every event so far; lines that are not audit events are skipped. */
  List<Event> events() {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file + ": " + e.getMessage(), e);
    }
    List<Event> out = new ArrayList<>();
    for (String l : lines) {
      Event e = parse(l);
      if (e != null) {
        out.add(e);
      }
    }
    return out;
  }

  /** The number of events so far: pass it to {@link #since}, {@link #await}, {@link #count}. */
  int mark() {
    return events().size();
  }

  /** The events after {@code mark}. */
  List<Event> since(int mark) {
    List<Event> all = events();
    return all.subList(Math.min(mark, all.size()), all.size());
  }

  /** How many events named {@code name} with the given fields came after {@code mark}. */
  long count(int mark, String name, String... keyValues) {
    return since(mark).stream().filter(e -> e.name().equals(name) && e.has(keyValues)).count();
  }

  /**
   * Polls (every 50 ms, at most {@code millis}) for an event after {@code mark} named
   * {@code name} with the given fields; fails with the events seen if none comes.
   */
  Event await(int mark, long millis, String name, String... keyValues)
      throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000L;
    while (true) {
      for (Event e : since(mark)) {
        if (e.name().equals(name) && e.has(keyValues)) {
          return e;
        }
      }
      if (System.nanoTime() > end) {
        throw new AssertionError("no audit event " + name + " " + List.of(keyValues)
            + " within " + millis + " ms; after the mark: " + describe(since(mark)));
      }
      Thread.sleep(50);
    }
  }

  static String describe(List<Event> events) {
    StringBuilder b = new StringBuilder();
    for (Event e : events) {
      b.append("\n  ").append(e.line());
    }
    return b.length() == 0 ? "(none)" : b.toString();
  }

  /** Parses {@code [TIME ]event=NAME k=v k="v"}; null if the line holds no event. */
  static Event parse(String line) {
    int start = line.indexOf("event=");
    if (start < 0) {
      return null;
    }
    Map<String, String> fields = new LinkedHashMap<>();
    String name = null;
    int i = start;
    int n = line.length();
    while (i < n) {
      int eq = line.indexOf('=', i);
      if (eq < 0) {
        return null;
      }
      String key = line.substring(i, eq);
      StringBuilder v = new StringBuilder();
      int j = eq + 1;
      if (j < n && line.charAt(j) == '"') {
        j++;
        while (j < n && line.charAt(j) != '"') {
          char c = line.charAt(j);
          if (c == '\\' && j + 1 < n) {
            char e = line.charAt(++j);
            v.append(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
          } else {
            v.append(c);
          }
          j++;
        }
        j++; // the closing quote
      } else {
        while (j < n && line.charAt(j) != ' ') {
          v.append(line.charAt(j++));
        }
      }
      if (key.equals("event")) {
        name = v.toString();
      } else {
        fields.put(key, v.toString());
      }
      while (j < n && line.charAt(j) == ' ') {
        j++;
      }
      i = j;
    }
    return name == null ? null : new Event(name, Map.copyOf(fields), line);
  }
}
