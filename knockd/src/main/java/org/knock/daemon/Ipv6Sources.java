package org.knock.daemon;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.knock.core.DecodeResult;
import org.knock.core.KnockDecoder;
import org.knock.core.SequenceAssembler;

/**
 * The IPv6 sources of knock-range packets: a second {@link SourceTracker} (same timeout, bounds
 * and shared check budget as the IPv4 one, which it never touches) whose int keys are ids given to
 * IPv6 addresses here. Bounded: at most {@code maxSources} sources tracked (the tracker's bound),
 * ids only for tracked sources plus a quarter as many again (at least {@link #MAX_PER_PREFIX}),
 * and at most {@link #MAX_PER_PREFIX} sources of one /64 tracked at once — a new source of a full
 * /64 evicts that /64's oldest, so a flood of random addresses from one /64 cannot evict anybody
 * else. Compact, so that an IPv6 flood costs about what an IPv4 one does: ids, addresses, their
 * hash chains and the per-/64 lists live in int and long arrays (under 100 bytes an id, grown
 * by doubling up to the bound), no object per source. Not thread-safe.
 */
final class Ipv6Sources {
  /** Most sources of one /64 tracked at once. */
  static final int MAX_PER_PREFIX = 64;
  /** Most distinct destination addresses told apart (the server's own; beyond: unknown). */
  static final int MAX_DESTINATIONS = 256;
  private static final int INITIAL = 256;
  private static final int FREE = -1; // chain[id] of a free id

  private final KnockDecoder decoder;
  private final SourceTracker tracker;
  private final int maxIds;
  private final Map<Ipv6Address, Integer> destinationIds = new HashMap<>();
  private final List<byte[]> destinations = new ArrayList<>();
  // by id (1..used; 0 = none): address, hash chain, /64 slot and its list (oldest first)
  private long[] hi = new long[INITIAL + 1];
  private long[] lo = new long[INITIAL + 1];
  private int[] chain = new int[INITIAL + 1];
  private int[] prefixOf = new int[INITIAL + 1];
  private int[] before = new int[INITIAL + 1];
  private int[] after = new int[INITIAL + 1];
  private int[] buckets = new int[2 * INITIAL];
  // by /64 slot (1..; 0 = none): the /64, its hash chain, its listed ids (first, last, count)
  private long[] prefix = new long[INITIAL + 1];
  private int[] prefixChain = new int[INITIAL + 1];
  private int[] first = new int[INITIAL + 1];
  private int[] last = new int[INITIAL + 1];
  private int[] count = new int[INITIAL + 1];
  private int[] prefixBuckets = new int[2 * INITIAL];
  private int[] freeIds = new int[INITIAL];
  private int freeIdCount;
  private int[] freePrefixes = new int[INITIAL];
  private int freePrefixCount;
  private int ids; // ids in use
  private int usedIds; // ids ever handed out: 1..usedIds
  private int usedPrefixes;
  private long prefixEvictions;

  /** IPv6 sources tracked like {@code ipv4}'s sources, in a table of their own. */
  Ipv6Sources(SourceTracker ipv4) {
    this.decoder = ipv4.decoder();
    this.tracker = ipv4.twin(this::assembler);
    this.maxIds = maxIds(ipv4.maxSources());
    destinations.add(null); // id 0: unknown destination
  }

  /** Most ids held for a tracker of {@code maxSources}. */
  static int maxIds(int maxSources) {
    return maxSources + Math.max(maxSources / 4, MAX_PER_PREFIX) + 1;
  }

  private SequenceAssembler assembler(int sourceId, int destinationId) {
    return decoder.newSequence6(address(sourceId), destinations.get(destinationId),
        destinationId);
  }

  /** Offers one packet from an IPv6 source (16 bytes) to a destination (16 bytes, or null). */
  DecodeResult offer(byte[] source, byte[] destination, int sourcePort, int destPort, Instant now,
      List<SourceTracker.Ended> ended) {
    return tracker.offer(admitted(source), destinationId(destination), sourcePort, destPort, now,
        ended);
  }

  /** {@link SourceTracker#replay} for an IPv6 source: a port another table held. */
  DecodeResult replay(byte[] source, byte[] destination, int sourcePort, int destPort,
      long arrived, Instant now, List<SourceTracker.Ended> ended) {
    return tracker.replay(admitted(source), destinationId(destination), sourcePort, destPort,
        arrived, now, ended);
  }

  /** One port this table holds: {@link #forEachHeld}. */
  interface HeldPort {
    void held(byte[] source, byte[] destination, int sourcePort, int destPort, long arrived);
  }

  /** {@link SourceTracker#forEachHeld} with the addresses (destination null if unknown). */
  int forEachHeld(int maxPorts, HeldPort to) {
    return tracker.forEachHeld(maxPorts, (id, dest, sport, dport, t) ->
        to.held(address(id), destinations.get(dest), sport, dport, t));
  }

  /** The id of {@code source}, made if new, its sequence admitted to the tracker's bounds. */
  private int admitted(byte[] source) {
    long h = longAt(source, 0);
    long l = longAt(source, 8);
    int id = find(h, l);
    if (id == 0) {
      id = newId(h, l);
    }
    if (!tracker.tracks(id)) {
      admit(id);
    }
    return id;
  }

  private static long longAt(byte[] b, int at) {
    long v = 0;
    for (int i = at; i < at + 8; i++) {
      v = v << 8 | (b[i] & 0xFF);
    }
    return v;
  }

  private static int hash(long h, long l, int size) {
    long x = (h * 0x9E3779B97F4A7C15L) ^ l;
    x ^= x >>> 31;
    x *= 0xBF58476D1CE4E5B9L;
    return (int) (x ^ x >>> 29) & (size - 1);
  }

  private int find(long h, long l) {
    for (int id = buckets[hash(h, l, buckets.length)]; id != 0; id = chain[id]) {
      if (hi[id] == h && lo[id] == l) {
        return id;
      }
    }
    return 0;
  }

  private int newId(long h, long l) {
    if (freeIdCount == 0) {
      if (usedIds >= maxIds) {
        purge();
      } else if (usedIds + 1 >= hi.length) {
        growIds(Math.min(2 * (hi.length - 1), maxIds));
      }
    }
    int id = freeIdCount > 0 ? freeIds[--freeIdCount] : ++usedIds;
    hi[id] = h;
    lo[id] = l;
    prefixOf[id] = 0;
    link(id);
    ids++;
    return id;
  }

  /** Puts an id at the head of its address's hash chain. */
  private void link(int id) {
    int b = hash(hi[id], lo[id], buckets.length);
    chain[id] = buckets[b];
    buckets[b] = id;
  }

  /** Puts a /64 slot at the head of its hash chain. */
  private void linkPrefix(int p) {
    int b = hash(prefix[p], 0, prefixBuckets.length);
    prefixChain[p] = prefixBuckets[b];
    prefixBuckets[b] = p;
  }

  /** Grows the id arrays (only when no id is free: every id 1..usedIds is in use). */
  private void growIds(int capacity) {
    hi = Arrays.copyOf(hi, capacity + 1);
    lo = Arrays.copyOf(lo, capacity + 1);
    chain = Arrays.copyOf(chain, capacity + 1);
    prefixOf = Arrays.copyOf(prefixOf, capacity + 1);
    before = Arrays.copyOf(before, capacity + 1);
    after = Arrays.copyOf(after, capacity + 1);
    freeIds = Arrays.copyOf(freeIds, capacity);
    buckets = new int[Integer.highestOneBit(capacity) * 4];
    for (int id = 1; id <= usedIds; id++) {
      link(id);
    }
  }

  /** Makes room in the id's /64 for a new sequence: its oldest tracked source goes if full. */
  private void admit(int id) {
    int p = prefixOf[id];
    if (p == 0) {
      p = prefixSlot(hi[id]);
    } else {
      unlist(id);
    }
    for (int i = first[p]; i != 0; ) {
      int next = after[i];
      if (!tracker.tracks(i)) {
        unlist(i);
        prefixOf[i] = p; // still of this /64, just not listed
      }
      i = next;
    }
    if (count[p] >= MAX_PER_PREFIX) {
      int oldest = first[p];
      unlist(oldest);
      prefixOf[oldest] = p;
      tracker.forget(oldest);
      prefixEvictions++;
    }
    prefixOf[id] = p;
    before[id] = last[p];
    after[id] = 0;
    if (last[p] != 0) {
      after[last[p]] = id;
    } else {
      first[p] = id;
    }
    last[p] = id;
    count[p]++;
  }

  /** Takes a listed id out of its /64's list (it keeps its /64: {@code prefixOf}). */
  private void unlist(int id) {
    int p = prefixOf[id];
    boolean listed = first[p] == id || before[id] != 0;
    if (!listed) {
      return;
    }
    if (before[id] != 0) {
      after[before[id]] = after[id];
    } else {
      first[p] = after[id];
    }
    if (after[id] != 0) {
      before[after[id]] = before[id];
    } else {
      last[p] = before[id];
    }
    before[id] = 0;
    after[id] = 0;
    count[p]--;
  }

  /** The slot of a /64, made if new. */
  private int prefixSlot(long h) {
    int b = hash(h, 0, prefixBuckets.length);
    for (int p = prefixBuckets[b]; p != 0; p = prefixChain[p]) {
      if (prefix[p] == h) {
        return p;
      }
    }
    if (freePrefixCount == 0 && usedPrefixes + 1 >= prefix.length) {
      growPrefixes(2 * (prefix.length - 1));
    }
    int p = freePrefixCount > 0 ? freePrefixes[--freePrefixCount] : ++usedPrefixes;
    prefix[p] = h;
    first[p] = 0;
    last[p] = 0;
    count[p] = 0;
    linkPrefix(p);
    return p;
  }

  private void growPrefixes(int capacity) {
    prefix = Arrays.copyOf(prefix, capacity + 1);
    prefixChain = Arrays.copyOf(prefixChain, capacity + 1);
    first = Arrays.copyOf(first, capacity + 1);
    last = Arrays.copyOf(last, capacity + 1);
    count = Arrays.copyOf(count, capacity + 1);
    freePrefixes = Arrays.copyOf(freePrefixes, capacity);
    rehashPrefixes(Integer.highestOneBit(capacity) * 4);
  }

  /** Rebuilds the /64 hash chains of the slots in use (those with ids). */
  private void rehashPrefixes(int size) {
    prefixBuckets = new int[size];
    Arrays.fill(prefixChain, 0);
    boolean[] free = new boolean[prefix.length];
    for (int i = 0; i < freePrefixCount; i++) {
      free[freePrefixes[i]] = true;
    }
    for (int p = 1; p <= usedPrefixes; p++) {
      if (!free[p]) {
        linkPrefix(p);
      }
    }
  }

  /**
   * Frees the ids of sources no longer tracked, and the /64 slots left without ids; rebuilds
   * both hash tables. O(ids), run when all {@code maxIds} are taken: at most once per
   * {@code maxIds - maxSources} new sources.
   */
  private void purge() {
    int[] idsOfPrefix = new int[prefix.length];
    for (int id = 1; id <= usedIds; id++) {
      if (chain[id] == FREE) {
        continue;
      }
      if (tracker.tracks(id)) {
        idsOfPrefix[prefixOf[id]]++;
      } else {
        if (prefixOf[id] != 0) {
          unlist(id);
        }
        chain[id] = FREE;
        freeIds[freeIdCount++] = id;
        ids--;
      }
    }
    Arrays.fill(buckets, 0);
    for (int id = 1; id <= usedIds; id++) {
      if (chain[id] != FREE) {
        link(id);
      }
    }
    freePrefixCount = 0;
    for (int p = 1; p <= usedPrefixes; p++) {
      if (idsOfPrefix[p] == 0) {
        first[p] = 0;
        last[p] = 0;
        count[p] = 0;
        freePrefixes[freePrefixCount++] = p;
      }
    }
    rehashPrefixes(prefixBuckets.length);
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
    byte[] b = new byte[16];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (hi[id] >>> (56 - 8 * i));
      b[8 + i] = (byte) (lo[id] >>> (56 - 8 * i));
    }
    return b;
  }

  /** True if some check the budget refused is still owed. */
  boolean owesChecks() {
    return tracker.owesChecks();
  }

  List<SourceTracker.Retried> retryPending(Instant now) {
    return tracker.retryPending(now);
  }

  List<SourceTracker.Ended> sweep(Instant now) {
    return tracker.sweep(now);
  }

  /** Forgets a source (e.g. once it is denied). */
  void forget(byte[] source) {
    int id = find(longAt(source, 0), longAt(source, 8));
    if (id != 0) {
      tracker.forget(id);
    }
  }

  /** Sources tracked now. */
  int size() {
    return tracker.size();
  }

  /** Ids held (tracked sources and ids not yet purged): at most {@link #maxIds}. */
  int ids() {
    return ids;
  }

  /** Sources evicted: by the tracker's bound, or by their /64's cap. */
  long evictions() {
    return tracker.evictions() + prefixEvictions;
  }
}
