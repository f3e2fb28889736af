package org.knock.daemon;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.knock.core.DecodeResult;
import org.knock.core.KnockDecoder;
import org.knock.core.SequenceAssembler;

/**
 * The IPv6 sources of knock-range packets: a second {@link SourceTracker} (same timeout, bounds
 * and shared check budget as the IPv4 one, which it never touches) whose int keys are ids given to
 * IPv6 addresses here. Bounded: at most {@code maxSources} sources tracked (the tracker's bound),
 * ids only for tracked sources plus as many again, and at most {@link #MAX_PER_PREFIX} sources of
 * one /64 tracked at once — a new source of a full /64 evicts that /64's oldest, so a flood of
 * random addresses from one /64 cannot evict anybody else. Not thread-safe.
 */
final class Ipv6Sources {
  /** Most sources of one /64 tracked at once. */
  static final int MAX_PER_PREFIX = 64;
  /** Most distinct destination addresses told apart (the server's own; beyond: unknown). */
  static final int MAX_DESTINATIONS = 256;

  private final KnockDecoder decoder;
  private final SourceTracker tracker;
  private final int maxIds;
  private final Map<Ipv6Address, Integer> ids = new HashMap<>();
  private final Map<Integer, byte[]> addresses = new HashMap<>();
  private final Map<Long, ArrayDeque<Integer>> prefixes = new HashMap<>();
  private final Map<Ipv6Address, Integer> destinationIds = new HashMap<>();
  private final List<byte[]> destinations = new ArrayList<>();
  private int nextId = 1;
  private long prefixEvictions;

  /** IPv6 sources tracked like {@code ipv4}'s sources, in a table of their own. */
  Ipv6Sources(SourceTracker ipv4) {
    this.decoder = ipv4.decoder();
    this.tracker = ipv4.twin(this::assembler);
    this.maxIds = 2 * ipv4.maxSources() + MAX_PER_PREFIX;
    destinations.add(null); // id 0: unknown destination
  }

  private SequenceAssembler assembler(int sourceId, int destinationId) {
    return decoder.newSequence6(addresses.get(sourceId), destinations.get(destinationId),
        destinationId);
  }

  /** Offers one packet from an IPv6 source (16 bytes) to a destination (16 bytes, or null). */
  DecodeResult offer(byte[] source, byte[] destination, int sourcePort, int destPort, Instant now,
      List<SourceTracker.Ended> ended) {
    Ipv6Address a = Ipv6Address.of(source);
    Integer id = ids.get(a);
    if (id == null) {
      if (ids.size() >= maxIds) {
        purge();
      }
      id = nextId++;
      ids.put(a, id);
      addresses.put(id, source.clone());
    }
    if (!tracker.tracks(id)) {
      admit(a.hi(), id);
    }
    return tracker.offer(id, destinationId(destination), sourcePort, destPort, now, ended);
  }

  /** Makes room in the source's /64 for a new sequence: its oldest tracked source goes if full. */
  private void admit(long prefix, int id) {
    ArrayDeque<Integer> q = prefixes.computeIfAbsent(prefix, k -> new ArrayDeque<>());
    q.removeIf(i -> i == id || !tracker.tracks(i));
    if (q.size() >= MAX_PER_PREFIX) {
      tracker.forget(q.removeFirst());
      prefixEvictions++;
    }
    q.addLast(id);
  }

  /** Forgets the ids (and empty /64s) of sources no longer tracked. */
  private void purge() {
    for (Iterator<Map.Entry<Ipv6Address, Integer>> it = ids.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<Ipv6Address, Integer> e = it.next();
      if (!tracker.tracks(e.getValue())) {
        addresses.remove(e.getValue());
        it.remove();
      }
    }
    prefixes.values().removeIf(q -> {
      q.removeIf(i -> !addresses.containsKey(i));
      return q.isEmpty();
    });
  }

  private int destinationId(byte[] destination) {
    if (destination == null || destination.length != 16) {
      return 0;
    }
    Ipv6Address a = Ipv6Address.of(destination);
    Integer id = destinationIds.get(a);
    if (id == null) {
      if (destinations.size() > MAX_DESTINATIONS) {
        return 0;
      }
      id = destinations.size();
      destinations.add(destination.clone());
      destinationIds.put(a, id);
    }
    return id;
  }

  /** The 16-byte address of a source id the tracker reported (valid until the next offer). */
  byte[] address(int id) {
    return addresses.get(id);
  }

  List<SourceTracker.Retried> retryPending(Instant now) {
    return tracker.retryPending(now);
  }

  List<SourceTracker.Ended> sweep(Instant now) {
    return tracker.sweep(now);
  }

  /** Forgets a source (e.g. once it is denied). */
  void forget(byte[] source) {
    Integer id = ids.get(Ipv6Address.of(source));
    if (id != null) {
      tracker.forget(id);
    }
  }

  /** Sources tracked now. */
  int size() {
    return tracker.size();
  }

  /** Ids held (tracked sources and ids not yet purged): bounded by 2 × maxSources + a /64's cap. */
  int ids() {
    return ids.size();
  }

  /** Sources evicted: by the tracker's bound, or by their /64's cap. */
  long evictions() {
    return tracker.evictions() + prefixEvictions;
  }
}
