package org.knock.daemon.firewall;

import java.util.List;

/**
 * A firewall change that failed (a command that failed, hung or could not start), or that the
 * backend refuses outright ({@link #refusal()}: e.g. a random port for an IPv6 /64; trying
 * again cannot help, so it is not retried). The message is one line. For {@link Firewall#expire}, {@link #expired()} lists the grants that were removed
 * before the failure, so none goes unaudited.
 */
public final class FirewallException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient List<Access> expired;
  private final boolean refusal;

  public FirewallException(String message) {
    this(message, List.of());
  }

  public FirewallException(String message, List<Access> expired) {
    this(message, expired, false);
  }

  private FirewallException(String message, List<Access> expired, boolean refusal) {
    super(message.replaceAll("[\\r\\n]+", " ").strip());
    this.expired = List.copyOf(expired);
    this.refusal = refusal;
  }

  /** A change the backend cannot make in this configuration, whatever the kernel says. */
  public static FirewallException refused(String message) {
    return new FirewallException(message, List.of(), true);
  }

  /** Whether this is a refusal: trying the same change again cannot succeed. */
  public boolean refusal() {
    return refusal;
  }

  /** Grants an {@link Firewall#expire} call did remove before it failed; empty otherwise. */
  public List<Access> expired() {
    return expired;
  }
}
