package org.knock.daemon.firewall;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The nftables backend. Managed mode: its own {@code table inet NAME} whose input chain accepts
 * established traffic and the granted set, drops the protected ports and logs-and-drops knocks;
 * installed in one transaction, deleted on close. Shared-set mode: only adds and deletes elements
 * of a set in the admin's own table. Either way a grant is a set element with a timeout, so the
 * kernel ends it even if knockd dies.
 */
final class NftablesFirewall implements Firewall {
  private static final Logger LOG = LogManager.getLogger(NftablesFirewall.class);
  private final FirewallSettings settings;
  private final NftSetRef set;
  private final NftSetRef set6; // null in shared-set mode: IPv6 grants need a managed table
  private final boolean shared;
  private final Nft nft;
  private final Clock clock;
  private final GrantBook book = new GrantBook();

  /**
   * @param sharedSet the admin's set for shared-set mode, or null for a managed table
   */
  NftablesFirewall(FirewallSettings settings, NftSetRef sharedSet, Nft nft, Clock clock) {
    this.settings = settings;
    this.shared = sharedSet != null;
    this.set = shared ? sharedSet : NftScripts.ownSet(settings);
    this.set6 = shared ? null : NftScripts.ownSet6(settings);
    this.nft = nft;
    this.clock = clock;
  }

  @Override
  public String describe() {
    if (shared) {
      return "nftables, shared set: knockd installs nothing; it adds and deletes elements of set '"
          + set + "' (type " + NftScripts.SET_TYPE + "; flags timeout), e.g.\n  "
          + NftScripts.addWithTimeout(set, Access.EXAMPLE, Duration.ofMinutes(30))
          + "\nYour ruleset must accept that set and log knocks (ports " + settings.knockStart()
          + "-" + settings.knockEnd() + ") with prefix \"" + settings.logPrefix()
          + "\": see etc/nftables-shared.nft. On exit knockd deletes the elements it added.";
    }
    return "nftables, own table 'inet " + settings.name() + "', written in one transaction at "
        + "start (grants of a killed run are kept) and deleted on exit:\n"
        + NftScripts.install(settings.reply() == KnockReply.AUTO
            ? settings.withReply(KnockReply.RESET) : settings)
        + (settings.reply() == KnockReply.AUTO ? "(KnockReply = auto: knockd reads 'nft list "
            + "ruleset' at start; if a base chain on hook input has policy drop, every reject "
            + "above becomes drop.)\n" : "")
        + "A grant adds a set element the kernel expires, daemon or not, e.g.\n  "
        + NftScripts.addWithTimeout(set, Access.EXAMPLE, Duration.ofMinutes(30))
        + "\nand for an IPv6 source an element of set '" + set6 + "' (type " + NftScripts.SET_TYPE6
        + ").\nNote: an accept in this table does not override a drop in another table's input "
        + "chain; if your ruleset drops by default, use the shared-set mode.";
  }

  @Override
  public synchronized void install() throws FirewallException {
    if (shared) {
      String listing = nft.list(List.of("set", set.family(), set.table(), set.set()));
      if (!listing.contains("type " + NftScripts.SET_TYPE)
          || !listing.matches("(?s).*flags [a-z,]*timeout.*")) {
        throw new FirewallException("nft set '" + set + "' must have type " + NftScripts.SET_TYPE
            + " and flags timeout");
      }
      return;
    }
    FirewallSettings s = settings;
    if (s.reply() == KnockReply.AUTO) {
      boolean drops = HostPolicy.nftDropsInput(nft.list(List.of("ruleset")));
      s = s.withReply(KnockReply.AUTO.resolve(drops));
      LOG.info("KnockReply auto: the host's input policy {}: knock and protected ports {}",
          drops ? "drops" : "accepts", drops ? "drop (look filtered)" : "reset (look closed)");
    }
    try {
      nft.apply(NftScripts.install(s));
    } catch (FirewallException adoptFailed) {
      LOG.warn("cannot adopt leftover nft table inet {} ({}); recreating it",
          settings.name(), adoptFailed.getMessage());
      nft.apply(NftScripts.reinstall(s));
    }
  }

  @Override
  public synchronized void grant(Access access, Duration duration) throws FirewallException {
    GrantBook.checked(duration);
    nft.apply(NftScripts.grant(setFor(access), access, duration));
    book.put(access, clock.instant().plus(duration));
  }

  @Override
  public synchronized void revoke(Access access) throws FirewallException {
    nft.apply(NftScripts.revoke(setFor(access), List.of(access)));
    book.remove(access);
  }

  /** The set an access goes in: by its address family. */
  private NftSetRef setFor(Access access) throws FirewallException {
    if (!access.ipv6()) {
      return set;
    }
    if (set6 == null) {
      throw new FirewallException("cannot grant " + access + ": IPv6 grants need knockd's own "
          + "table (shared-set mode has an IPv4 set only)");
    }
    return set6;
  }

  @Override
  public synchronized List<Access> expire(Instant now) {
    book.due(now).forEach(book::remove);
    return List.of();
  }

  @Override
  public synchronized void close() {
    try {
      if (shared) {
        List<Access> live = List.copyOf(book.all().keySet());
        if (!live.isEmpty()) {
          nft.apply(NftScripts.revoke(set, live));
        }
      } else {
        nft.apply(NftScripts.uninstall(settings));
      }
    } catch (FirewallException e) {
      LOG.error("cannot remove knockd's nftables {}: {}",
          shared ? "elements of set " + set : "table inet " + settings.name(), e.getMessage());
    }
    nft.close();
    book.clear();
  }
}
