package org.knock.daemon.firewall;

import java.util.List;

/**
 * A firewall change that failed (a command that failed, hung or could not start). The message is
 * one line. For {@link Firewall#expire}, {@link #expired()} lists the grants that were removed
 * before the failure, so none goes unaudited.
 */
public final class FirewallException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient List<Access> expired;

  public FirewallException(String message) {
    this(message, List.of());
  }

  public FirewallException(String message, List<Access> expired) {
    super(message.replaceAll("[\\r\\n]+", " ").strip());
    this.expired = List.copyOf(expired);
  }

  /** Grants an {@link Firewall#expire} call did remove before it failed; empty otherwise. */
  public List<Access> expired() {
    return expired;
  }
}
