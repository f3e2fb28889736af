package org.knock.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knock.core.Protocol;
import org.knock.daemon.config.TcpFlags;
import org.knock.daemon.firewall.PortSpec;

/**
 * knockd-compatible static doors ({@code Sequence = 7000,8000:udp,9000}), matched as knockd 0.8
 * does — one stage per (source, door); a port of any door's sequence that is not the next step
 * resets the door; ports outside every sequence are ignored; a packet whose TCP flags do not match
 * the door's {@code TCPFlags} is ignored — with one fix: a duplicate of the step just matched (a
 * SYN retransmit or a spoofed copy) does not reset the door. Bounded: at most {@code maxSources}
 * sources are tracked, the least recently seen evicted first. No clock: times are passed in.
 * Not thread-safe.
 */
final class DoorMatcher {
  /**
   * A door: one sequence of one {@code [NAME]} section (a section with one-time sequences gives
   * one door per sequence).
   *
   * @param flags which TCP packets count (knockd's TCPFlags)
   * @param oneTime whether it is a one-time sequence, retired once it opened
   */
  record Door(String name, List<PortSpec> steps, Duration timeout, TcpFlags flags,
      boolean oneTime) {}

  private final List<Door> doors;
  private final Set<PortSpec> sequencePorts = new HashSet<>();
  /** The port numbers of {@link #sequencePorts}, any protocol: most packets are none of them. */
  private final java.util.BitSet sequencePortNumbers = new java.util.BitSet(65536);
  private final int maxSources;
  private final Map<String, long[]> state; // per source: per door, stage and start millis

  DoorMatcher(List<Door> doors, int maxSources) {
    this.doors = new java.util.ArrayList<>(doors);
    indexSequencePorts();
    this.maxSources = maxSources;
    this.state = new LinkedHashMap<>(256, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, long[]> e) {
        return size() > DoorMatcher.this.maxSources;
      }
    };
  }

  List<Door> doors() {
    return List.copyOf(doors);
  }

  /**
   * Takes over each source's progress on the doors {@code previous} has as well (same name,
   * steps, timeout and flags), as a reload does: a static knock that straddles it goes on. The
   * progress on a door the reload changed or removed is dropped.
   */
  void takeOver(DoorMatcher previous) {
    int[] from = new int[doors.size()];
    boolean any = false;
    for (int i = 0; i < from.length; i++) {
      from[i] = previous.doors.indexOf(doors.get(i));
      any |= from[i] >= 0;
    }
    if (!any) {
      return;
    }
    previous.state.forEach((source, old) -> { // least recently seen first: the order is kept
      long[] st = new long[doors.size() * 2];
      boolean progress = false;
      for (int i = 0; i < from.length; i++) {
        if (from[i] >= 0 && old[2 * from[i]] > 0) {
          st[2 * i] = old[2 * from[i]];
          st[2 * i + 1] = old[2 * from[i] + 1];
          progress = true;
        }
      }
      if (progress) {
        state.put(source, st);
      }
    });
  }

  /**
   * Retires a door (a used one-time sequence): every source's progress on it is forgotten, that on
   * the other doors kept.
   */
  void retire(Door door) {
    int i = doors.indexOf(door);
    if (i >= 0) {
      doors.remove(i);
      state.replaceAll((source, st) -> {
        long[] kept = new long[st.length - 2];
        System.arraycopy(st, 0, kept, 0, 2 * i);
        System.arraycopy(st, 2 * i + 2, kept, 2 * i, kept.length - 2 * i);
        return kept;
      });
      indexSequencePorts();
    }
  }

  private void indexSequencePorts() {
    sequencePorts.clear();
    sequencePortNumbers.clear();
    for (Door d : doors) {
      sequencePorts.addAll(d.steps());
      for (PortSpec p : d.steps()) {
        sequencePortNumbers.set(p.port());
      }
    }
  }

  /** True if some door's sequence uses this port; false for any value that is no port. */
  boolean isSequencePort(int port, Protocol protocol) {
    return port >= 1 && port <= 65535 && protocol != null && sequencePortNumbers.get(port)
        && sequencePorts.contains(new PortSpec(port, protocol));
  }

  /**
   * Offers one logged packet; returns the doors it completed for this source.
   *
   * @param flags the packet's TCP flags, lower case ({@code syn}, {@code ack}); ignored for UDP
   */
  List<Door> offer(String source, int port, Protocol protocol, List<String> flags, Instant now) {
    if (!isSequencePort(port, protocol)) {
      return List.of();
    }
    PortSpec step = new PortSpec(port, protocol);
    long t = now.toEpochMilli();
    long[] st = state.computeIfAbsent(source, s -> new long[doors.size() * 2]);
    List<Door> opened = new ArrayList<>(1);
    for (int i = 0; i < doors.size(); i++) {
      Door d = doors.get(i);
      if (protocol == Protocol.TCP && !d.flags().matches(flags)) {
        continue;
      }
      int stage = (int) st[2 * i];
      if (stage > 0 && t - st[2 * i + 1] > d.timeout().toMillis()) {
        stage = 0;
      }
      List<PortSpec> steps = d.steps();
      if (steps.get(stage).equals(step)) {
        if (stage == 0) {
          st[2 * i + 1] = t;
        }
        stage++;
        if (stage == steps.size()) {
          opened.add(d);
          stage = 0;
        }
      } else if (stage > 0 && steps.get(stage - 1).equals(step)) {
        // a duplicate of the step just matched: no reset
      } else {
        stage = steps.get(0).equals(step) ? 1 : 0;
        st[2 * i + 1] = t;
      }
      st[2 * i] = stage;
    }
    return opened;
  }
}
