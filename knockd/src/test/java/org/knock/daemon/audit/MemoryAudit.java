package org.knock.daemon.audit;

import java.util.ArrayList;
import java.util.List;

/** An {@link Audit} that keeps events in memory, for tests. Thread-safe. */
public final class MemoryAudit implements Audit {
  private final List<AuditEvent> events = new ArrayList<>();

  @Override
  public synchronized void record(AuditEvent event) {
    events.add(event);
  }

  /** Every event so far, oldest first. */
  public synchronized List<AuditEvent> events() {
    return List.copyOf(events);
  }

  /** The events with this name, oldest first. */
  public synchronized List<AuditEvent> events(String name) {
    return events.stream().filter(e -> e.name().equals(name)).toList();
  }

  /** The last event; fails if there is none. */
  public synchronized AuditEvent last() {
    if (events.isEmpty()) {
      throw new AssertionError("no audit event recorded");
    }
    return events.get(events.size() - 1);
  }

  public synchronized void clear() {
    events.clear();
  }
}
