package org.knock.daemon.firewall;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.core.Protocol;
import org.knock.daemon.exec.CommandRunner;

/**
 * One family of the iptables backend ({@link IptablesFamily}: iptables for IPv4, ip6tables for
 * IPv6; {@link DualStackFirewall} joins the two): its own chain, jumped from INPUT position 1,
 * written atomically by iptables-restore at start and at each reload; each grant an ACCEPT rule
 * that the kernel stops matching at its end (a {@code time --datestop} match) and whose comment
 * holds that end ({@code knockd expires=EPOCH}), deleted by {@link #expire}. Fail closed: close
 * leaves the chain, the jump and the grants in place; {@link #install} reads an earlier run's
 * chain, drops its expired grants and keeps (and will expire) the others. Only {@link #remove}
 * deletes the chain.
 */
final class IptablesFirewall implements Firewall {
  private static final Logger LOG = LogManager.getLogger(IptablesFirewall.class);
  private static final Access EXAMPLE_REDIRECT =
      Access.redirect(Access.EXAMPLE.address(), 22, Access.EXAMPLE.protocol(), 41369);
  private static final Access EXAMPLE_REDIRECT6 =
      Access.redirect(Access.EXAMPLE6.address(), 22, Access.EXAMPLE6.protocol(), 41369);
  private FirewallSettings settings;
  private final String chain;
  private final Commands commands;
  private final Clock clock;
  private final IptablesFamily family;
  private final GrantBook book = new GrantBook();
  /** Whether this run has written its nat chain (at its first random-port grant). */
  private boolean natWritten;
  /** The reply of the rules last written ({@link KnockReply#AUTO} resolved), or null. */
  private KnockReply reply;

  /** The IPv4 half (iptables). */
  IptablesFirewall(FirewallSettings settings, Commands commands, Clock clock) {
    this(settings, commands, clock, IptablesFamily.V4);
  }

  IptablesFirewall(FirewallSettings settings, Commands commands, Clock clock,
      IptablesFamily family) {
    this.settings = settings;
    this.chain = settings.chain();
    this.commands = commands;
    this.clock = clock;
    this.family = family;
  }

  @Override
  public String describe() {
    return family.program() + " (" + family.ip() + "), chain " + chain + " jumped from INPUT "
        + "position 1, written with '" + String.join(" ", IptablesRules.restore(family))
        + "' at start and at each reload (unexpired "
        + "grants of an earlier run are kept); when knockd stops it stays, so the protected ports "
        + "stay closed (removed only with OnExit = remove or knockd --remove-rules):\n"
        + IptablesRules.restoreScript(settings.reply() == KnockReply.AUTO
            ? settings.withReply(KnockReply.RESET) : settings, Map.of(), true, family)
        + (settings.reply() == KnockReply.AUTO ? "(KnockReply = auto: knockd reads '"
            + family.program() + " -S' at start; with -P INPUT DROP every REJECT above becomes "
            + "DROP.)\n" : "")
        + "A grant inserts a rule at the top of the chain (" + family.program() + " -w -I " + chain
        + " 1 ...) that the kernel stops matching at its end (time --datestop, UTC), knockd "
        + "running or not; knockd deletes it when its time is up; " + family.program()
        + " -S lists it as e.g.\n  "
        + IptablesRules.grantLine(chain, family == IptablesFamily.V4 ? Access.EXAMPLE
            : Access.EXAMPLE6, 1_900_000_000L)
        + (family != IptablesFamily.V4 ? "\nA random-port grant (open 22 random; one address, "
        + "not a /64) adds, with the same end, a REDIRECT in chain " + chain + " of table nat "
        + "(jumped from PREROUTING position 1, written at the first such grant) and an accept "
        + "for the redirected flow only:\n  "
        + IptablesRules.grantLine(chain, EXAMPLE_REDIRECT6, 1_900_000_000L)
        + "\n  -t nat " + IptablesRules.natLine(chain, EXAMPLE_REDIRECT6, 1_900_000_000L)
        + "\nForwards are IPv4 only." : "\nA random-port grant (open 22 random) adds, with "
        + "the same end, a nat rule in chain "
        + chain + " of table nat (jumped from PREROUTING position 1, written at the first such "
        + "grant) that redirects the external port, and an accept for the redirected flow only:"
        + "\n  " + IptablesRules.grantLine(chain, EXAMPLE_REDIRECT, 1_900_000_000L)
        + "\n  -t nat " + IptablesRules.natLine(chain, EXAMPLE_REDIRECT, 1_900_000_000L)
        + "\nA forward ([forward NAME]) adds a DNAT rule there, an accept of the DNATed flow in "
        + "filter chain " + IptablesRules.forwardChain(chain) + " (jumped from FORWARD) and with "
        + "Masquerade = yes a MASQUERADE in nat chain " + IptablesRules.forwardChain(chain)
        + " (jumped from POSTROUTING), each with the grant's end; and once per external port, "
        + "for good, a refusal of a bare SYN that re-opens a reset flow after its grant, with the "
        + "protected ports' verdict, in chain " + IptablesRules.reopenChain(chain) + ", which "
        + "only such a SYN enters (after the accepts):\n  -A "
        + IptablesRules.forwardChain(chain) + " "
        + String.join(" ", IptablesRules.reopenJumpSpec(chain)) + "\n  -A "
        + IptablesRules.reopenChain(chain) + " "
        + String.join(" ", IptablesRules.reopenRefusalSpec(8443, List.of("-j", "REJECT",
            "--reject-with", "tcp-reset"))));
  }

  @Override
  public synchronized void install() throws FirewallException {
    String listing = commands.require(IptablesRules.listAll(family), null).out();
    IptablesRules.Leftovers left = IptablesRules.parse(listing, chain, family);
    long now = clock.instant().getEpochSecond();
    Map<Access, Long> kept = new LinkedHashMap<>();
    left.grants().forEach((access, epoch) -> {
      if (epoch > now) {
        kept.put(access, epoch);
      }
    });
    write(settings, listing, left, kept);
    book.clear();
    natWritten = false;
    kept.forEach((access, epoch) -> book.put(access, Instant.ofEpochSecond(epoch)));
    if (!left.grants().isEmpty()) {
      LOG.info("{} chain {} of a previous run: kept {} unexpired grants, removed {} expired",
          family.program(), chain, kept.size(), left.grants().size() - kept.size());
    }
  }

  /**
   * Rewrites the chain for {@code next} with the current grants in one iptables-restore commit:
   * the new rules replace the old ones atomically, so no packet sees a chain without its drop.
   */
  @Override
  public synchronized void reconfigure(FirewallSettings next) throws FirewallException {
    String listing = commands.require(IptablesRules.listAll(family), null).out();
    Map<Access, Long> grants = new LinkedHashMap<>();
    book.all().forEach((access, end) -> grants.put(access, end.getEpochSecond()));
    write(next, listing, IptablesRules.parse(listing, chain, family), grants);
    settings = next;
  }

  /**
   * Writes the chain (and the jump if INPUT has none) for {@code s}, resolving auto first; if the
   * listing has knockd's filter forward chain (IPv4), rewrites it and its re-open chain in the
   * same commit, so an earlier run's refusals (of either layout) get the verdict of the
   * protected ports.
   */
  private void write(FirewallSettings s, String listing, IptablesRules.Leftovers left,
      Map<Access, Long> grants) throws FirewallException {
    if (s.reply() == KnockReply.AUTO) {
      boolean drops = HostPolicy.iptablesDropsInput(listing);
      s = s.withReply(KnockReply.AUTO.resolve(drops));
      LOG.info("KnockReply auto: {} INPUT policy {}: knock and protected ports {}",
          family.program(), drops ? "DROP" : "ACCEPT",
          drops ? "drop (look filtered)" : "reset (look closed)");
    }
    IptablesRules.ForwardLeftovers forward = family == IptablesFamily.V4
        ? IptablesRules.ForwardLeftovers.of(listing, chain) : null;
    commands.require(IptablesRules.restore(family),
        IptablesRules.restoreScript(s, grants, left.jumps() == 0, family, forward));
    reply = s.reply();
  }

  /**
   * The protected ports' TCP target, which refuses re-opened forwarded flows too: of the rules
   * last written, or (no rules written by this object yet) resolved from {@code filter}.
   */
  private List<String> refuse(String filter) throws FirewallException {
    if (reply == null) {
      String listing = filter != null ? filter
          : commands.require(IptablesRules.listAll(family), null).out();
      reply = settings.reply().resolve(HostPolicy.iptablesDropsInput(listing));
    }
    return family.target(settings.withReply(reply).iptablesTarget(Protocol.TCP));
  }

  @Override
  public synchronized void grant(Access access, Duration duration) throws FirewallException {
    if (IptablesFamily.of(access) != family) {
      throw new FirewallException("cannot grant " + access + " with " + family.program());
    }
    if (access.forwarded() && family != IptablesFamily.V4) {
      throw FirewallException.refused("cannot grant " + access + ": a forward needs an IPv4 "
          + "source (its inner host is IPv4; an IPv6 source would need NAT64)");
    }
    if (access.redirected() && access.network()) {
      throw FirewallException.refused("cannot grant " + access + ": a random port is for one "
          + "address, not a /64 (knock without --allow-prefix 64)");
    }
    Instant end = wholeSecondAtOrAfter(clock.instant().plus(GrantBook.checked(duration)));
    Instant old = book.end(access);
    if (end.equals(old)) {
      return;
    }
    long epoch = end.getEpochSecond();
    String filter = access.external() != 0 ? natReady() : null;
    commands.require(IptablesRules.insertGrant(chain, access, epoch), null);
    if (access.masquerade()) {
      commands.require(IptablesRules.insertMasquerade(chain, access, epoch), null);
    }
    if (access.external() != 0) { // last: the redirect never leads to a drop
      commands.require(IptablesRules.insertNat(chain, access, epoch), null);
    }
    if (access.forwarded() && access.protocol() == Protocol.TCP) {
      List<String> refuse = refuse(filter);
      if (!commands.attempt(IptablesRules.reopenRefusal("-C", chain, access.external(), refuse),
          null).succeeded()) { // once per external port, kept after the grant (natReady keeps it)
        commands.require(IptablesRules.reopenRefusal("-A", chain, access.external(), refuse),
            null);
      }
    }
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
  public synchronized Map<Access, Instant> grants() {
    return book.all();
  }

  @Override
  public synchronized List<Access> expire(Instant now) throws FirewallException {
    return book.expire(now, this::delete);
  }

  @Override
  public synchronized String remove() throws FirewallException {
    CommandRunner.Result listing = commands.attempt(IptablesRules.listAll(family), null);
    IptablesRules.Leftovers left = IptablesRules.parse(listing.out(), chain, family);
    book.clear();
    natWritten = false;
    String natFailure = removeNat();
    if (listing.succeeded() && !left.chainExists() && left.jumps() == 0) {
      if (natFailure != null) {
        throw new FirewallException("cannot remove knockd's iptables nat chain " + chain + ": "
            + natFailure);
      }
      return "nothing (no " + family.program() + " chain " + chain + ")";
    }
    // a failed listing: try everything; else only what is there
    List<List<String>> removal = IptablesRules.removal(chain,
        listing.succeeded() ? left.jumps() : 1, family);
    if (listing.succeeded() && !left.chainExists()) {
      removal = removal.subList(0, removal.size() - 2);
    }
    String failure = natFailure;
    for (List<String> argv : removal) {
      CommandRunner.Result r = commands.attempt(argv, null);
      if (!r.succeeded() && failure == null) {
        failure = commands.failure(argv, r);
      }
    }
    if (failure != null) {
      throw new FirewallException("cannot remove knockd's " + family.program() + " chain "
          + chain + ": " + failure);
    }
    return family.program() + " chain " + chain + " and its jump from INPUT";
  }

  /**
   * Removes knockd's nat chains, its forward chain and their jumps, as far as they are there;
   * the first failure, or null.
   */
  private String removeNat() {
    CommandRunner.Result nat = commands.attempt(IptablesRules.listNat(family), null);
    if (!nat.succeeded()) {
      return null; // no nat table to list (no iptable_nat): no redirect or forward was made
    }
    CommandRunner.Result filter = commands.attempt(IptablesRules.listAll(family), null);
    String failure = null;
    for (List<String> argv : IptablesRules.forwardRemoval(filter.out(), nat.out(), chain,
        family)) {
      CommandRunner.Result r = commands.attempt(argv, null);
      if (!r.succeeded() && failure == null) {
        failure = commands.failure(argv, r);
      }
    }
    return failure;
  }

  /** Leaves the chain, its jump and the grants (which end by their time match) in place. */
  @Override
  public synchronized void close() {
    book.clear();
  }

  /**
   * Writes knockd's nat chain (table nat, jumped from PREROUTING position 1) once per run, with
   * the nat rules of the redirected grants it knows (adopted ones included), and (IPv4) the
   * filter forward chain and its re-open chain, keeping the refused ports the listing shows, in
   * one iptables-restore commit: a killed run's rules of expired grants go with it. Returns the
   * filter listing it read, or null if the nat chain was written before.
   */
  private String natReady() throws FirewallException {
    if (natWritten) {
      return null;
    }
    String nat = commands.require(IptablesRules.listNat(family), null).out();
    String filter = commands.require(IptablesRules.listAll(family), null).out();
    Map<Access, Long> grants = new LinkedHashMap<>();
    book.all().forEach((access, end) -> grants.put(access, end.getEpochSecond()));
    commands.require(IptablesRules.restore(family), IptablesRules.natScript(chain, grants,
        IptablesRules.Jumps.of(filter, nat, chain), family,
        IptablesRules.reopenPorts(filter, chain), refuse(filter)));
    natWritten = true;
    return filter;
  }

  /** Deletes a grant rule; a rule that is already gone counts as deleted. */
  private void delete(Access access, Instant end) throws FirewallException {
    long epoch = end.getEpochSecond();
    if (access.external() != 0) { // the redirect first; without the accept it leads nowhere
      commands.attempt(IptablesRules.deleteNat(chain, access, epoch), null);
    }
    if (access.masquerade()) {
      commands.attempt(IptablesRules.deleteMasquerade(chain, access, epoch), null);
    }
    List<String> argv = IptablesRules.deleteGrant(chain, access, epoch);
    CommandRunner.Result r = commands.attempt(argv, null);
    if (r.succeeded()) {
      return;
    }
    CommandRunner.Result listing = commands.attempt(IptablesRules.listAll(family), null);
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
