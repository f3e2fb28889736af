package org.knock.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.knock.core.DecodeResult;
import org.knock.core.KnockDecoder;
import org.knock.core.Rejection;
import org.knock.core.SequenceAssembler;

/**
 * Per source address, the ports it sent into the knock range within the last
 * {@code SequenceTimeout} (a sliding window: each port is forgotten once it is that old), fed
 * to knock-core's decoder. SYN retransmits (same source port, same destination port) count
 * once. Memory is bounded: at most {@code maxSources} sources and
 * {@code maxPortsPerSource} ports each; beyond that the least recently seen source is evicted and
 * counted. No clock of its own: times are passed in. Not thread-safe.
 */
final class SourceTracker {
  /** A sequence that ended without a knock: what the audit log hears about. */
  record Ended(int source, int ports, Rejection strongest) {}

  private final KnockDecoder decoder;
  private final long timeoutMillis;
  private final int maxSources;
  private final int maxPortsPerSource;
  private final LruTable<Sequence> sources = new LruTable<>();
  private long evictions;

  SourceTracker(KnockDecoder decoder, Duration sequenceTimeout, int maxSources,
      int maxPortsPerSource) {
    this.decoder = decoder;
    this.timeoutMillis = sequenceTimeout.toMillis();
    this.maxSources = maxSources;
    this.maxPortsPerSource = maxPortsPerSource;
  }

  /** One source's ports, each with the time it arrived, oldest first; keyed by the source. */
  private static final class Sequence extends LruTable.Node {
    final SequenceAssembler assembler;
    long[] pairs = new long[4]; // grows: most sources of a flood send one packet
    long[] times = new long[4];
    int pairCount;
    long last;
    Rejection strongest;

    Sequence(int source, SequenceAssembler assembler) {
      this.key = source;
      this.assembler = assembler;
    }

    /** Adds (source port, destination port) seen at t; false if already held (a retransmit). */
    boolean addPair(int sport, int dport, long t) {
      long key = ((long) sport << 16) | dport;
      for (int i = 0; i < pairCount; i++) {
        if (pairs[i] == key) {
          return false;
        }
      }
      if (pairCount == pairs.length) {
        pairs = java.util.Arrays.copyOf(pairs, pairs.length * 2);
        times = java.util.Arrays.copyOf(times, times.length * 2);
      }
      pairs[pairCount] = key;
      times[pairCount++] = t;
      last = t;
      return true;
    }

    /**
     * The sliding window: forgets the ports that arrived before {@code oldest} and rebuilds the
     * assembler from the rest without retrying their combinations (each was tried when its last
     * port arrived). The combination budget starts afresh for the new window.
     */
    void dropBefore(long oldest) {
      if (pairCount == 0 || times[0] >= oldest) {
        return;
      }
      int keep = 0;
      for (int i = 0; i < pairCount; i++) {
        if (times[i] >= oldest) {
          pairs[keep] = pairs[i];
          times[keep++] = times[i];
        }
      }
      pairCount = keep;
      assembler.clear();
      for (int i = 0; i < pairCount; i++) {
        assembler.seed((int) (pairs[i] & 0xFFFF));
      }
    }
  }

  /**
   * Offers one logged packet into the knock range.
   *
   * @param ended receives sequences that this call ended (timed out) after a rejection
   */
  DecodeResult offer(int source, int sourcePort, int destPort, Instant now, List<Ended> ended) {
    long t = now.toEpochMilli();
    Sequence s = sources.get(source);
    if (s != null && t - s.last > timeoutMillis) {
      sources.remove(source);
      end(source, s, ended);
      s = null;
    }
    if (s == null) {
      if (sources.size() >= maxSources) {
        sources.remove(sources.eldest().key);
        evictions++; // counted, audited as a summary: a flood must not flood the audit log
      }
      s = new Sequence(source, decoder.newSequence(source));
      sources.add(s);
    } else {
      sources.touch(s);
      s.dropBefore(t - timeoutMillis);
    }
    if (s.pairCount >= maxPortsPerSource || !s.addPair(sourcePort, destPort, t)) {
      return INCOMPLETE;
    }
    DecodeResult r = s.assembler.offer(destPort, now);
    if (r.isAccepted()
        || (r.status() == DecodeResult.Status.REJECTED && definitive(r.rejection()))) {
      // a knock that decoded is over, refused or not: its ports must not stay to multiply the
      // combinations of the next one (a user retrying at once after a stale or replayed knock)
      sources.remove(source);
    } else if (r.status() == DecodeResult.Status.REJECTED) {
      if (s.strongest == null || r.rejection().ordinal() > s.strongest.ordinal()) {
        s.strongest = r.rejection();
      }
    }
    return r;
  }

  /** A rejection after a valid tag (the sender held a key): reported at once, not at the end. */
  static boolean definitive(Rejection r) {
    return r.ordinal() >= Rejection.MALFORMED.ordinal();
  }

  private static final DecodeResult INCOMPLETE =
      new DecodeResult(DecodeResult.Status.INCOMPLETE, null, null, 0);

  private static void end(int source, Sequence s, List<Ended> ended) {
    if (s.strongest != null) {
      ended.add(new Ended(source, s.assembler.size(), s.strongest));
    }
  }

  /** Ends every sequence older than the timeout; returns those that ended after a rejection. */
  List<Ended> sweep(Instant now) {
    List<Ended> ended = new ArrayList<>();
    long t = now.toEpochMilli();
    for (Sequence s = sources.eldest(); s != null; ) {
      Sequence next = sources.newer(s);
      if (t - s.last > timeoutMillis) {
        sources.remove(s.key);
        end(s.key, s, ended);
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
}
