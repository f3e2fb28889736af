package org.knock.daemon;

import org.apache.logging.log4j.LogManager;

/** SIGHUP handling (reload), through the JDK's sun.misc.Signal where the platform has it. */
final class Signals {
  private Signals() {}

  static void onHangup(Runnable action) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> action.run());
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LogManager.getLogger(Signals.class).warn("no SIGHUP reload here: {}", e.getMessage());
    }
  }
}
