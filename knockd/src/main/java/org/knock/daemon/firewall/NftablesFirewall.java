package org.knock.daemon.firewall;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.daemon.netlink.NetlinkException;

/**
 * The nftables backend. Managed mode: its own {@code table inet NAME} whose input chain accepts
 * established traffic and the granted set, drops the protected ports and logs-and-drops knocks;
 * installed and reconfigured in one transaction each, left in place on close (fail closed) and
 * deleted only by {@link #remove}. Shared-set mode: only adds and deletes elements of a set in the
 * admin's own table, and IPv6 grants in the same table's sets SET6 and SET6net when it has them
 * (checked at start and at each reload; without them IPv6 grants are refused). Either way a grant is a set element with a timeout, so the kernel ends it
 * even if knockd is stopped or dies.
 */
final class NftablesFirewall implements Firewall {
  private static final Logger LOG = LogManager.getLogger(NftablesFirewall.class);
  private FirewallSettings settings;
  private final NftSetRef set;
  private NftSetRef set6; // IPv6 grants; shared-set mode: the admin's SET6 if it has one, else null
  private NftSetRef set6net; // IPv6 /64 grants; shared-set mode: the admin's SET6net, or null
  private final boolean shared;
  private final Nft nft;
  private final Clock clock;
  private final GrantBook book = new GrantBook();
  private final FastGrants fast; // null: every change through nft
  private boolean fastReady; // started at install
  private boolean fastFailed; // logged once

  /**
   * @param sharedSet the admin's set for shared-set mode, or null for a managed table
   */
  NftablesFirewall(FirewallSettings settings, NftSetRef sharedSet, Nft nft, Clock clock) {
    this(settings, sharedSet, nft, null, clock);
  }

  /**
   * @param fast writes plain grants and revokes of the managed sets {@code granted} and
   *     {@code granted6} (not in shared-set mode); null: nft writes them too
   */
  NftablesFirewall(FirewallSettings settings, NftSetRef sharedSet, Nft nft, FastGrants fast,
      Clock clock) {
    this.fast = sharedSet == null ? fast : null;
    this.settings = settings;
    this.shared = sharedSet != null;
    this.set = shared ? sharedSet : NftScripts.ownSet(settings);
    this.set6 = shared ? null : NftScripts.ownSet6(settings);
    this.set6net = shared ? null : NftScripts.ownSet6Net(settings);
    this.nft = nft;
    this.clock = clock;
  }

  @Override
  public String describe() {
    if (shared) {
      return "nftables, shared set: knockd installs nothing; it adds and deletes elements of set '"
          + set + "' (type " + NftScripts.SET_TYPE + "; flags timeout), e.g.\n  "
          + NftScripts.addWithTimeout(set, Access.EXAMPLE, Duration.ofMinutes(30))
          + "\nand, if your ruleset has them, IPv6 grants in set '" + shared6(set,
              FirewallOptions.SET6_SUFFIX) + "' (type " + NftScripts.SET_TYPE6 + "; flags timeout)"
          + " and /64 grants (knock --allow-prefix 64) in set '" + shared6(set,
              FirewallOptions.SET6NET_SUFFIX) + "' (flags interval, timeout); without them "
          + "IPv6 grants are refused.\nYour ruleset must accept that set and log knocks (ports " + settings.knockStart()
          + "-" + settings.knockEnd() + ") with prefix \"" + settings.logPrefix()
          + "\": see etc/nftables-shared.nft. When knockd stops, its elements stay until their "
          + "timeouts end them (with OnExit = remove knockd deletes the elements it added).";
    }
    return "nftables, own table 'inet " + settings.name() + "', written in one transaction at "
        + "start and at each reload (grants of an earlier run are kept, and adopted from 'nft -j "
        + "list' so that a close knock ends them); when knockd stops it "
        + "stays, so the protected ports stay closed (deleted only with OnExit = remove or "
        + "knockd --remove-rules):\n"
        + NftScripts.install(settings.reply() == KnockReply.AUTO
            ? settings.withReply(KnockReply.RESET) : settings)
        + (settings.reply() == KnockReply.AUTO ? "(KnockReply = auto: knockd reads 'nft list "
            + "ruleset' at start; if a base chain on hook input has policy drop, every reject "
            + "above becomes drop.)\n" : "")
        + "A grant adds a set element the kernel expires, daemon or not, e.g.\n  "
        + NftScripts.addWithTimeout(set, Access.EXAMPLE, Duration.ofMinutes(30))
        + "\nand for an IPv6 source an element of set '" + set6 + "' (type " + NftScripts.SET_TYPE6
        + "; an IPv6 /64 goes in set '" + set6net + "', flags interval).\nA random-port grant "
        + "(open 22 random) adds, with the same timeout, an element of "
        + "map '" + NftScripts.MAP_NAME + "' that chain " + NftScripts.NAT_CHAIN
        + " redirects, and one of set '" + NftScripts.REDIRECTED_NAME + "' that accepts the "
        + "redirected flow (for an IPv6 source: map '" + NftScripts.MAP_NAME6 + "' and set '"
        + NftScripts.REDIRECTED_NAME6 + "'; not for a /64), e.g.\n"
        + NftScripts.grantRedirect("inet " + settings.name(), Access.redirect(
            Access.EXAMPLE.address(), 22, org.knock.core.Protocol.TCP, 41369),
            Duration.ofMinutes(30)).lines()
            .filter(l -> l.contains("timeout")).map(l -> "  " + l + "\n")
            .collect(java.util.stream.Collectors.joining())
        + "A forward ([forward NAME]) adds, with the same timeout, an element of map '"
        + NftScripts.FORWARDS + "' (DNAT in chain " + NftScripts.NAT_CHAIN + "), one of set '"
        + NftScripts.FORWARDED + "' (accepted in chain forward) and with Masquerade = yes one of "
        + "set '" + NftScripts.MASQUERADED + "' (masqueraded in chain postrouting), and its "
        + "protocol . external port to set '" + NftScripts.FORWARD_PORTS + "' for good (chain "
        + "forward refuses, as the protected ports, a bare SYN that re-opens a reset flow of "
        + "such a port after its grant).\n"
        + "Note: an accept in this table does not override a drop in another table's input "
        + "chain; if your ruleset drops by default, use the shared-set mode.\n"
        + (fast == null ? "Every change goes through one nft -i process."
            : "Where it can (started at install), " + fast.describe() + ".");
  }

  /** What the start's {@link #install} ended: a leftover table recreated. */
  private Ended endedAtInstall = Ended.NONE;

  @Override
  public synchronized void install() throws FirewallException {
    apply(settings, true);
    adopt(settings);
    String how = startFast();
    if (how != null) {
      LOG.info("nftables grants{}", how);
    }
  }

  /**
   * Opens the fast path and makes one round trip, so the first knock finds it linked and warm.
   *
   * @return what grants go through, for the log; null if there is no fast path
   */
  synchronized String startFast() {
    if (fast == null) {
      return null;
    }
    try {
      fast.start();
      fastReady = true;
      return ": " + fast.describe();
    } catch (NetlinkException e) {
      fastReady = false;
      return " go through nft -i: " + e.getMessage();
    }
  }

  /** A netlink round trip that changes nothing, where grants go through netlink. */
  @Override
  public synchronized boolean warm() {
    if (fast == null || !fastReady) {
      return false;
    }
    try {
      fast.ping();
      return true;
    } catch (NetlinkException e) {
      return false; // the next grant finds out, and goes through nft if it fails too
    }
  }

  /** Whether the fast path writes this plain grant or revoke: its own sets, exact addresses. */
  private boolean fastFor(Access access) {
    return fastReady && !access.forwarded() && !access.redirected() && !access.network();
  }

  /** The first failure of the fast path, in one line; later ones silently go through nft too. */
  private void fastFailed(Access access, NetlinkException e) {
    if (!fastFailed) {
      fastFailed = true;
      LOG.warn("netlink could not write the change for {} ({}); it goes through nft -i, as "
          + "will any later such failure (logged only this once)", access, e.getMessage());
    }
  }

  @Override
  public synchronized void reconfigure(FirewallSettings next) throws FirewallException {
    apply(next, false);
    settings = next;
    adopt(next);
  }

  /**
   * Enters the live elements of the managed table that the book lacks (an earlier run's grants:
   * plain ones, random-port redirects, forwards) with the time the kernel gives them, so that
   * {@link #grants} and a close knock see them. Never throws: a listing that fails or does not
   * parse is one log line, elements of a shape knockd never writes are left in the kernel and
   * named in one line. Nothing in shared-set mode (the set is the admin's).
   */
  private void adopt(FirewallSettings s) {
    if (shared) {
      return;
    }
    List<String> failed = new java.util.ArrayList<>();
    NftLeftovers.Leftovers left = listLeftovers(s, failed);
    Instant now = clock.instant();
    int plain = 0;
    int redirects = 0;
    int forwards = 0;
    for (Map.Entry<Access, Duration> e : left.live().entrySet()) {
      Access a = e.getKey();
      if (book.end(a) == null) {
        book.put(a, now.plus(e.getValue()));
        plain += a.external() == 0 ? 1 : 0;
        redirects += a.redirected() ? 1 : 0;
        forwards += a.forwarded() ? 1 : 0;
      }
    }
    String table = "nftables table inet " + s.name();
    if (plain + redirects + forwards > 0) {
      LOG.info("{}: adopted {} plain grant(s), {} random-port redirect(s), {} forward(s) of an "
          + "earlier run with their kernel timeouts (a close knock ends them)", table, plain,
          redirects, forwards);
    }
    if (!left.odd().isEmpty()) {
      LOG.warn("{}: left alone {} element(s) knockd does not write: {}", table, left.odd().size(),
          String.join("; ", left.odd().subList(0, Math.min(3, left.odd().size())))
              + (left.odd().size() > 3 ? "; ..." : ""));
    }
    if (!failed.isEmpty()) {
      LOG.warn("{}: cannot read {} (grants there still end by their kernel timeouts, but a close "
          + "knock cannot end them early)", table, String.join("; ", failed));
    }
  }

  /**
   * Reads the managed table's sets and maps ({@link NftLeftovers}); what could not be listed or
   * read goes to {@code failed}, one line each.
   */
  private NftLeftovers.Leftovers listLeftovers(FirewallSettings s, List<String> failed) {
    Map<String, String> listings = new java.util.LinkedHashMap<>();
    for (List<String> what : NftLeftovers.LISTED) {
      try {
        String json = nft.listJson(List.of(what.get(0), "inet", s.name(), what.get(1)));
        if (json.length() >= Firewalls.LISTING_OUTPUT) { // cut there: say so, not "not JSON"
          failed.add(String.join(" ", what) + ": longer than " + Firewalls.LISTING_OUTPUT
              / 1024 + " KiB, not read");
        } else {
          listings.put(String.join(" ", what), json);
        }
      } catch (FirewallException e) {
        failed.add(String.join(" ", what) + ": " + e.getMessage());
      }
    }
    NftLeftovers.Leftovers left = NftLeftovers.read(listings);
    failed.addAll(left.errors());
    return left;
  }

  @Override
  public synchronized Ended endedAtInstall() {
    return endedAtInstall;
  }

  /**
   * Checks the shared set, or writes the managed table for {@code s} in one transaction
   * ({@link NftScripts#install}: the chain is flushed and rewritten, the set and its elements
   * stay). At start a leftover that cannot be adopted is recreated; at a reload a failure
   * changes nothing.
   */
  private void apply(FirewallSettings next, boolean starting) throws FirewallException {
    if (shared) {
      checkShared(set, NftScripts.SET_TYPE, "timeout", nft.list(List.of("set", set.family(),
          set.table(), set.set())));
      NftSetRef six = sharedIfThere(shared6(set, FirewallOptions.SET6_SUFFIX), "timeout");
      NftSetRef sixNet = sharedIfThere(shared6(set, FirewallOptions.SET6NET_SUFFIX),
          "interval, timeout");
      set6 = six;
      set6net = sixNet;
      LOG.info("nftables shared set: IPv6 grants {}; IPv6 /64 grants {}",
          six == null ? "refused (no set " + shared6(set, FirewallOptions.SET6_SUFFIX) + ")"
              : "in set " + six,
          sixNet == null ? "refused (no set " + shared6(set, FirewallOptions.SET6NET_SUFFIX) + ")"
              : "in set " + sixNet);
      return;
    }
    FirewallSettings s = next;
    if (s.reply() == KnockReply.AUTO) {
      boolean drops = HostPolicy.nftDropsInput(nft.list(List.of("ruleset")));
      s = s.withReply(KnockReply.AUTO.resolve(drops));
      LOG.info("KnockReply auto: the host's input policy {}: knock and protected ports {}",
          drops ? "drops" : "accepts", drops ? "drop (look filtered)" : "reset (look closed)");
    }
    try {
      nft.apply(NftScripts.install(s));
    } catch (FirewallException adoptFailed) {
      if (!starting) {
        throw adoptFailed;
      }
      LOG.warn("cannot adopt leftover nft table inet {} ({}); recreating it",
          s.name(), adoptFailed.getMessage());
      List<String> unread = new java.util.ArrayList<>(); // what the recreation ends: on record
      NftLeftovers.Leftovers left = listLeftovers(s, unread);
      nft.apply(NftScripts.reinstall(s));
      endedAtInstall = new Ended(List.copyOf(left.live().keySet()),
          unread.isEmpty() ? left.odd().size() : -1, "nftables table inet " + s.name());
    }
  }

  /** The admin's IPv6 set next to its IPv4 set {@code set}: the same name with a suffix. */
  private static NftSetRef shared6(NftSetRef set, String suffix) {
    return new NftSetRef(set.family(), set.table(), set.set() + suffix);
  }

  /** Checks a set's listing: its type and flags (e.g. "interval, timeout"), one line if wrong. */
  private static void checkShared(NftSetRef s, String type, String flags, String listing)
      throws FirewallException {
    boolean ok = listing.contains("type " + type);
    for (String f : flags.split(", ")) {
      ok &= listing.matches("(?s).*flags [a-z,]*\\b" + f + "\\b.*");
    }
    if (!ok) {
      throw new FirewallException("nft set '" + s + "' must have type " + type + " and flags "
          + flags);
    }
  }

  /**
   * An IPv6 set of the admin's table for shared-set mode: null if the table has no such set (or
   * is not of family inet); checked like the IPv4 set if it is there.
   */
  private NftSetRef sharedIfThere(NftSetRef s, String flags) throws FirewallException {
    if (!s.family().equals("inet")) {
      return null;
    }
    String listing;
    try {
      listing = nft.list(List.of("set", s.family(), s.table(), s.set()));
    } catch (FirewallException absent) {
      return null;
    }
    checkShared(s, NftScripts.SET_TYPE6, flags, listing);
    return s;
  }

  @Override
  public synchronized void grant(Access access, Duration duration) throws FirewallException {
    GrantBook.checked(duration);
    if (fastFor(access)) {
      try {
        fast.grant(setFor(access), access, duration);
        book.put(access, clock.instant().plus(duration));
        return;
      } catch (NetlinkException e) {
        fastFailed(access, e);
      }
    }
    nft.apply(access.forwarded() ? NftScripts.grantForward(redirectTable(access), access,
        duration, access.masquerade())
        : access.redirected() ? NftScripts.grantRedirect(redirectTable(access), access, duration)
        : NftScripts.grant(setFor(access), access, duration));
    book.put(access, clock.instant().plus(duration));
  }

  @Override
  public synchronized void revoke(Access access) throws FirewallException {
    if (fastFor(access)) {
      try {
        fast.revoke(setFor(access), access);
        book.remove(access);
        return;
      } catch (NetlinkException e) {
        fastFailed(access, e);
      }
    }
    nft.apply(access.forwarded() ? NftScripts.revokeForward(redirectTable(access), access)
        : access.redirected() ? NftScripts.revokeRedirect(redirectTable(access), access)
        : NftScripts.revoke(setFor(access), List.of(access)));
    book.remove(access);
  }

  @Override
  public synchronized Map<Access, Instant> grants() {
    return book.all();
  }

  /** The managed table's grants are all adopted at start; the shared set's are not. */
  @Override
  public boolean knowsEveryGrant() {
    return !shared;
  }

  /**
   * The table whose nat maps redirect and forward an access: knockd's own. A random port is for
   * one address (IPv4, or IPv6: maps {@code redirects6}, {@code redirected6}), not a /64; a
   * forward needs an IPv4 source (the inner hosts are IPv4: an IPv6 source would need NAT64).
   */
  private String redirectTable(Access access) throws FirewallException {
    if (shared) {
      throw FirewallException.refused("cannot grant " + access + ": random ports and forwards "
          + "need knockd's own table (not shared-set mode)");
    }
    if (access.ipv6() && access.forwarded()) {
      throw FirewallException.refused("cannot grant " + access + ": a forward needs an IPv4 "
          + "source (its inner host is IPv4; an IPv6 source would need NAT64)");
    }
    if (access.network()) {
      throw FirewallException.refused("cannot grant " + access + ": a random port is for one "
          + "address, not a /64 (knock without --allow-prefix 64)");
    }
    return "inet " + settings.name();
  }

  /** The set an access goes in: by its address family. */
  private NftSetRef setFor(Access access) throws FirewallException {
    if (!access.ipv6()) {
      return set;
    }
    NftSetRef s = access.network() ? set6net : set6;
    if (s == null) { // shared-set mode without the admin's IPv6 set
      String suffix = access.network() ? FirewallOptions.SET6NET_SUFFIX
          : FirewallOptions.SET6_SUFFIX;
      throw FirewallException.refused("cannot grant " + access + ": shared-set mode puts IPv6 "
          + (access.network() ? "/64 " : "") + "grants in set '" + shared6(set, suffix)
          + "' (type " + NftScripts.SET_TYPE6 + "; flags " + (access.network() ? "interval, "
          : "") + "timeout), which your ruleset does not have: see etc/nftables-shared.nft");
    }
    return s;
  }

  @Override
  public synchronized List<Access> expire(Instant now) {
    book.due(now).forEach(book::remove);
    return List.of();
  }

  @Override
  public synchronized String remove() throws FirewallException {
    try {
      if (shared) {
        List<Access> live = List.copyOf(book.all().keySet());
        java.util.Map<NftSetRef, List<Access>> bySet = new java.util.LinkedHashMap<>();
        for (Access a : live) {
          bySet.computeIfAbsent(setFor(a), k -> new java.util.ArrayList<>()).add(a);
        }
        if (!live.isEmpty()) {
          StringBuilder script = new StringBuilder();
          bySet.forEach((s, as) -> script.append(NftScripts.revoke(s, as)));
          nft.apply(script.toString());
        }
        book.clear();
        return live.size() + " element(s) knockd added to nftables set " + set
            + " (knockd installs no rules in shared-set mode: the set and its rules are yours)";
      }
      boolean existed = exists();
      nft.apply(NftScripts.uninstall(settings));
      book.clear();
      return existed ? "nftables table inet " + settings.name()
          : "nothing (no nftables table inet " + settings.name() + ")";
    } catch (FirewallException e) {
      throw new FirewallException("cannot remove knockd's nftables "
          + (shared ? "elements of set " + set : "table inet " + settings.name()) + ": "
          + e.getMessage());
    }
  }

  /** Whether the managed table is there (a failed listing counts as no: removal still runs). */
  private boolean exists() {
    try {
      nft.list(List.of("table", "inet", settings.name()));
      return true;
    } catch (FirewallException e) {
      return false;
    }
  }

  /** Leaves the table (or the set's elements) in the kernel; ends the nft process. */
  @Override
  public synchronized void close() {
    nft.close();
    if (fast != null) {
      fast.close();
      fastReady = false;
    }
    book.clear();
  }
}
