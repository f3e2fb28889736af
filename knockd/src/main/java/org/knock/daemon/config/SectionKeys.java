package org.knock.daemon.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The entries of one section looked up by their canonical key names (case-insensitive). Unknown
 * keys are reported when the section is read, with a hint when one is close to a known key or is a
 * knockd directive knock does without. knockd 0.8 settings that mean nothing here but belong in
 * this section (e.g. {@code UseSyslog} in {@code [options]}) are accepted with one notice each.
 */
final class SectionKeys {
  /** Turns a value into something typed, or says why it cannot. */
  @FunctionalInterface
  interface Parser<T> {
    T parse(String key, String value) throws BadValue;
  }

  /** knockd 0.8's global directives that mean nothing to this knockd, and why. */
  static final Map<String, String> KNOCKD_OPTIONS = Map.of(
      "usesyslog", "knock writes its own audit log: use AuditLog",
      "logfile", "knock writes its own audit log: use AuditLog",
      "pidfile", "knockd runs in the foreground under systemd and writes no pid file",
      "interface", "knock reads the firewall's log, not an interface");
  /** knockd 0.8's door directives that mean nothing to this knockd, and why. */
  static final Map<String, String> KNOCKD_DOOR = Map.of(
      "target", "knock reads the firewall's log and does not match destination addresses",
      "start_command_6", "knock's doors are IPv4 only",
      "stop_command_6", "knock's doors are IPv4 only",
      "command_6", "knock's doors are IPv4 only");
  private static final Map<String, String> KNOCKD_ONLY = new HashMap<>();

  static {
    KNOCKD_ONLY.putAll(KNOCKD_OPTIONS);
    KNOCKD_ONLY.putAll(KNOCKD_DOOR);
  }

  private final String where;
  private final Problems problems;
  private final Map<String, Ini.Entry> byKey = new HashMap<>();
  private final Map<String, String> canonical = new HashMap<>();

  /**
   * @param where the section as people know it, e.g. "[options]", for messages
   * @param known the canonical key names this section accepts
   * @param aliases other spellings mapped to a canonical name (lower case → canonical)
   */
  SectionKeys(Ini.Section section, String where, List<String> known, Map<String, String> aliases,
      Problems problems) {
    this(section, where, known, aliases, Map.of(), List.of(), problems);
  }

  /**
   * @param ignored knockd 0.8 keys (lower case) accepted here with a notice, and why they mean
   *     nothing
   * @param notices where those notices go, as {@code file:line: ...}
   */
  SectionKeys(Ini.Section section, String where, List<String> known, Map<String, String> aliases,
      Map<String, String> ignored, List<String> notices, Problems problems) {
    this.where = where;
    this.problems = problems;
    for (String k : known) {
      canonical.put(k.toLowerCase(Locale.ROOT), k);
    }
    for (Map.Entry<String, String> a : aliases.entrySet()) {
      canonical.put(a.getKey(), a.getValue());
    }
    for (Ini.Entry e : section.entries()) {
      String lower = e.key().toLowerCase(Locale.ROOT);
      String c = canonical.get(lower);
      if (c == null && ignored.containsKey(lower)) {
        notices.add(Problems.oneLine(problems.file() + ":" + e.line() + ": " + e.key()
            + " is a knockd 0.8 setting that means nothing here, ignored: "
            + ignored.get(lower)));
        continue;
      }
      if (c == null) {
        problems.add(e.line(), unknown(e.key(), known));
        continue;
      }
      Ini.Entry earlier = byKey.putIfAbsent(c, e);
      if (earlier != null) {
        problems.add(e.line(), e.key() + " repeats " + earlier.key() + " in " + where
            + " (line " + earlier.line() + ")");
      }
    }
  }

  private String unknown(String key, List<String> known) {
    String lower = key.toLowerCase(Locale.ROOT);
    String knockd = KNOCKD_ONLY.get(lower);
    if (knockd != null) {
      return key + " is a knockd setting knock does not use: " + knockd;
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(squash(lower), squash(k.toLowerCase(Locale.ROOT)));
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    String msg = "unknown key '" + key + "' in " + where;
    return best != null && bestDistance <= 2 ? msg + "; did you mean " + best + "?" : msg;
  }

  private static String squash(String s) {
    return s.replace("_", "").replace("-", "");
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** The entry for a canonical key, or null. */
  Ini.Entry entry(String key) {
    return byKey.get(key);
  }

  boolean has(String key) {
    return byKey.containsKey(key);
  }

  /**
   * The parsed value of a key: {@code absent} when the key is not given, null (after reporting the
   * problem at the key's line) when its value is bad.
   */
  <T> T value(String key, Parser<T> parser, T absent) {
    Ini.Entry e = byKey.get(key);
    if (e == null) {
      return absent;
    }
    try {
      return parser.parse(e.key(), e.value());
    } catch (BadValue b) {
      problems.add(e.line(), b.getMessage());
      return null;
    }
  }

  /** Reports a problem at a key's line (which must be present). */
  void problem(String key, String message) {
    problems.add(byKey.get(key).line(), message);
  }

  String where() {
    return where;
  }
}
