package org.knock.daemon.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a config file's text into a {@link Config}. Reads nothing itself: key files and one-time
 * sequence files come through {@link ConfigFiles}. Reports every problem it finds, each as one
 * {@code file:line: message} line, in line order.
 */
final class ConfigParser {
  private static final String NAME = "[A-Za-z0-9._-]{1,64}";

  private ConfigParser() {}

  /**
   * @param file the config file (its name appears in messages; relative paths inside resolve
   *     against its directory)
   * @param text its content
   * @param mode its permission bits, or -1 if unknown (a Passphrase needs a file only root reads)
   * @param files reads the files the config names
   */
  static Config parse(Path file, String text, int mode, ConfigFiles files)
      throws ConfigException {
    Problems problems = new Problems(file.toString());
    Path baseDir = file.toAbsolutePath().normalize().getParent();
    // a UTF-8 byte order mark (Windows editors write one) is no part of the first line
    List<Ini.Section> sections =
        Ini.read(text.startsWith("\uFEFF") ? text.substring(1) : text, problems);

    Ini.Section options = null;
    List<Ini.Section> users = new ArrayList<>();
    List<Ini.Section> actions = new ArrayList<>();
    List<Ini.Section> doors = new ArrayList<>();
    List<Ini.Section> forwards = new ArrayList<>();
    Map<String, Integer> forwardLines = new HashMap<>();
    Map<String, Integer> userLines = new HashMap<>();
    Map<String, Integer> actionLines = new HashMap<>();
    Map<String, Integer> doorLines = new HashMap<>();
    for (Ini.Section s : sections) {
      String h = s.header();
      String lower = h.toLowerCase(Locale.ROOT);
      if (lower.equals("options")) {
        if (options != null) {
          problems.add(s.line(), "[options] is given twice (first on line " + options.line() + ")");
        } else {
          options = s;
        }
      } else if (lower.equals("user") || lower.startsWith("user ")) {
        named(s, "user", users, userLines, problems);
      } else if (lower.equals("action") || lower.startsWith("action ")) {
        named(s, "action", actions, actionLines, problems);
      } else if (lower.equals("forward") || lower.startsWith("forward ")) {
        named(s, "forward", forwards, forwardLines, problems);
      } else if (!h.matches(NAME)) {
        problems.add(s.line(), "bad section [" + h + "]: use [options], [user NAME], "
            + "[action NAME], [forward NAME] or a door [NAME] of letters, digits, '.', '_' or "
            + "'-'");
      } else if (doorLines.containsKey(h)) {
        problems.add(s.line(), "door [" + h + "] is given twice (first on line "
            + doorLines.get(h) + ")");
      } else {
        doorLines.put(h, s.line());
        doors.add(s);
      }
    }

    List<String> notices = new ArrayList<>();
    Options opts = options == null ? Options.defaults()
        : OptionsSection.parse(options, baseDir, notices, problems);
    List<ActionConfig> actionConfigs = ActionSection.parseAll(actions, problems);
    Set<String> actionNames = actionLines.keySet();
    List<ForwardConfig> forwardConfigs = ForwardSection.parseAll(forwards, opts, problems);
    List<UserConfig> userConfigs =
        UserSection.parseAll(users, actionNames, forwardLines.keySet(), baseDir, mode, files,
            notices, problems, opts == null ? List.of() : opts.serverAddresses());
    for (ForwardConfig f : forwardConfigs) { // open NAME must never read as open PORT
      for (UserConfig u : userConfigs) {
        for (org.knock.core.Protocol p : org.knock.core.Protocol.values()) {
          if (u.forwards().contains(f.name())
              && u.openPorts().contains(new org.knock.daemon.firewall.PortSpec(f.id(), p))) {
            problems.add(forwardLines.get(f.name()), "forward " + f.name() + " travels as port "
                + f.id() + ", which user " + u.name() + " may open as well: rename the forward");
          }
        }
      }
    }
    List<DoorConfig> doorConfigs = new ArrayList<>();
    for (Ini.Section s : doors) {
      DoorConfig d = DoorSection.parse(s, baseDir, files, notices, problems);
      if (d != null) {
        doorConfigs.add(d);
      }
    }
    if (users.isEmpty() && doors.isEmpty() && problems.isEmpty()) {
      problems.addForFile("no [user NAME] and no door: knockd would have nothing to do");
    }
    problems.throwIfAny();
    return new Config(file, opts, userConfigs, actionConfigs, doorConfigs, notices,
        forwardConfigs);
  }

  /** Files a {@code [KIND NAME]} section under its name, reporting bad and repeated names. */
  private static void named(Ini.Section s, String kind, List<Ini.Section> into,
      Map<String, Integer> lines, Problems problems) {
    String name = s.header().length() > kind.length()
        ? s.header().substring(kind.length() + 1).strip() : "";
    if (name.isEmpty()) {
      problems.add(s.line(), "[" + kind + "] needs a name: [" + kind + " NAME]");
    } else if (!name.matches(NAME)) {
      problems.add(s.line(), "bad " + kind + " name '" + name
          + "': use 1-64 letters, digits, '.', '_' or '-'");
    } else if (lines.containsKey(name)) {
      problems.add(s.line(), "[" + kind + " " + name + "] is given twice (first on line "
          + lines.get(name) + ")");
    } else {
      lines.put(name, s.line());
      into.add(s);
    }
  }

  /**
   * Files a {@code [KIND NAME]} section under the 16-bit id its name travels as; reports a second
   * section of that kind with the same id (the first keeps it).
   */
  static void uniqueId(Map<Integer, Ini.Section> byId, int id, Ini.Section s, String kind,
      Problems problems) {
    Ini.Section twin = byId.putIfAbsent(id, s);
    if (twin != null) {
      problems.add(s.line(), String.format(
          "%s %s has the same id (0x%04x) as %s %s (line %d): rename one of them",
          kind, nameOf(s), id, kind, nameOf(twin), twin.line()));
    }
  }

  /** The NAME of a {@code [KIND NAME]} header already accepted by {@link #named}. */
  static String nameOf(Ini.Section s) {
    return s.header().substring(s.header().indexOf(' ') + 1).strip();
  }
}
