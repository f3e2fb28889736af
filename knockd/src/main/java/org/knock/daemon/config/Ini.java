package org.knock.daemon.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The INI syntax: {@code [SECTION]} headers, {@code KEY = VALUE} lines, whole-line comments
 * starting with {@code #} or {@code ;}. Values are trimmed; a value written entirely in double
 * quotes ({@code "KNOCK: "}) keeps its inner spaces. A key given twice in one section is a problem.
 * As in knockd 0.8's files, a knockd flag may stand alone ({@code UseSyslog}, read as
 * {@code UseSyslog = yes}) and knockd's IPv6 commands may be empty ({@code Start_Command_6 =}).
 */
final class Ini {
  /** One {@code KEY = VALUE} line. */
  record Entry(String key, String value, int line) {}

  /** A section: its header text (trimmed, inner spaces collapsed) and its entries. */
  record Section(String header, int line, List<Entry> entries) {}

  /** knockd 0.8's bare flags: a line holding only one of these means KEY = yes. */
  static final Set<String> BARE_FLAGS = Set.of("usesyslog");
  /** knockd 0.8 keys whose empty value means "do nothing". */
  static final Set<String> EMPTY_OK = Set.of("start_command_6", "stop_command_6", "command_6");

  private Ini() {}

  static List<Section> read(String text, Problems problems) {
    List<Section> sections = new ArrayList<>();
    String header = null;
    int headerLine = 0;
    List<Entry> entries = null;
    Map<String, Integer> seen = new HashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int no = i + 1;
      String l = lines[i].strip();
      if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
        continue;
      }
      if (l.startsWith("[")) {
        if (!l.endsWith("]")) {
          problems.add(no, "section header must end with ']'");
          continue;
        }
        String h = l.substring(1, l.length() - 1).strip().replaceAll("\\s+", " ");
        if (h.isEmpty()) {
          problems.add(no, "empty section header []");
          continue;
        }
        if (header != null) {
          sections.add(new Section(header, headerLine, List.copyOf(entries)));
        }
        header = h;
        headerLine = no;
        entries = new ArrayList<>();
        seen.clear();
        continue;
      }
      int eq = l.indexOf('=');
      boolean flag = eq < 0 && BARE_FLAGS.contains(l.toLowerCase(Locale.ROOT));
      if (eq < 0 && !flag) {
        problems.add(no, "expected KEY = VALUE or [SECTION]");
        continue;
      }
      String key = flag ? l : l.substring(0, eq).strip();
      String value = flag ? "yes" : unquote(l.substring(eq + 1).strip());
      if (key.isEmpty()) {
        problems.add(no, "missing key before '='");
        continue;
      }
      if (!key.matches("[A-Za-z][A-Za-z0-9_]*")) {
        problems.add(no, "bad key '" + key + "': use letters, digits and '_'");
        continue;
      }
      if (header == null) {
        problems.add(no, key + " is outside any section: put it under [options], [user NAME], "
            + "[action NAME] or a door [NAME]");
        continue;
      }
      if (value.isEmpty() && !EMPTY_OK.contains(key.toLowerCase(Locale.ROOT))) {
        problems.add(no, key + " has no value");
        continue;
      }
      Integer first = seen.putIfAbsent(key.toLowerCase(Locale.ROOT), no);
      if (first != null) {
        problems.add(no, key + " is given twice in [" + header + "] (first on line " + first + ")");
        continue;
      }
      entries.add(new Entry(key, value, no));
    }
    if (header != null) {
      sections.add(new Section(header, headerLine, List.copyOf(entries)));
    }
    return sections;
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")
        && v.indexOf('"', 1) == v.length() - 1) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }
}
