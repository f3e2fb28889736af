package org.knock.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.knock.core.Rejection;

/**
 * Tells a hunt for knocks from knocking. Per source it keeps one window: the distinct knock-range
 * ports the source sent, its sequences that ended without a knock, its bad tags and its replays.
 * A window closes when the source has been quiet for {@code quiet} or is {@code interval} old.
 * A window that crosses a threshold yields exactly TWO {@link Report}s, never one per packet: an
 * alert ({@code end == false}) from the first {@link #sweep} after the crossing, with the counts so
 * far, and a closing summary ({@code end == true}) with the final counts when the window closes.
 * {@link Kind#KNOCK_HUNT} is for {@code huntRejections} or more bad tags and replays, else
 * {@link Kind#SCAN} for {@code scanPorts} or more distinct ports from a source that had not
 * completed a knock in the window when the sweep looked. Memory is bounded: at most
 * {@code maxSources} windows of (range size / 8) bytes each; beyond that the least recently seen
 * window is closed early (and still reported if it crossed a threshold); with a grouping (IPv6
 * sources: their /64) at most {@code maxPerGroup} windows of one group are held, a new one closing
 * that group's oldest early, so a flood from one /64 cannot close everybody else's windows. No
 * clock of its own: times are passed in. Not thread-safe.
 *
 * @param <K> a source: an IPv4 address as an Integer, or an {@link Ipv6Address}
 */
final class HuntDetector<K> {
  /** What a closed window is reported as. */
  enum Kind {
    SCAN, KNOCK_HUNT
  }

  /**
   * One source's window that crossed a threshold: its alert or its closing summary.
   *
   * @param kind what it is reported as (a closing summary may say more than its alert: a scan
   *     that went on to send bad tags ends as a knock hunt)
   * @param end false for the alert, true for the closing summary
   * @param source the source
   * @param ports distinct knock-range ports it sent
   * @param sequences its sequences refused (ended without a knock)
   * @param badTags refusals for a bad tag (no key fits)
   * @param replays refusals as a replay, stale or before-boot (a recorded knock sent again)
   * @param interval from its first to its last packet or refusal so far
   */
  record Report<K>(Kind kind, boolean end, K source, int ports, int sequences, int badTags,
      int replays, Duration interval) {}

  private final int rangeStart;
  private final int rangeSize;
  private final long intervalMillis;
  private final long quietMillis;
  private final int scanPorts;
  private final int huntRejections;
  private final int maxSources;
  /**
   * The windows, least recently seen first, by an int: an IPv4 source's address itself (a packet
   * boxes nothing and finds its window without a map entry; a new window boxes its source once,
   * for its reports), else an id given out for the source ({@link #byKey}).
   */
  private LruTable<Window<K>> windows = new LruTable<>();
  /** Windows by source when sources are no ints; null when they are (IPv4). */
  private final Map<K, Window<K>> byKey;
  private int nextId;
  private final List<Report<K>> closedEarly = new ArrayList<>();
  /** Windows that crossed a threshold since the last sweep, in the order they crossed. */
  private final List<Window<K>> crossed = new ArrayList<>();
  /** When {@link #sweep} last walked through every window. */
  private long lastFullSweep = Long.MIN_VALUE / 2;

  /**
   * How often a sweep walks through every window, not only from the least recently seen one to
   * the first that is not due: a window can be due behind one that is not (a knock's completion
   * makes its window the most recently seen without a packet; a clock set back), and closes at
   * most this late.
   */
  static final long FULL_SWEEP_MILLIS = 1000;
  /** A source's group (its /64), or null: no bound per group. */
  private final Function<K, Object> group;
  private final int maxPerGroup;
  /** Per group, its sources with a window, oldest first. */
  private final Map<Object, ArrayDeque<K>> groups = new HashMap<>();

  private static final class Window<K> extends LruTable.Node {
    final K source;
    final long start;
    long last;
    /** In {@link #crossed}: it crossed a threshold, and the next sweep looks at it. */
    boolean queued;
    /** The distinct ports (offsets in the range), as a list while few, then as bits. */
    char[] few = new char[4];
    BitSet many;
    int portCount;
    int sequences;
    int badTags;
    int replays;
    boolean completed;
    boolean alerted;

    Window(K source, int key, long start) {
      this.source = source;
      this.key = key;
      this.start = start;
      this.last = start;
    }

    /**
     * Adds port offset {@code i} if new. Most sources send a few ports (background scanning):
     * a short list; from {@link #FEW} ports on, a bit set of the whole range.
     */
    void addPort(int i, int rangeSize) {
      if (many != null) {
        if (!many.get(i)) {
          many.set(i);
          portCount++;
        }
        return;
      }
      for (int k = 0; k < portCount; k++) {
        if (few[k] == i) {
          return;
        }
      }
      if (portCount == FEW) {
        many = new BitSet(rangeSize);
        for (int k = 0; k < portCount; k++) {
          many.set(few[k]);
        }
        few = null;
        many.set(i);
      } else {
        if (portCount == few.length) {
          few = java.util.Arrays.copyOf(few, portCount * 2);
        }
        few[portCount] = (char) i;
      }
      portCount++;
    }
  }

  /** Most ports a window lists before it holds them as bits. */
  static final int FEW = 32;

  /**
   * A detector of IPv4 sources, each an Integer (the address, big-endian): the only kind the int
   * overloads of {@link #packet}, {@link #refused} and {@link #completed} serve without boxing.
   *
   * @param rangeStart first port of the knock range
   * @param rangeEnd last port of the knock range
   * @param interval longest window
   * @param quiet a window closes after this long without a packet or refusal; keep it above the
   *     sequence timeout so that a sequence's refusal lands in its window
   * @param scanPorts distinct ports that make a scan
   * @param huntRejections bad tags plus replays that make a knock hunt
   * @param maxSources most windows held at once
   */
  static HuntDetector<Integer> ipv4(int rangeStart, int rangeEnd, Duration interval,
      Duration quiet, int scanPorts, int huntRejections, int maxSources) {
    return new HuntDetector<>(rangeStart, rangeEnd, interval, quiet, scanPorts, huntRejections,
        maxSources, null, Integer.MAX_VALUE, true);
  }

  /**
   * As {@link #ipv4}, for sources of any kind (not only IPv4 addresses as Integers, which
   * {@link #ipv4} is for), with at most {@code maxPerGroup} windows of sources that {@code group} maps to
   * one value (e.g. the /64 of IPv6 sources).
   */
  HuntDetector(int rangeStart, int rangeEnd, Duration interval, Duration quiet, int scanPorts,
      int huntRejections, int maxSources, Function<K, Object> group, int maxPerGroup) {
    this(rangeStart, rangeEnd, interval, quiet, scanPorts, huntRejections, maxSources, group,
        maxPerGroup, false);
  }

  private HuntDetector(int rangeStart, int rangeEnd, Duration interval, Duration quiet,
      int scanPorts, int huntRejections, int maxSources, Function<K, Object> group,
      int maxPerGroup, boolean intKeys) {
    if (maxPerGroup < 1 || rangeEnd < rangeStart || scanPorts < 1 || huntRejections < 1
        || maxSources < 1 || quiet.compareTo(interval) > 0 || quiet.isNegative()
        || quiet.isZero()) {
      throw new IllegalArgumentException("bad hunt detector settings");
    }
    this.rangeStart = rangeStart;
    this.rangeSize = rangeEnd - rangeStart + 1;
    this.intervalMillis = interval.toMillis();
    this.quietMillis = quiet.toMillis();
    this.scanPorts = scanPorts;
    this.huntRejections = huntRejections;
    this.maxSources = maxSources;
    this.byKey = intKeys ? null : new HashMap<>();
    this.group = group;
    this.maxPerGroup = maxPerGroup;
  }

  /** A packet into the knock range. Ports outside the range are ignored. */
  void packet(K source, int port, Instant now) {
    int i = port - rangeStart;
    if (i >= 0 && i < rangeSize) {
      added(window(source, now.toEpochMilli()), i);
    }
  }

  /** {@link #packet(Object, int, Instant)} for an IPv4 source, without boxing it. */
  void packet(int source, int port, Instant now) {
    int i = port - rangeStart;
    if (i >= 0 && i < rangeSize) {
      added(window(source, now.toEpochMilli()), i);
    }
  }

  private void added(Window<K> w, int i) {
    w.addPort(i, rangeSize);
    if (w.portCount == scanPorts) {
      queue(w);
    }
  }

  /** Makes the next sweep look at a window that crossed a threshold (once). */
  private void queue(Window<K> w) {
    if (!w.queued && !w.alerted) {
      w.queued = true;
      crossed.add(w);
    }
  }

  /** One of the source's sequences was refused (each sequence reported once). */
  void refused(K source, Rejection reason, Instant now) {
    count(window(source, now.toEpochMilli()), reason);
  }

  /** {@link #refused(Object, Rejection, Instant)} for an IPv4 source. */
  void refused(int source, Rejection reason, Instant now) {
    count(window(source, now.toEpochMilli()), reason);
  }

  private void count(Window<K> w, Rejection reason) {
    w.sequences++;
    if (reason == Rejection.BAD_TAG) {
      w.badTags++;
    } else if (reason == Rejection.REPLAY || reason == Rejection.STALE
        || reason == Rejection.BEFORE_BOOT) {
      w.replays++;
    }
    if (w.badTags + w.replays == huntRejections) {
      queue(w);
    }
  }

  /** A knock from the source was accepted: its ports so far are no scan. */
  void completed(K source) {
    completed(find(source));
  }

  /** {@link #completed(Object)} for an IPv4 source. */
  void completed(int source) {
    completed(byKey != null ? find(boxed(source)) : windows.get(source));
  }

  private void completed(Window<K> w) {
    if (w != null) {
      w.completed = true;
      windows.touch(w);
    }
  }

  /**
   * Closes the windows that are quiet or old at {@code now} (their alert first, if they crossed a
   * threshold unseen), then alerts for the windows that crossed one since the last sweep; returns
   * the reports, those of windows closed early first. Walks from the least recently seen window
   * and stops at the first that is not due, but once every {@link #FULL_SWEEP_MILLIS} goes
   * through every window: with the most recently seen windows those of scans that go on (each
   * closed by its own packet once it is {@code interval} old), a sweep every 250 ms over 4,096
   * windows was half the sweeper thread's CPU under background scanning.
   */
  List<Report<K>> sweep(Instant now) {
    long t = now.toEpochMilli();
    List<Report<K>> out = new ArrayList<>(closedEarly);
    closedEarly.clear();
    boolean everyWindow = t - lastFullSweep >= FULL_SWEEP_MILLIS || t < lastFullSweep;
    if (everyWindow) {
      lastFullSweep = t;
    }
    for (Window<K> w = windows.eldest(), next; w != null; w = next) {
      next = windows.newer(w);
      if (due(w, t)) {
        close(w, out);
      } else if (!everyWindow) {
        break;
      }
    }
    for (Window<K> w : crossed) {
      w.queued = false;
      alert(out, w); // once: a window closed meanwhile was alerted by its closing
    }
    crossed.clear();
    return out;
  }

  int size() {
    return windows.size();
  }

  /**
   * Closes every window now, as when a reload changes what the windows measure: the reports a
   * sweep would give for them at their end (and those closed early, not yet swept).
   */
  List<Report<K>> closeAll() {
    List<Report<K>> out = new ArrayList<>(closedEarly);
    closedEarly.clear();
    for (Window<K> w = windows.eldest(); w != null; w = windows.newer(w)) {
      addReport(out, w);
    }
    windows = new LruTable<>();
    crossed.clear();
    if (byKey != null) {
      byKey.clear();
    }
    groups.clear();
    return out;
  }

  private boolean due(Window<?> w, long t) {
    return t - w.last >= quietMillis || t - w.start >= intervalMillis;
  }

  /** The source's window, or null. */
  private Window<K> find(K source) {
    return byKey == null ? windows.get((Integer) source) : byKey.get(source);
  }

  private Window<K> window(K source, long t) {
    return window(source, find(source), byKey == null ? (Integer) source : 0, t);
  }

  /** {@link #window(Object, long)} of an IPv4 source, unboxed where sources are ints. */
  private Window<K> window(int source, long t) {
    return byKey != null ? window(boxed(source), t) : window(null, windows.get(source), source, t);
  }

  /**
   * The window of {@code source} (null for an IPv4 source, known by {@code key}) whose current
   * window is {@code w} (null if none), made the most recently seen; a new one if it had none or
   * it was due.
   */
  private Window<K> window(K source, Window<K> w, int key, long t) {
    if (w != null && due(w, t)) {
      close(w, closedEarly);
      w = null;
    }
    if (w == null) {
      if (source == null) {
        source = boxed(key);
      }
      Object groupKey = group == null ? null : group.apply(source);
      ArrayDeque<K> g = groupKey == null ? null : groups.get(groupKey);
      if (g != null && g.size() >= maxPerGroup) { // the group's oldest window closes early
        close(find(g.peekFirst()), closedEarly);
      } else if (windows.size() >= maxSources) {
        close(windows.eldest(), closedEarly);
      }
      if (byKey != null) {
        do {
          key = nextId++;
        } while (windows.get(key) != null); // ids are reused only after 2^32 windows
      }
      w = new Window<>(source, key, t);
      windows.add(w);
      if (byKey != null) {
        byKey.put(source, w);
      }
      if (groupKey != null) {
        groups.computeIfAbsent(groupKey, k -> new ArrayDeque<>()).addLast(source);
      }
    } else {
      windows.touch(w);
    }
    w.last = Math.max(w.last, t);
    return w;
  }

  @SuppressWarnings("unchecked")
  private K boxed(int key) {
    return (K) Integer.valueOf(key);
  }

  /** Takes a window out and adds its reports to {@code out}. */
  private void close(Window<K> w, List<Report<K>> out) {
    windows.remove(w.key);
    if (byKey != null) {
      byKey.remove(w.source);
    }
    ungroup(w.source);
    addReport(out, w);
  }

  /** Takes a source whose window closed out of its group. */
  private void ungroup(K source) {
    if (group == null) {
      return;
    }
    Object key = group.apply(source);
    ArrayDeque<K> g = groups.get(key);
    if (g != null) {
      g.remove(source);
      if (g.isEmpty()) {
        groups.remove(key);
      }
    }
  }

  /** Groups held (for tests): at most one per source with a window. */
  int groups() {
    return groups.size();
  }

  /** A closing window: its alert if it crossed a threshold unseen, then its closing summary. */
  private void addReport(List<Report<K>> out, Window<K> w) {
    alert(out, w);
    if (w.alerted) {
      out.add(report(w.badTags + w.replays >= huntRejections ? Kind.KNOCK_HUNT : Kind.SCAN, true,
          w));
    }
  }

  /** The window's alert, once, if it crossed a threshold. */
  private void alert(List<Report<K>> out, Window<K> w) {
    if (w.alerted) {
      return;
    }
    Kind kind = w.badTags + w.replays >= huntRejections ? Kind.KNOCK_HUNT
        : w.portCount >= scanPorts && !w.completed ? Kind.SCAN : null;
    if (kind != null) {
      w.alerted = true;
      out.add(report(kind, false, w));
    }
  }

  private static <K> Report<K> report(Kind kind, boolean end, Window<K> w) {
    return new Report<>(kind, end, w.source, w.portCount, w.sequences, w.badTags, w.replays,
        Duration.ofMillis(w.last - w.start));
  }
}
