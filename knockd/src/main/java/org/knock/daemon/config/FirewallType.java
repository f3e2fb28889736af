package org.knock.daemon.config;

import java.util.Locale;

/** How knockd changes the firewall: {@code nftables}, {@code iptables}, {@code command} or {@code none}. */
public enum FirewallType {
  NFTABLES,
  IPTABLES,
  /** Runs OpenCommand / CloseCommand. */
  COMMAND,
  /** Changes nothing: audit only (and static doors' own commands). */
  NONE;

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
