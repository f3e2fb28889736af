package org.knock.daemon.config;

import java.util.Locale;

/**
 * What knockd does with its firewall rules when it stops: {@code keep} them (the default: the
 * Protect drop and the knock LOG rules stay, grants end by their own timeouts, a restart adopts
 * them) or {@code remove} them (for demos and throwaway tests).
 */
public enum OnExit {
  KEEP,
  REMOVE;

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
