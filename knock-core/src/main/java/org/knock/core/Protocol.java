package org.knock.core;

import java.util.Locale;

/** Transport protocol of the port a knock opens or closes. */
public enum Protocol {
  TCP,
  UDP;

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The protocol for "tcp" or "udp" (any case), or null. */
  public static Protocol ofWord(String word) {
    switch (word.toLowerCase(Locale.ROOT)) {
      case "tcp":
        return TCP;
      case "udp":
        return UDP;
      default:
        return null;
    }
  }
}
