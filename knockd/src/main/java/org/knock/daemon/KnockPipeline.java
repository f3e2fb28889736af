package org.knock.daemon;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.knock.core.Command;
import org.knock.core.DecodeResult;
import org.knock.core.Knock;
import org.knock.core.Payload;
import org.knock.core.Protocol;
import org.knock.daemon.audit.Audit;
import org.knock.daemon.config.ActionConfig;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ForwardConfig;
import org.knock.daemon.config.KnockRange;
import org.knock.daemon.config.UserConfig;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallException;
import org.knock.daemon.log.LoggedPacket;
import org.knock.daemon.log.PacketHandler;
import org.knock.daemon.log.Transport;
import org.knock.daemon.trace.LatencyTrace;

/**
 * What knockd does with one logged packet, in order: precheck (protocol, denied sources, the
 * knock range, SYN only) → static doors → per-source tracking and knock-core's decoder (tag,
 * timestamp, address rule, replay) → the user's access check → the firewall, an action or the
 * deny list. Every decision is audited; a {@link HuntDetector} sees every range packet and refusal
 * and its reports are audited by {@link #sweep}, which also ends old sequences, expires grants and
 * retries failed firewall changes. Not thread-safe: the daemon calls it from one thread at a time.
 */
final class KnockPipeline implements PacketHandler {
  /** Runs commands (actions, door commands) off the pipeline's thread. */
  interface Commands {
    void runAction(ActionConfig action, String user, String ip, String source);

    void openDoor(DoorMatcher.Door door, String source);
  }

  /** How many failed firewall changes are retried, once a sweep each. */
  static final int FIREWALL_RETRIES = 5;
  /** How often flood evictions and budget refusals are summarised in the audit log. */
  static final Duration EVICTION_REPORT = Duration.ofMinutes(1);
  private static final int MAX_DENIED = 65536;
  static final int MAX_CLOSED = 65536;

  private final Config config;
  private final Clock clock;
  private final SourceTracker tracker;
  private final Ipv6Sources tracker6;
  private HuntDetector<Integer> hunts; // a reload may hand over its predecessor's
  private HuntDetector<Ipv6Address> hunts6;
  private final DoorMatcher doors;
  private final Firewall firewall;
  private final Audit audit;
  private final Commands commands;
  private final KnockRange range;
  private final boolean udpKnocks;
  private final Map<String, Instant> denied = new LinkedHashMap<>();
  private final Map<Access, Instant> grants = new LinkedHashMap<>();
  /**
   * The forward each of this run's forward grants was made for: {@code close NAME} ends them even
   * after a reload pointed NAME elsewhere (grants adopted from an earlier run are matched by
   * their target, {@link #isOf}).
   */
  private final Map<Access, String> forwardOf = new LinkedHashMap<>();
  private final List<Retry> retries = new ArrayList<>();
  /**
   * This run's grants whose end was audited while the backend still held them (its removal
   * failed, {@link FirewallException#expired()}; it tries again at the next sweep): when it
   * removes them, that is no earlier run's grant to audit again.
   */
  private final java.util.Set<Access> expiredUnremoved = new java.util.HashSet<>();
  /** Retries {@link #carryOverState} left out, audited by {@link #carryOverInFlight}. */
  private final List<Retry> retriesDropped = new ArrayList<>();
  /**
   * Per user and grant a close knock ended ({@link #closeKey}, whether it was open or not), the
   * newest seal time (Unix seconds) of such a close: an open sealed before it is refused as
   * {@code superseded}. Entries older than TimeWindow go (an open that old is stale anyway); at
   * most {@link #MAX_CLOSED}, a user's own closes forgotten first.
   */
  private final CloseMemory closedAt = new CloseMemory(MAX_CLOSED);
  private final List<SourceTracker.Ended> ended = new ArrayList<>();
  private long deniedPackets;
  /** Sources whose held ports the replay's bound left out: reported as flood evictions. */
  private long replayLeftOut;
  private long evictionsReported;
  private Instant evictionsSince;
  private long refusalsReported;
  private Instant refusalsSince;
  /** The time {@link #packetTime} gave last. */
  private Instant packetTime;

  /**
   * A grant the firewall failed to make, to be tried again at the next sweep until {@code end};
   * {@code command} is what the user was allowed and {@code otherAddress} whether the knock
   * granted an address other than its source (its own /64 is its own), both checked again after
   * a reload.
   */
  private record Retry(Access access, Instant end, String user, Command command,
      boolean otherAddress, int attemptsLeft) {}

  KnockPipeline(Config config, Clock clock, SourceTracker tracker, DoorMatcher doors,
      Firewall firewall, Audit audit, Commands commands) {
    this.config = config;
    this.clock = clock;
    this.tracker = tracker;
    this.tracker6 = new Ipv6Sources(tracker);
    this.hunts = Wiring.huntDetector(config.options());
    this.hunts6 = Wiring.huntDetector6(config.options());
    this.doors = doors;
    this.firewall = firewall;
    this.audit = audit;
    this.commands = commands;
    this.range = config.options().knockPorts();
    this.udpKnocks = config.options().udpKnocks();
    this.evictionsSince = clock.instant();
    this.refusalsSince = evictionsSince;
  }

  @Override
  public void onPacket(LoggedPacket p) {
    LatencyTrace.mark(LatencyTrace.PARSED);
    Instant now = packetTime();
    Protocol proto = p.transport() == Transport.TCP ? Protocol.TCP
        : p.transport() == Transport.UDP ? Protocol.UDP : null;
    if (proto == null) {
      return;
    }
    int dport = p.destinationPort();
    boolean doorPort = doors.isSequencePort(dport, proto);
    boolean knockPort = range.contains(dport);
    if (!doorPort && !knockPort) {
      return;
    }
    // the address as text only when needed: a flood into the knock range allocates no String
    String src = doorPort || !denied.isEmpty() ? Access.text(p.source()) : null;
    if (src != null && isDenied(src, now)) {
      deniedPackets++;
      return;
    }
    if (doorPort) {
      List<String> flags = p.syn() ? (p.ack() ? List.of("syn", "ack") : List.of("syn"))
          : (p.ack() ? List.of("ack") : List.of());
      for (DoorMatcher.Door d : doors.offer(src, dport, proto, flags, now)) {
        if (!audit.doorOpened(d.name(), src)) {
          continue; // no command without its record
        }
        commands.openDoor(d, src);
        if (d.oneTime()) {
          doors.retire(d);
        }
      }
      return;
    }
    if (proto == Protocol.TCP ? !p.isInitialSyn() : !udpKnocks) {
      return;
    }
    ended.clear();
    if (!p.isIpv4()) {
      byte[] source6 = p.source().getAddress();
      hunts6.packet(Ipv6Address.of(source6), dport, now);
      DecodeResult r = tracker6.offer(source6, p.destination().getAddress(), p.sourcePort(),
          dport, now, ended);
      reportEnded(ended, true, now);
      decided(0, source6, r, now);
      return;
    }
    int source = p.sourceV4(); // once: each call copies the address's bytes
    hunts.packet(source, dport, now);
    DecodeResult r = tracker.offer(source, p.destinationV4(), p.sourcePort(), dport, now, ended);
    LatencyTrace.mark(LatencyTrace.DECODED);
    reportEnded(ended, false, now);
    decided(source, null, r, now);
  }

  /**
   * The clock's time to the millisecond, one {@link Instant} a millisecond: a packet allocates
   * none and skips the clock's nanosecond adjustment (a log read at 700 lines a millisecond made
   * 100,000 Instants a second). Everything a packet's time decides is in milliseconds or coarser.
   */
  private Instant packetTime() {
    long ms = clock.millis();
    Instant last = packetTime;
    if (last == null || last.toEpochMilli() != ms) {
      last = Instant.ofEpochMilli(ms);
      packetTime = last;
    }
    return last;
  }

  /**
   * Acts on an accepted knock; audits at once a refusal after a valid tag. The source is IPv6 if
   * {@code source6} is not null.
   */
  private void decided(int source, byte[] source6, DecodeResult r, Instant now) {
    if (r.isAccepted()) {
      if (source6 == null) {
        hunts.completed(source);
      } else {
        hunts6.completed(Ipv6Address.of(source6));
      }
      act(r.knock(), now);
    } else if (r.status() == DecodeResult.Status.REJECTED
        && SourceTracker.definitive(r.rejection())) {
      // the tag was right: someone holds a key. Say so at once, not when the sequence ends.
      audit.knockRejected(r.rejection(), source6 == null ? ip(source) : ip6(source6), null);
      if (source6 == null) {
        hunts.refused(source, r.rejection(), now);
      } else {
        hunts6.refused(Ipv6Address.of(source6), r.rejection(), now);
      }
    }
  }

  private void reportEnded(List<SourceTracker.Ended> list, boolean six, Instant now) {
    for (SourceTracker.Ended e : list) {
      if (!SourceTracker.definitive(e.strongest())) {
        if (six) {
          byte[] a = tracker6.address(e.source());
          audit.knockRejected(e.strongest(), ip6(a), null);
          hunts6.refused(Ipv6Address.of(a), e.strongest(), now);
        } else {
          audit.knockRejected(e.strongest(), ip(e.source()), null);
          hunts.refused(e.source(), e.strongest(), now);
        }
      }
    }
  }

  private void reportHunts(Instant now) {
    for (HuntDetector.Report<Integer> h : hunts.sweep(now)) {
      reportHunt(h, ip(h.source()));
    }
    for (HuntDetector.Report<Ipv6Address> h : hunts6.sweep(now)) {
      reportHunt(h, ip6(h.source().bytes()));
    }
  }

  private void reportHunt(HuntDetector.Report<?> h, String src) {
    if (h.end()) {
      audit.huntEnded(h.kind() == HuntDetector.Kind.SCAN ? "scan" : "knock-hunt", src, h.ports(),
          h.sequences(), h.badTags(), h.replays(), h.interval());
    } else if (h.kind() == HuntDetector.Kind.SCAN) {
      audit.scanDetected(src, h.ports(), h.sequences(), h.badTags(), h.replays(), h.interval());
    } else {
      audit.knockHunt(src, h.ports(), h.sequences(), h.badTags(), h.replays(), h.interval());
    }
  }

  private boolean isDenied(String src, Instant now) {
    Instant until = denied.get(src);
    if (until == null) {
      return false;
    }
    if (now.isBefore(until)) {
      return true;
    }
    denied.remove(src);
    return false;
  }

  /**
   * The access check and the action of an accepted knock. The knock-accepted record is written
   * first; if it cannot be, nothing is done (Log4jAudit says reason=audit-unavailable).
   */
  private void act(Knock k, Instant now) {
    String src = Access.text(k.sourceAddress());
    String grant = Access.text(k.grantAddress(), k.grantPrefix());
    Payload p = k.payload();
    Optional<UserConfig> user = config.user(k.user());
    if (user.isEmpty()) { // the decoder only knows configured users; a reload may race it
      audit.knockRejected("not-allowed", src, k.user());
      return;
    }
    ActionConfig action = null;
    if (p.verb() == org.knock.core.Verb.RUN) {
      action = config.actionById(p.port()).orElse(null);
      if (action == null) {
        audit.knockRejected("unknown-action", src, k.user());
        return;
      }
    }
    ForwardConfig forward = p.verb() == org.knock.core.Verb.OPEN
        || p.verb() == org.knock.core.Verb.CLOSE
        ? config.forwardById(p.port()).filter(f -> user.get().forwards().contains(f.name()))
            .orElse(null) : null;
    int external = 0;
    if (p.randomPort()) {
      KnockRange randomPorts = config.options().randomPorts();
      if (p.verb() != org.knock.core.Verb.OPEN || randomPorts == null) {
        audit.knockRejected(p.verb() != org.knock.core.Verb.OPEN ? "malformed"
            : "random-ports-off", src, k.user());
        return;
      }
      external = k.randomPort(randomPorts.start(), randomPorts.end());
    }
    if (forward != null && p.verb() == org.knock.core.Verb.OPEN) {
      if (forward.random() != p.randomPort()) { // the client must know whether to print a port
        audit.knockRejected("random-mismatch", src, k.user());
        return;
      }
      external = forward.random() ? external : forward.port();
    }
    Command c = forward != null
        ? p.verb() == org.knock.core.Verb.CLOSE ? Command.closeForward(forward.name())
            : Command.openForward(forward.name(), p.duration(), p.randomPort())
        : new Command(p.verb(), p.verb() == org.knock.core.Verb.RUN ? 0 : p.port(),
            p.protocol(), p.duration(), action == null ? null : action.name(), p.randomPort());
    Optional<String> refusal = user.get().refusal(c);
    if (refusal.isPresent()) {
      audit.knockRejected(refusal.get(), src, k.user());
      return;
    }
    switch (c.verb()) {
      case OPEN: {
        Duration d = user.get().grantDuration(c, config.options().defaultDuration());
        Instant end = now.plus(d);
        Access a = forward != null
            ? new Access(k.grantAddress(), forward.toPort(), forward.protocol(), k.grantPrefix(),
                external, forward.to(), forward.masquerade())
            : new Access(k.grantAddress(), c.port(), c.protocol(), k.grantPrefix(), external, null,
                false);
        Long closed = closedAt.closedAt(k.user(), closeKey(grant, c, forward));
        if (closed != null && p.timestamp() < closed) {
          // sealed before a close of the same grant that was acted on: held back (lost and
          // resent late, deferred by the check budget, or delivered late by an attacker who
          // kept it): acting on it would undo the user's later close
          audit.knockRejected("superseded", src, k.user());
          return;
        }
        Access taken = takenBy(a, now);
        if (taken != null) { // the firewall would refuse it (nft: File exists) or shadow it
          audit.randomPortTaken(src, k.user(), Integer.toString(a.external()), leadsTo(taken));
          return;
        }
        if (!audit.knockAccepted(k.user(), src, grant, c.toString(), d, end)) {
          return; // no grant without its record
        }
        LatencyTrace.mark(LatencyTrace.ACCEPTED);
        grant(a, end, k.user(), c, otherAddress(k), now, FIREWALL_RETRIES);
        break;
      }
      case CLOSE: {
        if (!audit.knockAccepted(k.user(), src, grant, c.toString(), null, null)) {
          return;
        }
        List<Access> closing = closing(k, c, forward, now);
        // a grant still being retried is closed too: its retry must not reopen the port later
        retries.removeIf(r -> closing.contains(r.access()));
        // also if nothing was open
        closedAt.closed(k.user(), closeKey(grant, c, forward), p.timestamp());
        for (Access a : closing) {
          try {
            firewall.revoke(a);
            grants.remove(a);
            forwardOf.remove(a);
            expiredUnremoved.remove(a);
            auditClosed(audit, a, "knock");
          } catch (FirewallException | RuntimeException e) {
            audit.firewallError("revoke " + a, e.getMessage(), false);
          }
        }
        break;
      }
      case DENY_FURTHER: {
        Duration d = user.get().grantDuration(c, config.options().defaultDuration());
        if (!audit.knockAccepted(k.user(), src, grant, c.toString(), d, now.plus(d))) {
          return;
        }
        if (denied.size() >= MAX_DENIED) {
          Iterator<String> it = denied.keySet().iterator();
          it.next();
          it.remove();
        }
        denied.put(src, now.plus(d));
        if (k.source6() != null) {
          tracker6.forget(k.source6());
        } else {
          tracker.forget(k.source());
        }
        break;
      }
      case RUN:
        if (!audit.knockAccepted(k.user(), src, grant, c.toString(), null, null)) {
          return;
        }
        commands.runAction(action, k.user(), grant, src);
        break;
      default:
        throw new AssertionError(c.verb());
    }
  }

  /**
   * What a close knock ends: every current grant of the knock's address (or /64), as this
   * pipeline or the firewall knows them, that reaches the port (at the port itself or through a
   * random external port) or, for {@code close NAME}, that is a grant of that forward (its inner
   * host, port and protocol, through its Port or, for {@code Port = random}, a port of
   * RandomPorts); never another address's. Where the backend does not know every grant
   * ({@link Firewall#knowsEveryGrant}: nftables' shared-set mode adopts nothing), the plain grant
   * (for a forward with a fixed Port, its grant) is among them in any case, to end one of an
   * earlier run; elsewhere a grant that is not open is not closed, nor audited as closed. A
   * grant whose firewall change failed and is waiting for its retry is among them as well.
   */
  private List<Access> closing(Knock k, Command c, ForwardConfig forward, Instant now) {
    java.util.Set<Access> out = new java.util.LinkedHashSet<>();
    if (!firewall.knowsEveryGrant()) { // an earlier run's grant may be open unknown
      if (forward == null) {
        out.add(new Access(k.grantAddress(), c.port(), c.protocol(), k.grantPrefix()));
      } else if (!forward.random() && k.grantAddress() instanceof java.net.Inet4Address) {
        out.add(new Access(k.grantAddress(), forward.toPort(), forward.protocol(),
            k.grantPrefix(), forward.port(), forward.to(), forward.masquerade())); // IPv4 only
      }
    }
    Map<Access, Instant> candidates = live(now);
    Map<Access, String> names = new LinkedHashMap<>(forwardOf);
    for (Retry r : retries) { // maybe in the kernel: a failed change may have been made
      candidates.putIfAbsent(r.access(), r.end());
      if (r.command().forward()) {
        names.putIfAbsent(r.access(), r.command().action());
      }
    }
    candidates.forEach((a, end) -> {
      String made = names.get(a); // the forward it was made for, if made by this run
      if (a.address().equals(k.grantAddress())
          && a.prefix() == k.grantPrefix() && (forward == null
              ? !a.forwarded() && a.port() == c.port() && a.protocol() == c.protocol()
              : made != null ? made.equals(forward.name()) : isOf(a, forward))) {
        out.add(a);
      }
    });
    return List.copyOf(out);
  }

  /**
   * Every grant this pipeline or the firewall knows to be current at {@code now} (this run's and
   * those the backend adopted from an earlier run), with its end.
   */
  private Map<Access, Instant> live(Instant now) {
    Map<Access, Instant> known = new LinkedHashMap<>(grants);
    known.putAll(firewall.grants());
    known.values().removeIf(end -> !end.isAfter(now));
    return known;
  }

  /**
   * The current grant that already holds {@code a}'s external port for its address (or /64) and
   * protocol but leads elsewhere (another port, or a forward), or null: the firewall's key is
   * address . protocol . external, so two such grants cannot both stand. The same access again
   * is a re-grant, another address's grant through the same port is no conflict.
   */
  private Access takenBy(Access a, Instant now) {
    if (a.external() == 0) {
      return null;
    }
    for (Access b : live(now).keySet()) {
      if (b.external() == a.external() && b.protocol() == a.protocol()
          && b.address().equals(a.address()) && b.prefix() == a.prefix() && !b.equals(a)) {
        return b;
      }
    }
    return null;
  }

  /** Where a grant's external port leads: {@code 22/tcp}, or {@code 10.1.0.5:5432/tcp}. */
  private static String leadsTo(Access a) {
    return (a.forwarded() ? a.to().getHostAddress() + ":" : "") + port(a);
  }

  /**
   * What an open and a later close of the same user (another user's slower clock must not make
   * their knock look older) must share for the close to supersede the open: the grant's address
   * (or /64) and its port and protocol, or the forward it names; not the random external port,
   * which every open draws anew.
   */
  private static String closeKey(String grant, Command c, ForwardConfig forward) {
    return grant + " " + (forward != null ? "forward " + forward.name()
        : c.port() + "/" + c.protocol().word());
  }

  /** Whether {@code a} is a grant of {@code forward} (a fixed Port is never in RandomPorts). */
  private boolean isOf(Access a, ForwardConfig forward) {
    KnockRange randomPorts = config.options().randomPorts();
    return a.forwarded() && a.to().equals(forward.to()) && a.port() == forward.toPort()
        && a.protocol() == forward.protocol() && (forward.random()
            ? randomPorts != null && randomPorts.contains(a.external())
            : a.external() == forward.port());
  }

  /** Grants {@code a} until {@code end}; a failure is audited and retried at the next sweep. */
  private void grant(Access a, Instant end, String user, Command c, boolean otherAddress,
      Instant now, int attemptsLeft) {
    try {
      firewall.grant(a, Duration.between(now, end));
      LatencyTrace.mark(LatencyTrace.GRANT_DONE);
      grants.put(a, end);
      expiredUnremoved.remove(a);
      if (c.forward()) {
        forwardOf.put(a, c.action());
      }
      audit.accessGranted(user, a.ip(), port(a), external(a), to(a), end);
      LatencyTrace.granted();
    } catch (FirewallException | RuntimeException e) {
      boolean retry = attemptsLeft > 1 && !(e instanceof FirewallException f && f.refusal());
      audit.firewallError("grant " + a, e.getMessage(), retry);
      if (retry) {
        retries.add(new Retry(a, end, user, c, otherAddress, attemptsLeft - 1));
      }
    }
  }

  /** True if knock checks that the budget refused are still owed to the next {@link #sweep}. */
  boolean owesChecks() {
    return tracker.owesChecks() || tracker6.owesChecks();
  }

  /**
   * Runs the knock checks the budget owed, ends old sequences, reports scans and knock hunts
   * (an alert at the first sweep after the threshold is crossed, then a closing summary),
   * expires grants, retries failed grants, summarises flood evictions and budget refusals
   * (each at most one line per {@link #EVICTION_REPORT}).
   */
  void sweep() {
    Instant now = clock.instant();
    for (SourceTracker.Retried r : tracker.retryPending(now)) {
      decided(r.source(), null, r.result(), now);
    }
    for (SourceTracker.Retried r : tracker6.retryPending(now)) {
      decided(0, tracker6.address(r.source()), r.result(), now);
    }
    reportEnded(tracker.sweep(now), false, now);
    reportEnded(tracker6.sweep(now), true, now);
    reportHunts(now);
    List<Access> removed;
    try {
      removed = firewall.expire(now);
    } catch (FirewallException e) {
      audit.firewallError("expire", e.getMessage(), true);
      removed = e.expired();
    }
    for (Access a : removed) { // an earlier run's grant the backend adopted, removed by knockd now
      if (!grants.containsKey(a) && !expiredUnremoved.remove(a)) {
        auditExpired(a);
      }
    }
    Map<Access, Instant> held = null;
    for (Iterator<Map.Entry<Access, Instant>> it = grants.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Access, Instant> g = it.next();
      if (!g.getValue().isAfter(now)) {
        it.remove();
        forwardOf.remove(g.getKey());
        auditExpired(g.getKey());
        held = held != null ? held : firewall.grants();
        if (held.containsKey(g.getKey())) { // its removal failed: audited now, not again then
          expiredUnremoved.add(g.getKey());
        }
      }
    }
    if (!retries.isEmpty()) {
      List<Retry> due = new ArrayList<>(retries);
      retries.clear();
      for (Retry r : due) { // for what is left of the knock's duration, never longer
        if (!r.end().isAfter(now.plusSeconds(1))) {
          audit.firewallError("grant " + r.access(), "not retried: the grant's time is over",
              false);
          continue;
        }
        Access taken = takenBy(r.access(), now);
        if (taken != null) { // another grant took its random port meanwhile
          audit.firewallError("grant " + r.access(), "not retried: external port "
              + r.access().external() + " now leads to " + leadsTo(taken), false);
        } else {
          grant(r.access(), r.end(), r.user(), r.command(), r.otherAddress(), now,
              r.attemptsLeft());
        }
      }
    }
    denied.values().removeIf(until -> !now.isBefore(until));
    long oldest = now.getEpochSecond() - config.options().timeWindow().getSeconds() - 1;
    closedAt.forgetBefore(oldest);
    long ev = tracker.evictions() + tracker6.evictions() + replayLeftOut;
    if (ev > evictionsReported && !now.isBefore(evictionsSince.plus(EVICTION_REPORT))) {
      audit.floodEvictions(ev - evictionsReported, evictionsSince);
      evictionsReported = ev;
      evictionsSince = now;
    }
    long refused = tracker.budgetRefusals(); // the IPv6 twin shares the budget
    if (refused > refusalsReported && !now.isBefore(refusalsSince.plus(EVICTION_REPORT))) {
      audit.budgetRefusals(refused - refusalsReported, refusalsSince);
      refusalsReported = refused;
      refusalsSince = now;
    }
  }

  /**
   * Takes over what a reload must not forget from the pipeline this one replaces: denied
   * sources, open grants (their expiry is still audited), pending firewall retries that the new
   * config still allows ({@link #allows}: a retry of a user the reload removed, of a command it
   * no longer allows, of another address without AllowOtherAddress, of a forward it points
   * elsewhere or of a random port outside its RandomPorts is dropped with one line: a reload
   * never opens what its config refuses), and the ports of knocks in progress
   * ({@link #replayHeld}: decided by the new config), the progress of static knocks on doors the
   * reload left as they were, and the scan and knock-hunt windows ({@link #takeOverHunts}).
   */
  void carryOver(KnockPipeline previous) {
    carryOverState(previous);
    carryOverInFlight(previous);
  }

  /**
   * The first half of {@link #carryOver}: copies the state, with no audit line, firewall change
   * or decision, so that a reload that fails here leaves everything as it was. The daemon puts
   * this pipeline in place only after it and before {@link #carryOverInFlight}.
   */
  void carryOverState(KnockPipeline previous) {
    denied.putAll(previous.denied);
    grants.putAll(previous.grants);
    forwardOf.putAll(previous.forwardOf);
    expiredUnremoved.addAll(previous.expiredUnremoved);
    closedAt.putAll(previous.closedAt);
    for (Retry r : previous.retries) {
      if (allows(r)) {
        retries.add(r);
      } else {
        retriesDropped.add(r);
      }
    }
    deniedPackets += previous.deniedPackets;
    doors.takeOver(previous.doors);
  }

  /**
   * The second half of {@link #carryOver}, what writes audit lines and may act: the dropped
   * retries' lines, the scan and knock-hunt windows, the replay of knocks in progress. Run on the
   * pipeline already in place, so that what it grants or reports belongs to the pipeline that
   * goes on.
   */
  void carryOverInFlight(KnockPipeline previous) {
    for (Retry r : retriesDropped) {
      audit.firewallError("grant " + r.access(), "not retried: the reloaded config no longer "
          + "allows " + r.user() + " '" + r.command() + "'", false);
    }
    retriesDropped.clear();
    takeOverHunts(previous);
    replayHeld(previous);
  }

  /**
   * The scan and knock-hunt windows go on across a reload that leaves what they measure alone
   * (knock range, SequenceTimeout, MaxSources), so that a scan straddling it gets one alert and
   * one closing summary; otherwise the old windows are closed now and their summaries written,
   * never lost with the old pipeline.
   */
  private void takeOverHunts(KnockPipeline previous) {
    if (Wiring.sameHuntDetectors(previous.config.options(), config.options())) {
      hunts = previous.hunts;
      hunts6 = previous.hunts6;
      return;
    }
    for (HuntDetector.Report<Integer> h : previous.hunts.closeAll()) {
      reportHunt(h, ip(h.source()));
    }
    for (HuntDetector.Report<Ipv6Address> h : previous.hunts6.closeAll()) {
      reportHunt(h, ip6(h.source().bytes()));
    }
  }

  /** Most ports of each family a reload carries over: those of the most recent sources. */
  static final int REPLAY_MAX_PORTS = 65_536;

  /**
   * Offers this pipeline's trackers the knock-range ports {@code previous} held, as they
   * arrived, so that a knock whose packets straddle a reload is decided by the new config
   * (checked with its users and keys, acted on and audited by this pipeline) instead of lost.
   * Ports outside this config's knock range are not knock ports any more and are dropped; at
   * most {@link #REPLAY_MAX_PORTS} of each family, of the sources seen last. The checks are
   * taken from this pipeline's budget now; a sequence that ends in the replay (a shorter
   * SequenceTimeout) is reported like any other. The ports of a denied source are dropped, also
   * those held after a deny-further that the replay itself decided; the sources the bound leaves
   * out are counted as flood evictions (a knock in progress lost); none at all after a reload
   * that turned UdpKnocks off (the tracker does not know which ports came by UDP).
   */
  private void replayHeld(KnockPipeline previous) {
    if (previous.udpKnocks && !udpKnocks) {
      return;
    }
    Instant now = clock.instant();
    SourceTracker.HeldPort four = (source, destination, sport, dport, arrived) -> {
      if (range.contains(dport) && (denied.isEmpty() || !isDenied(ip(source), now))) {
        ended.clear();
        DecodeResult r = tracker.replay(source, destination, sport, dport, arrived, now, ended);
        reportEnded(ended, false, now);
        decided(source, null, r, now);
      }
    };
    Ipv6Sources.HeldPort six = (source, destination, sport, dport, arrived) -> {
      if (range.contains(dport) && (denied.isEmpty() || !isDenied(ip6(source), now))) {
        ended.clear();
        DecodeResult r = tracker6.replay(source, destination, sport, dport, arrived, now, ended);
        reportEnded(ended, true, now);
        decided(0, source, r, now);
      }
    };
    replayLeftOut += previous.tracker.forEachHeld(REPLAY_MAX_PORTS, four);
    replayLeftOut += previous.tracker6.forEachHeld(REPLAY_MAX_PORTS, six);
  }

  /**
   * Whether this pipeline's config would still make {@code r}'s grant for its knock: the user
   * exists and may ask for its command, for another address only with AllowOtherAddress; a
   * forward still leads to the same inner host, port and protocol (masqueraded alike) through
   * the same Port, or for {@code Port = random} through a port of RandomPorts; a plain random
   * port only while it is in RandomPorts.
   */
  private boolean allows(Retry r) {
    Optional<UserConfig> user = config.user(r.user());
    if (user.isEmpty() || user.get().refusal(r.command()).isPresent()
        || (r.otherAddress() && !user.get().allowOtherAddress())) {
      return false;
    }
    Access a = r.access();
    KnockRange randomPorts = config.options().randomPorts();
    if (!r.command().forward()) {
      return a.external() == 0 || randomPorts != null && randomPorts.contains(a.external());
    }
    String name = r.command().action();
    Optional<ForwardConfig> forward = config.forwardById(Payload.forwardId(name))
        .filter(f -> f.name().equals(name));
    return forward.isPresent() && isOf(a, forward.get())
        && a.masquerade() == forward.get().masquerade();
  }

  /** Whether {@code k} grants an address other than its source (its own /64 is its own). */
  private static boolean otherAddress(Knock k) {
    return k.grantPrefix() != 64 && !k.grantAddress().equals(k.sourceAddress());
  }

  /** Grants the pipeline knows to be open, with their end. */
  Map<Access, Instant> grants() {
    return Map.copyOf(grants);
  }

  /** Grants whose last close this pipeline remembers (see {@link #closedAt}). */
  int closesRemembered() {
    return closedAt.size();
  }

  long deniedPackets() {
    return deniedPackets;
  }

  /** Messages the check budget refused so far (IPv4 and IPv6 share it). */
  long budgetRefusals() {
    return tracker.budgetRefusals();
  }

  static String ip(int v4) {
    byte[] b = {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
    try {
      return InetAddress.getByAddress(b).getHostAddress();
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static String ip6(byte[] v6) {
    try {
      return Access.text(InetAddress.getByAddress(v6));
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** The IPv6 sources (for tests). */
  Ipv6Sources tracker6() {
    return tracker6;
  }

  /** Audits {@code access-closed} for {@code a}, ended {@code by} a knock or the daemon. */
  static boolean auditClosed(Audit audit, Access a, String by) {
    return audit.accessClosed(a.ip(), port(a), external(a), to(a), by);
  }

  /** {@code access-expired} for {@code a}, with the fields {@link #auditClosed} writes. */
  private boolean auditExpired(Access a) {
    return audit.accessExpired(a.ip(), port(a), external(a), to(a));
  }

  private static String port(Access a) {
    return a.port() + "/" + a.protocol().word();
  }

  /** The inner host of a forward, or null. */
  private static String to(Access a) {
    return a.forwarded() ? a.to().getHostAddress() : null;
  }

  /** The external port of a redirected access, or null. */
  private static String external(Access a) {
    return a.external() != 0 ? Integer.toString(a.external()) : null;
  }
}
