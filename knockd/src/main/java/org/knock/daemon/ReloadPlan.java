package org.knock.daemon;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.knock.daemon.config.FirewallType;
import org.knock.daemon.config.Options;
import org.knock.daemon.exec.CommandTemplate;

/**
 * What a reload changes, and whether a running knockd can apply it. Pure functions of two
 * {@code [options]}: every option can change at a reload except those naming the firewall
 * backend, the log source and the state directory, which the running daemon holds open.
 */
final class ReloadPlan {
  /** Options a reload cannot change: the running backend, log source and state stay. */
  static final List<String> RESTART_ONLY = List.of("Firewall", "NftSet", "OpenCommand",
      "CloseCommand", "FirewallLog", "StateDir", "KmsgPoll");

  private ReloadPlan() {}

  /** The {@code [options]} keys whose value differs, in the order of {@link Options}. */
  static List<String> changedOptions(Options before, Options after) {
    List<String> changed = new ArrayList<>();
    for (RecordComponent c : Options.class.getRecordComponents()) {
      if (!Objects.equals(comparable(value(c, before)), comparable(value(c, after)))) {
        changed.add(c.getName().equals("serverAddresses") ? "ServerAddress" // a list, one key
            : c.getName().substring(0, 1).toUpperCase(Locale.ROOT) + c.getName().substring(1));
      }
    }
    return changed;
  }

  /**
   * Why the change cannot be applied by a reload, in one line, or null if it can. CommandTimeout
   * counts when knockd runs firewall programs: they were started with the old one.
   */
  static String restartNeeded(Options before, Options after) {
    List<String> blocked = new ArrayList<>();
    for (String key : changedOptions(before, after)) {
      if (RESTART_ONLY.contains(key)
          || (key.equals("CommandTimeout") && before.firewall() != FirewallType.NONE)) {
        blocked.add(key);
      }
    }
    return blocked.isEmpty() ? null : "restart knockd to change " + String.join(", ", blocked)
        + ": a reload keeps the running firewall backend, log source and state directory";
  }

  private static Object value(RecordComponent c, Options o) {
    try {
      return c.getAccessor().invoke(o);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read option " + c.getName(), e);
    }
  }

  /** Command templates compare by their text (the class has no equals). */
  private static Object comparable(Object v) {
    return v instanceof CommandTemplate t ? t.toString() : v;
  }
}
