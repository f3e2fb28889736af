package org.knock.daemon.firewall;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A firewall backend: what knockd installs at start, the access it grants and revokes, how new
 * settings replace the installed rules, and what stays when knockd stops: by default everything
 * that keeps protected ports closed ({@link #close}); only {@link #remove} takes it out. Every
 * backend applies changes without a shell, from validated values only,
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

  /**
   * Makes one round trip through the grant path that changes nothing (nftables with netlink
   * grants: an NFT_MSG_GETGEN request), so that a grant soon after finds its code and the kernel's
   * compiled and in the caches; false if there is nothing to warm or the round trip failed. Never
   * throws. The default warms nothing.
   */
  default boolean warm() {
    return false;
  }

  /** Ends a grant early; nothing happens for an access not granted. */
  void revoke(Access access) throws FirewallException;

  /**
   * The grants this backend knows to be current, with their end: those this run made and, where
   * the backend adopts an earlier run's rules at start (iptables; nftables' own table), those.
   * A close knock looks here for every grant of its address to a port (a plain one, random-port
   * redirects, forwards).
   * The default knows none.
   */
  default Map<Access, Instant> grants() {
    return Map.of();
  }

  /**
   * Whether {@link #grants} lists every grant {@link #revoke} could end, so that a close knock
   * revokes (and audits) only those. False only in nftables' shared-set mode, which adopts
   * nothing of an earlier run: there a close revokes its plain grant blindly. The default: true.
   */
  default boolean knowsEveryGrant() {
    return true;
  }

  /**
   * Removes the grants whose time is up at {@code now}, for backends the kernel does not expire,
   * and returns them (nftables returns none: the kernel expires its grants).
   *
   * @throws FirewallException if removing one failed; {@link FirewallException#expired()} lists
   *     those removed before, and the failed ones are tried again at the next call
   */
  List<Access> expire(Instant now) throws FirewallException;

  /**
   * Replaces the installed rules by rules for {@code next} in one step that never leaves the
   * protected ports open or the knock range unlogged (nftables: one transaction; iptables: one
   * iptables-restore commit); current grants stay. On failure nothing changed and the old
   * settings stay in force. Backends that install nothing just take the new settings. (The
   * default refuses: a backend must say how it changes its rules.)
   */
  default void reconfigure(FirewallSettings next) throws FirewallException {
    throw new FirewallException(getClass().getSimpleName() + " cannot change its rules while "
        + "running");
  }

  /**
   * Removes what knockd installed (its table or chain; in nft shared-set mode the elements this
   * run added) and ends the grants of this run (the {@code OnExit = remove} and
   * {@code knockd --remove-rules} path). Idempotent.
   *
   * @return what was removed, in words, e.g. {@code "nftables table inet knockd"}
   * @throws FirewallException if something could not be removed (the others were tried); the
   *     default removes nothing and says so
   */
  default String remove() throws FirewallException {
    throw new FirewallException(getClass().getSimpleName() + " cannot remove its rules");
  }

  /**
   * Stops the backend and fails closed: the Protect drop, the knock LOG rules and the grants the
   * kernel ends by itself stay in the kernel for the next run to adopt; grants nothing else would
   * end (the command backend's) are ended. Never throws.
   */
  @Override
  void close();

  /**
   * What {@link #install} ended of an earlier run: nothing, or (nftables) a leftover table that
   * could not be adopted and was recreated, which ends its grants. The daemon audits it.
   */
  default Ended endedAtInstall() {
    return Ended.NONE;
  }

  /**
   * What a start ended of an earlier run's rules.
   *
   * @param grants the grants knockd could read there, each ended
   * @param others elements it could not read as grants, or whose listing failed (-1: unknown)
   * @param what the rules, in words (e.g. {@code "nftables table inet knockd"})
   */
  record Ended(List<Access> grants, int others, String what) {
    /** Nothing ended. */
    public static final Ended NONE = new Ended(List.of(), 0, "");

    public boolean any() {
      return !grants.isEmpty() || others != 0;
    }
  }

  /**
   * {@link #close} that returns the grants it ended (the command backend's, each by a
   * CloseCommand that succeeded), so that the daemon audits each of them. The default ends none.
   * Never throws.
   */
  default List<Access> stop() {
    close();
    return List.of();
  }
}
