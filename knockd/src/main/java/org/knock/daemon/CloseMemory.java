package org.knock.daemon;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per user and grant a close knock named, the newest seal time (Unix seconds) of such a close:
 * what {@code reason=superseded} compares an open against. At most {@code max} entries; beyond
 * that the least recently closed grant of the user holding the most is forgotten, so one key
 * holder closing many grants forgets its own, never another user's. Not thread-safe.
 */
final class CloseMemory {
  private final int max;
  private final Map<String, LinkedHashMap<String, Long>> byUser = new LinkedHashMap<>();
  private int size;

  CloseMemory(int max) {
    this.max = max;
  }

  /** The newest seal of a close of {@code grant} by {@code user}, or null. */
  Long closedAt(String user, String grant) {
    Map<String, Long> m = byUser.get(user);
    return m == null ? null : m.get(grant);
  }

  /** Remembers a close sealed at {@code sealed} (the newest seal wins). */
  void closed(String user, String grant, long sealed) {
    LinkedHashMap<String, Long> m = byUser.computeIfAbsent(user, u -> new LinkedHashMap<>());
    Long before = m.remove(grant); // re-inserted: the order is that of the latest close
    m.put(grant, before == null ? sealed : Math.max(before, sealed));
    if (before == null && ++size > max) {
      LinkedHashMap<String, Long> most = m;
      for (LinkedHashMap<String, Long> other : byUser.values()) {
        if (other.size() > most.size()) {
          most = other;
        }
      }
      Iterator<String> it = most.keySet().iterator();
      it.next();
      it.remove();
      size--;
      byUser.values().removeIf(Map::isEmpty); // only an eviction can empty a user's closes
    }
  }

  /** Forgets every close sealed before {@code oldest}. */
  void forgetBefore(long oldest) {
    for (Iterator<LinkedHashMap<String, Long>> it = byUser.values().iterator(); it.hasNext(); ) {
      LinkedHashMap<String, Long> m = it.next();
      int n = m.size();
      m.values().removeIf(sealed -> sealed < oldest);
      size -= n - m.size();
      if (m.isEmpty()) {
        it.remove();
      }
    }
  }

  /** Takes over {@code other}'s closes (a reload). */
  void putAll(CloseMemory other) {
    other.byUser.forEach((user, m) -> m.forEach((grant, sealed) -> closed(user, grant, sealed)));
  }

  int size() {
    return size;
  }
}
