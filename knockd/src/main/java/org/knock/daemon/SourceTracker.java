package org.knock.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.knock.core.CheckAllowance;
import org.knock.core.DecodeResult;
import org.knock.core.KnockDecoder;
import org.knock.core.Rejection;
import org.knock.core.Sealer;
import org.knock.core.SequenceAssembler;

/**
 * Per source address, the ports it sent into the knock range within the last
 * {@code SequenceTimeout} (a sliding window: each port is forgotten once it is that old), fed
 * to knock-core's decoder, which checks the newest-first message at every packet and spends its
 * combination budget on interleaved junk. SYN retransmits (same source port, same destination
 * port) count once. Every message check is taken from the daemon's {@link CheckBudget}; a
 * newest-first check the budget refused is owed and retried by {@link #retryPending}, sources
 * those that spent least first. Memory is bounded: at most {@code maxSources} sources (beyond
 * that the least recently seen source is evicted and counted) and {@code maxPortsPerSource} ports
 * each (beyond that a source's oldest quarter of ports is forgotten, never its newest), counted
 * since the source last held nothing but ports kept from verified messages (SequenceAssembler):
 * those come on top, one per verified message, each gone after {@code SequenceTimeout}. A source
 * gets its assemblers only once it holds as many ports as the shortest knock ({@link
 * #FEWEST_PORTS}), fed then what it holds as if on arrival: a source that sends a few ports costs
 * one object and one array. No clock of its own: times are passed in. Not thread-safe.
 */
final class SourceTracker {
  /** A sequence that ended without a knock: what the audit log hears about. */
  record Ended(int source, int ports, Rejection strongest) {}

  /** What an owed check gave for a source. */
  record Retried(int source, DecodeResult result) {}

  /** Makes the assembler for a source key's ports sent to a destination key. */
  interface Assemblers {
    SequenceAssembler newSequence(int source, int destination);
  }

  private final KnockDecoder decoder;
  private final Assemblers factory;
  private final long timeoutMillis;
  private final int maxSources;
  private final int maxPortsPerSource;
  private final CheckBudget budget;
  private final LruTable<Sequence> sources = new LruTable<>();
  private final ArrayDeque<Sequence> owed = new ArrayDeque<>();
  private long evictions;
  /** When {@link #sweep} last walked through every source. */
  private long lastFullSweep = Long.MIN_VALUE / 2;

  SourceTracker(KnockDecoder decoder, Duration sequenceTimeout, int maxSources,
      int maxPortsPerSource) {
    this(decoder, sequenceTimeout, maxSources, maxPortsPerSource,
        new CheckBudget(Long.MAX_VALUE / 4, decoder.checksPerMessage()));
  }

  SourceTracker(KnockDecoder decoder, Duration sequenceTimeout, int maxSources,
      int maxPortsPerSource, CheckBudget budget) {
    this(decoder, sequenceTimeout, maxSources, maxPortsPerSource, budget, decoder::newSequence);
  }

  private SourceTracker(KnockDecoder decoder, Duration sequenceTimeout, int maxSources,
      int maxPortsPerSource, CheckBudget budget, Assemblers assemblers) {
    this.decoder = decoder;
    this.factory = assemblers;
    this.timeoutMillis = sequenceTimeout.toMillis();
    this.maxSources = maxSources;
    this.maxPortsPerSource = maxPortsPerSource;
    this.budget = budget;
  }

  /**
   * A tracker with this one's decoder, timeout, bounds and check budget (shared), whose keys
   * stand for what {@code assemblers} makes of them: e.g. ids of IPv6 sources.
   */
  SourceTracker twin(Assemblers assemblers) {
    return new SourceTracker(decoder, java.time.Duration.ofMillis(timeoutMillis), maxSources,
        maxPortsPerSource, budget, assemblers);
  }

  KnockDecoder decoder() {
    return decoder;
  }

  int maxSources() {
    return maxSources;
  }

  /** How many assemblers the source's sequence has made (0: none yet, or no sequence). */
  int assemblers(int source) {
    Sequence s = sources.get(source);
    return s == null || s.decoding == null ? 0 : s.decoding.assemblerCount;
  }

  /** Whether the source has a sequence now. */
  boolean tracks(int source) {
    return sources.get(source) != null;
  }

  /**
   * The fewest ports a knock takes (a 20-byte message, one port a byte): a source's assemblers
   * are made only once it holds that many, so a source that sends a few ports (background
   * scanning: ~10) costs its {@link Sequence} and one array, not two more objects for the young
   * collections to copy (docs/BENCHMARKS.md §2 round 13).
   */
  static final int FEWEST_PORTS = Sealer.MESSAGE_SIZE;

  /** Most destination addresses one source's ports are kept apart for (the newest win). */
  static final int MAX_DESTINATIONS = 4;

  /**
   * One source's ports, each with the time it arrived, oldest first; keyed by the source. Its
   * {@link Decoding} is made once it holds {@link #FEWEST_PORTS}: a source that sends a few ports
   * (background scanning, a flood) costs this object (64 bytes: static, no reference to the
   * tracker) and its array of pairs.
   */
  private static final class Sequence extends LruTable.Node {
    /**
     * Pair i at [i], (source port << 16 | destination port) << 32 | the millisecond it arrived
     * less {@link #base}, in arrival order: 8 bytes a port in one array, as most sources send one
     * packet (a flood) or a few, and each object and byte is more for the young collections to
     * copy (docs/BENCHMARKS.md §2 round 15).
     */
    long[] pairs = new long[4]; // grows by half
    int pairCount;
    /**
     * The pairs before this index were held when a message's tag verified (its ports among them,
     * gone from the assemblers): a reload must not offer them again ({@link #forEachHeld}).
     */
    int replayFrom;
    /** The destination key of every pair while they share one (most sources: one). */
    int destination;
    /** Pair i's destination key at [i] once the pairs have two; else null. */
    int[] destinations;
    /** The millisecond the arrival times in {@link #pairs} count from. */
    long base;
    long last;
    /** Null until the source holds {@link #FEWEST_PORTS}. */
    Decoding decoding;

    Sequence(int source) {
      this.key = source;
    }

    /** Pair i's source port << 16 | destination port. */
    int pair(int i) {
      return (int) (pairs[i] >>> 32);
    }

    /** The millisecond pair i arrived. */
    long arrived(int i) {
      return base + (int) pairs[i];
    }

    /** Pair i's destination key. */
    int destination(int i) {
      return destinations == null ? destination : destinations[i];
    }

    /**
     * Whether a pair that arrives at {@code t} can be held with those held: the arrival times are
     * kept as ints from {@link #base}, which moves up as needed. Called once the ports older than
     * the timeout are gone: only a clock set back by more than 12 days (or a SequenceTimeout that
     * long) makes it false.
     */
    boolean canHold(long t) {
      if (pairCount == 0 || Math.abs(t - base) < 1L << 30) {
        return true;
      }
      for (int i = 0; i < pairCount; i++) {
        if (Math.abs(arrived(i) - t) >= 1L << 30) {
          return false;
        }
      }
      for (int i = 0; i < pairCount; i++) {
        pairs[i] = (long) pair(i) << 32 | ((arrived(i) - t) & 0xFFFFFFFFL);
      }
      base = t;
      return true;
    }

    /**
     * Adds (source port, destination port) sent to {@code destination} at t; false if that pair
     * is already held (a retransmit).
     */
    boolean addPair(int destination, int sport, int dport, long t) {
      int pair = sport << 16 | dport;
      for (int i = 0; i < pairCount; i++) {
        if (pair(i) == pair) {
          return false;
        }
      }
      if (pairCount == 0) {
        base = t;
        this.destination = destination;
        destinations = null;
      } else if (destinations == null && destination != this.destination) {
        destinations = new int[pairs.length];
        java.util.Arrays.fill(destinations, 0, pairCount, this.destination);
      }
      if (pairCount == pairs.length) {
        int grown = pairCount + Math.max(2, pairCount >> 1);
        pairs = java.util.Arrays.copyOf(pairs, grown);
        if (destinations != null) {
          destinations = java.util.Arrays.copyOf(destinations, grown);
        }
      }
      pairs[pairCount] = (long) pair << 32 | ((t - base) & 0xFFFFFFFFL);
      if (destinations != null) {
        destinations[pairCount] = destination;
      }
      pairCount++;
      last = t;
      return true;
    }

    /** Forgets the ports that arrived before {@code oldest}, here and in the assemblers. */
    void dropBefore(long oldest) {
      if (pairCount == 0 || arrived(0) >= oldest) {
        if (decoding != null) {
          decoding.forgetKeptBefore(oldest);
        }
        return;
      }
      int keep = 0;
      int from = 0;
      for (int i = 0; i < pairCount; i++) {
        if (arrived(i) >= oldest) {
          pairs[keep] = pairs[i];
          if (destinations != null) {
            destinations[keep] = destinations[i];
          }
          keep++;
          if (i < replayFrom) {
            from++;
          }
        }
      }
      pairCount = keep;
      replayFrom = from;
      if (decoding != null) {
        decoding.forgetBefore(oldest);
      }
    }

    /**
     * Forgets the {@code n} oldest ports, here and in the assemblers: there, every port last seen
     * before the oldest port that stays. Not the assemblers' n oldest: the pairs count the ports
     * of verified messages too, which the assemblers no longer hold, so those n would reach into
     * a knock still arriving. An assembler that still holds more than the cap (ports of one
     * millisecond, a clock set back) then forgets its oldest down to three quarters of it.
     */
    void dropOldest(int n) {
      System.arraycopy(pairs, n, pairs, 0, pairCount - n);
      if (destinations != null) {
        System.arraycopy(destinations, n, destinations, 0, pairCount - n);
      }
      pairCount -= n;
      replayFrom = Math.max(0, replayFrom - n);
      long cut = arrived(0);
      for (int i = 1; i < pairCount; i++) { // arrival order, unless the clock was set back
        cut = Math.min(cut, arrived(i));
      }
      if (decoding != null) {
        decoding.forgetBefore(cut);
        decoding.cap();
      }
    }
  }

  /**
   * Makes a source's decoding part once it holds {@link #FEWEST_PORTS}: offers its assemblers
   * the pairs held, in arrival order with their times, but for the newest (the caller offers
   * it). Fewer ports than a knock has cannot complete one (no check runs, no budget is taken),
   * so they are only added there: the assemblers hold what they would have held had they been
   * offered each port on arrival. Two differences, both from ports that left the window before
   * the 20th: a destination whose ports all left takes none of the {@link #MAX_DESTINATIONS}
   * places (the oldest destination is the one whose oldest port still held came first), and
   * after a clock set back a byte that came twice keeps its pair's own time, not the later
   * arrival's.
   */
  private Decoding startDecoding(Sequence s, long budgetMillis) {
    Decoding d = new Decoding(s.key);
    s.decoding = d;
    d.now = budgetMillis;
    for (int i = 0; i < s.pairCount - 1; i++) {
      Instant arrived = Instant.ofEpochMilli(s.arrived(i));
      d.assemblerFor(s.destination(i)).offer(s.pair(i) & 0xFFFF, arrived, d);
    }
    return d;
  }

  /**
   * The part of a source's sequence that decodes: the assemblers of its ports, one per
   * destination address (a version-2 knock is bound to the address its packets were sent to), what
   * its sequence was refused, and its account with the budget.
   */
  private final class Decoding implements CheckAllowance {
    private final int source;
    /** Made at the first check this source asks of the budget: most sources never ask. */
    CheckBudget.Account account;
    /** The assembler of the first destination, and those of the others (most sources: none). */
    SequenceAssembler first;
    SequenceAssembler[] more;
    int assemblerCount;
    long now;
    boolean sweep;
    boolean queued;
    Rejection strongest;

    Decoding(int source) {
      this.source = source;
    }

    @Override
    public boolean take() {
      if (account == null) {
        account = new CheckBudget.Account();
      }
      return budget.take(account, now, sweep);
    }

    /** What this source spent of the budget in the second of {@code t}. */
    long spentThisSecond(long t) {
      return account == null ? 0 : budget.spentThisSecond(account, t);
    }

    SequenceAssembler assembler(int i) {
      return i == 0 ? first : more[i - 1];
    }

    /** The assembler for ports sent to {@code destination}, made if new. */
    SequenceAssembler assemblerFor(int destination) {
      if (first != null && first.destination() == destination) {
        return first;
      }
      for (int i = 1; i < assemblerCount; i++) {
        if (more[i - 1].destination() == destination) {
          return more[i - 1];
        }
      }
      SequenceAssembler a = factory.newSequence(source, destination);
      if (assemblerCount == 0) {
        first = a;
        assemblerCount = 1;
        return a;
      }
      if (assemblerCount == MAX_DESTINATIONS) { // the oldest destination goes
        first = more[0];
        System.arraycopy(more, 1, more, 0, MAX_DESTINATIONS - 2);
        more[MAX_DESTINATIONS - 2] = a;
        return a;
      }
      if (more == null) {
        more = new SequenceAssembler[MAX_DESTINATIONS - 1];
      }
      more[assemblerCount++ - 1] = a;
      return a;
    }

    /** Ports held, all destinations together. */
    int size() {
      int n = 0;
      for (int i = 0; i < assemblerCount; i++) {
        n += assembler(i).size();
      }
      return n;
    }

    /** True if every port held is one kept from a verified message (see SequenceAssembler). */
    boolean onlyKept() {
      for (int i = 0; i < assemblerCount; i++) {
        if (!assembler(i).onlyKept()) {
          return false;
        }
      }
      return true;
    }

    boolean hasPending() {
      for (int i = 0; i < assemblerCount; i++) {
        if (assembler(i).hasPending()) {
          return true;
        }
      }
      return false;
    }

    void forgetBefore(long oldest) {
      for (int i = 0; i < assemblerCount; i++) {
        assembler(i).forgetBefore(oldest);
      }
    }

    /**
     * Kept ports outlive their pairs (settle lets a sequence of only kept ports start over): they
     * too go after SequenceTimeout, or a source knocking again and again gathers them.
     */
    void forgetKeptBefore(long oldest) {
      for (int i = 0; i < assemblerCount; i++) {
        if (assembler(i).oldestKeptMillis() < oldest) {
          assembler(i).forgetBefore(oldest);
        }
      }
    }

    /** An assembler over the cap forgets its oldest down to three quarters of it. */
    void cap() {
      for (int i = 0; i < assemblerCount; i++) {
        SequenceAssembler a = assembler(i);
        if (a.size() > maxPortsPerSource) {
          a.forgetOldest(a.size() - (maxPortsPerSource - maxPortsPerSource / 4));
        }
      }
    }
  }

  /**
   * Offers one logged packet into the knock range.
   *
   * @param ended receives sequences that this call ended (timed out) after a rejection
   */
  DecodeResult offer(int source, int sourcePort, int destPort, Instant now, List<Ended> ended) {
    return offer(source, 0, sourcePort, destPort, now, ended);
  }

  /**
   * Offers one logged packet into the knock range, sent to {@code destination} (IPv4 as int).
   *
   * @param ended receives sequences that this call ended (timed out) after a rejection
   */
  DecodeResult offer(int source, int destination, int sourcePort, int destPort, Instant now,
      List<Ended> ended) {
    return offer(source, destination, sourcePort, destPort, now, now.toEpochMilli(), ended);
  }

  /**
   * Offers again a port another tracker held (see {@link #forEachHeld}), with the time it
   * arrived; the checks it runs are taken from the budget at {@code now}, as if sent now.
   *
   * @param ended receives sequences that this call ended (timed out) after a rejection
   */
  DecodeResult replay(int source, int destination, int sourcePort, int destPort, long arrived,
      Instant now, List<Ended> ended) {
    return offer(source, destination, sourcePort, destPort, Instant.ofEpochMilli(arrived),
        now.toEpochMilli(), ended);
  }

  /** One port a tracker holds: {@link #forEachHeld}. */
  interface HeldPort {
    void held(int source, int destination, int sourcePort, int destPort, long arrivedMillis);
  }

  /**
   * The ports held by the most recently seen sources, at most {@code maxPorts} (whole sources:
   * those seen longest ago are left out first), sources least recently seen first, each source's
   * ports in the order they arrived: what a new tracker needs to go on where this one stands
   * ({@link #replay}). A knock in progress is among the newest; the bound keeps a reload during a
   * flood of junk short. A source's ports up to a message whose tag verified (accepted or
   * refused: decided) are left out: offered again, that message would be decided again, and its
   * newest port, kept here, could complete an older partial knock.
   *
   * @return the sources with ports that the bound left out
   */
  int forEachHeld(int maxPorts, HeldPort to) {
    Sequence first = null;
    long ports = 0;
    int leftOut = 0;
    for (Sequence s = sources.newest(); s != null; s = sources.older(s)) {
      int held = s.pairCount - s.replayFrom;
      ports += held;
      if (ports > maxPorts) {
        leftOut += held > 0 ? 1 : 0;
        continue;
      }
      first = s;
    }
    for (Sequence s = first; s != null; s = sources.newer(s)) {
      for (int i = s.replayFrom; i < s.pairCount; i++) {
        int p = s.pair(i);
        to.held(s.key, s.destination(i), p >>> 16, p & 0xFFFF, s.arrived(i));
      }
    }
    return leftOut;
  }

  private DecodeResult offer(int source, int destination, int sourcePort, int destPort,
      Instant now, long budgetMillis, List<Ended> ended) {
    long t = now.toEpochMilli();
    Sequence s = sources.get(source);
    if (s != null) {
      boolean timedOut = t - s.last > timeoutMillis;
      if (!timedOut) {
        s.dropBefore(t - timeoutMillis); // before canHold: what is left is within the timeout
      }
      if (timedOut || !s.canHold(t)) {
        sources.remove(source);
        end(source, s, ended);
        s = null;
      } else {
        sources.touch(s);
      }
    }
    if (s == null) {
      if (sources.size() >= maxSources) {
        sources.remove(sources.eldest().key);
        evictions++; // counted, audited as a summary: a flood must not flood the audit log
      }
      s = new Sequence(source);
      sources.add(s);
    }
    if (!s.addPair(destination, sourcePort, destPort, t)) {
      return INCOMPLETE;
    }
    if (s.pairCount > maxPortsPerSource) {
      // the oldest quarter goes: junk sent before a knock can never crowd the knock out
      s.dropOldest(maxPortsPerSource / 4);
    }
    Decoding d = s.decoding;
    if (d == null) {
      if (s.pairCount < FEWEST_PORTS) {
        return INCOMPLETE; // no knock fits: most sources (background scanning) never need more
      }
      d = startDecoding(s, budgetMillis);
    }
    d.now = budgetMillis;
    return settle(s, d.assemblerFor(destination).offer(destPort, now, d));
  }

  private DecodeResult settle(Sequence s, DecodeResult r) {
    Decoding d = s.decoding;
    if (tagVerified(r)) {
      // the knock's ports are gone from the assembler but its newest, kept for a later knock
      // that may share it; what is left besides may be another knock
      if (d.onlyKept()) { // nothing that failed or waits: from now on, as a new sequence
        d.strongest = null;
        s.pairCount = 0;
        s.replayFrom = 0;
        d.account = null;
        return r;
      }
      s.replayFrom = s.pairCount; // decided: never offered again by a reload
    } else if (r.status() == DecodeResult.Status.REJECTED) {
      if (d.strongest == null || r.rejection().ordinal() > d.strongest.ordinal()) {
        d.strongest = r.rejection();
      }
    }
    if (d.hasPending() && !d.queued) {
      d.queued = true;
      owed.add(s);
    }
    return r;
  }

  /**
   * Runs the newest-first checks that the budget refused to packets, sources that spent least
   * this second first (ties in the order they were refused), until the budget refuses again;
   * returns the knocks and the refusals after a valid tag.
   */
  List<Retried> retryPending(Instant now) {
    List<Retried> out = new ArrayList<>();
    if (owed.isEmpty()) {
      return out;
    }
    long t = now.toEpochMilli();
    List<Sequence> due = new ArrayList<>(owed);
    owed.clear();
    due.sort(java.util.Comparator.comparingLong(s -> s.decoding.spentThisSecond(t)));
    boolean spent = false;
    for (Sequence s : due) {
      Decoding d = s.decoding; // queued: it has one
      d.queued = false;
      if (sources.get(s.key) != s || !d.hasPending()) {
        continue; // ended or evicted meanwhile
      }
      if (spent) { // the budget is spent: the rest keep their place
        d.queued = true;
        owed.add(s);
        continue;
      }
      d.now = t;
      d.sweep = true;
      DecodeResult r = INCOMPLETE;
      for (int i = 0; i < d.assemblerCount && !r.isAccepted(); i++) {
        DecodeResult ri = d.assembler(i).retryPending(now, d);
        if (ri.status() != DecodeResult.Status.INCOMPLETE) {
          r = ri;
        }
      }
      d.sweep = false;
      r = settle(s, r);
      if (tagVerified(r)) {
        out.add(new Retried(s.key, r));
      } else if (r.status() == DecodeResult.Status.REJECTED
          && r.rejection() == Rejection.DECODER_BUSY) {
        spent = true;
      }
    }
    return out;
  }

  /** True if some newest-first check the budget refused is still owed ({@link #retryPending}). */
  boolean owesChecks() {
    return !owed.isEmpty();
  }

  /** Accepted, or refused after a valid tag: the knock's own ports are gone from its sequence. */
  static boolean tagVerified(DecodeResult r) {
    return r.isAccepted()
        || (r.status() == DecodeResult.Status.REJECTED && definitive(r.rejection()));
  }

  /** A rejection after a valid tag (the sender held a key): reported at once, not at the end. */
  static boolean definitive(Rejection r) {
    return r.ordinal() >= Rejection.MALFORMED.ordinal();
  }

  private static final DecodeResult INCOMPLETE =
      new DecodeResult(DecodeResult.Status.INCOMPLETE, null, null, 0);

  private static void end(int source, Sequence s, List<Ended> ended) {
    Decoding d = s.decoding;
    if (d != null && d.strongest != null) {
      ended.add(new Ended(source, d.size(), d.strongest));
    }
  }

  /**
   * Ends the sequences older than the timeout; returns those that ended after a rejection. Walks
   * from the least recently seen source and stops at the first that is not over its time: the
   * sources seen after it sent their last new port later, but for a source seen since only
   * through SYN retransmits (they do not renew a sequence) or a clock set back, so once per
   * timeout the walk goes through every source. A sequence ends at most one timeout late that
   * way; an offer from its source ends it at once. The daemon sweeps every 250 ms: a walk over
   * 65,536 sources that are all young was most of the sweeper thread's CPU.
   */
  List<Ended> sweep(Instant now) {
    List<Ended> ended = new ArrayList<>();
    long t = now.toEpochMilli();
    boolean everySource = t - lastFullSweep >= timeoutMillis || t < lastFullSweep;
    if (everySource) {
      lastFullSweep = t;
    }
    for (Sequence s = sources.eldest(); s != null; ) {
      Sequence next = sources.newer(s);
      if (t - s.last > timeoutMillis) {
        sources.remove(s.key);
        end(s.key, s, ended);
      } else if (!everySource) {
        break;
      }
      s = next;
    }
    return ended;
  }

  /** Forgets a source (e.g. once it is denied). */
  void forget(int source) {
    sources.remove(source);
  }

  int size() {
    return sources.size();
  }

  long evictions() {
    return evictions;
  }

  /** Messages the check budget refused so far (the budget is shared with a {@link #twin}). */
  long budgetRefusals() {
    return budget.refused();
  }
}
