package org.knock.daemon.firewall;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A firewall backend: what knockd installs at start, the access it grants and revokes, and what
 * it removes at exit. Every backend applies changes without a shell, from validated values only,
 * and reports a failing or hanging command as a {@link FirewallException} with a one-line message.
 * Implementations are thread-safe.
 */
public interface Firewall extends AutoCloseable {
  /** What this backend installs and does, in words and rules (for {@code knockd --check}). */
  String describe();

  /**
   * Installs the logging, dropping and accepting rules. Crash-safe: leftovers of a killed run are
   * replaced or adopted (a still-valid grant of that run keeps its end time).
   */
  void install() throws FirewallException;

  /**
   * Grants access for {@code duration} from now. Granting an access already granted sets its end
   * to {@code duration} from now (longer or shorter than before).
   *
   * @throws IllegalArgumentException if duration is not positive or longer than 16383 days
   */
  void grant(Access access, Duration duration) throws FirewallException;

  /** Ends a grant early; nothing happens for an access not granted. */
  void revoke(Access access) throws FirewallException;

  /**
   * Removes the grants whose time is up at {@code now}, for backends the kernel does not expire,
   * and returns them (nftables returns none: the kernel expires its grants).
   *
   * @throws FirewallException if removing one failed; {@link FirewallException#expired()} lists
   *     those removed before, and the failed ones are tried again at the next call
   */
  List<Access> expire(Instant now) throws FirewallException;

  /** Removes everything installed and granted (the SIGTERM path). Never throws. */
  @Override
  void close();
}
