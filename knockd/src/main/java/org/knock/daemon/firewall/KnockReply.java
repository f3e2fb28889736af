package org.knock.daemon.firewall;

import java.util.Locale;

/**
 * How knock ports and protected ports answer a packet knockd does not let in. {@link #RESET}
 * answers exactly as a closed port does (TCP: a RST, UDP: ICMP port unreachable), {@link #DROP}
 * stays silent as a filtered port does, and {@link #AUTO} is resolved at install time to
 * {@link #DROP} if the host's own input policy drops, else to {@link #RESET}.
 */
public enum KnockReply {
  DROP, RESET, AUTO;

  /** The config word: drop, reset or auto. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** AUTO as {@link #DROP} or {@link #RESET} by the host's policy; the others as they are. */
  KnockReply resolve(boolean hostDropsByDefault) {
    if (this != AUTO) {
      return this;
    }
    return hostDropsByDefault ? DROP : RESET;
  }
}
