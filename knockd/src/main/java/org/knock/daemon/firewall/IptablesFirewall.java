package org.knock.daemon.firewall;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.daemon.exec.CommandRunner;

/**
 * The iptables (IPv4) backend: its own chain, jumped from INPUT position 1, written atomically by
 * iptables-restore; each grant an ACCEPT rule whose comment holds its end
 * ({@code knockd expires=EPOCH}), removed by {@link #expire}. Crash-safe: {@link #install} reads a
 * killed run's chain, drops its expired grants and keeps (and will expire) the others. Close
 * removes the jump and the chain.
 */
final class IptablesFirewall implements Firewall {
  private static final Logger LOG = LogManager.getLogger(IptablesFirewall.class);
  private final FirewallSettings settings;
  private final String chain;
  private final Commands commands;
  private final Clock clock;
  private final GrantBook book = new GrantBook();

  IptablesFirewall(FirewallSettings settings, Commands commands, Clock clock) {
    this.settings = settings;
    this.chain = settings.chain();
    this.commands = commands;
    this.clock = clock;
  }

  @Override
  public String describe() {
    return "iptables (IPv4), chain " + chain + " jumped from INPUT position 1, written with '"
        + String.join(" ", IptablesRules.restore()) + "' at start (unexpired grants of a killed "
        + "run are kept) and removed on exit:\n"
        + IptablesRules.restoreScript(settings.reply() == KnockReply.AUTO
            ? settings.withReply(KnockReply.RESET) : settings, Map.of(), true)
        + (settings.reply() == KnockReply.AUTO ? "(KnockReply = auto: knockd reads 'iptables -S' "
            + "at start; with -P INPUT DROP every REJECT above becomes DROP.)\n" : "")
        + "A grant inserts a rule at the top of the chain (iptables -w -I " + chain + " 1 ...) and "
        + "knockd deletes it when its time is up; iptables -S lists it as e.g.\n  "
        + IptablesRules.grantLine(chain, Access.EXAMPLE, 1_900_000_000L);
  }

  @Override
  public synchronized void install() throws FirewallException {
    String listing = commands.require(IptablesRules.listAll(), null).out();
    IptablesRules.Leftovers left = IptablesRules.parse(listing, chain);
    FirewallSettings s = settings;
    if (s.reply() == KnockReply.AUTO) {
      boolean drops = HostPolicy.iptablesDropsInput(listing);
      s = s.withReply(KnockReply.AUTO.resolve(drops));
      LOG.info("KnockReply auto: INPUT policy {}: knock and protected ports {}",
          drops ? "DROP" : "ACCEPT", drops ? "drop (look filtered)" : "reset (look closed)");
    }
    long now = clock.instant().getEpochSecond();
    Map<Access, Long> kept = new LinkedHashMap<>();
    left.grants().forEach((access, epoch) -> {
      if (epoch > now) {
        kept.put(access, epoch);
      }
    });
    commands.require(IptablesRules.restore(),
        IptablesRules.restoreScript(s, kept, left.jumps() == 0));
    book.clear();
    kept.forEach((access, epoch) -> book.put(access, Instant.ofEpochSecond(epoch)));
    if (!left.grants().isEmpty()) {
      LOG.info("iptables chain {} of a previous run: kept {} unexpired grants, removed {} expired",
          chain, kept.size(), left.grants().size() - kept.size());
    }
  }

  @Override
  public synchronized void grant(Access access, Duration duration) throws FirewallException {
    if (access.ipv6()) { // ip6tables: not yet (issue 15, step 2)
      throw new FirewallException("cannot grant " + access + ": the iptables backend grants "
          + "IPv4 addresses only; use Firewall = nftables for IPv6");
    }
    Instant end = wholeSecondAtOrAfter(clock.instant().plus(GrantBook.checked(duration)));
    Instant old = book.end(access);
    if (end.equals(old)) {
      return;
    }
    commands.require(IptablesRules.insertGrant(chain, access, end.getEpochSecond()), null);
    book.put(access, end);
    if (old != null) {
      delete(access, old);
    }
  }

  @Override
  public synchronized void revoke(Access access) throws FirewallException {
    Instant end = book.end(access);
    if (end != null) {
      delete(access, end);
      book.remove(access);
    }
  }

  @Override
  public synchronized List<Access> expire(Instant now) throws FirewallException {
    return book.expire(now, this::delete);
  }

  @Override
  public synchronized void close() {
    CommandRunner.Result listing = commands.attempt(IptablesRules.listAll(), null);
    IptablesRules.Leftovers left = IptablesRules.parse(listing.out(), chain);
    if (listing.succeeded() && !left.chainExists() && left.jumps() == 0) {
      book.clear();
      return;
    }
    for (List<String> argv : IptablesRules.removal(chain, Math.max(1, left.jumps()))) {
      CommandRunner.Result r = commands.attempt(argv, null);
      if (!r.succeeded()) {
        LOG.error("cannot remove knockd's iptables chain: {}", commands.failure(argv, r));
      }
    }
    book.clear();
  }

  /** Deletes a grant rule; a rule that is already gone counts as deleted. */
  private void delete(Access access, Instant end) throws FirewallException {
    long epoch = end.getEpochSecond();
    List<String> argv = IptablesRules.deleteGrant(chain, access, epoch);
    CommandRunner.Result r = commands.attempt(argv, null);
    if (r.succeeded()) {
      return;
    }
    CommandRunner.Result listing = commands.attempt(IptablesRules.listAll(), null);
    if (listing.succeeded()
        && !listing.out().lines().anyMatch(IptablesRules.grantLine(chain, access, epoch)::equals)) {
      return;
    }
    throw new FirewallException(commands.failure(argv, r));
  }

  private static Instant wholeSecondAtOrAfter(Instant t) {
    return t.getNano() == 0 ? t : Instant.ofEpochSecond(t.getEpochSecond() + 1);
  }
}
