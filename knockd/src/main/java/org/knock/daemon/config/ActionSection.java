package org.knock.daemon.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.knock.core.Payload;
import org.knock.daemon.exec.CommandTemplate;

/** Reads {@code [action NAME]} sections; two actions whose 16-bit ids collide are refused. */
final class ActionSection {
  static final List<String> KEYS = List.of("Command", "Timeout");

  private ActionSection() {}

  static List<ActionConfig> parseAll(List<Ini.Section> sections, Problems problems) {
    List<ActionConfig> out = new ArrayList<>();
    Map<Integer, Ini.Section> byId = new HashMap<>();
    for (Ini.Section s : sections) {
      String name = ConfigParser.nameOf(s);
      int before = problems.count();
      SectionKeys k = new SectionKeys(s, "[action " + name + "]", KEYS, Map.of(), problems);
      CommandTemplate command = k.value("Command",
          (key, v) -> Values.command(key, v, ActionConfig.PLACEHOLDERS), null);
      if (!k.has("Command")) {
        problems.add(s.line(), "action " + name + " has no Command");
      }
      Duration timeout = k.value("Timeout", Values::duration, ActionConfig.DEFAULT_TIMEOUT);
      int id = Payload.actionId(name);
      ConfigParser.uniqueId(byId, id, s, "action", problems);
      if (problems.count() == before) {
        out.add(new ActionConfig(name, id, command, timeout));
      }
    }
    return out;
  }
}
