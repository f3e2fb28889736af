package org.knock.daemon.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * An {@link Audit} that keeps events in memory, for tests. Thread-safe. While
 * {@link #setUnavailable} is on, it writes nothing and returns false, as an audit log on a full
 * disk would; the events it could not write are kept apart ({@link #lost()}).
 */
public final class MemoryAudit implements Audit {
  private final List<AuditEvent> events = new ArrayList<>();
  private final List<AuditEvent> lost = new ArrayList<>();
  private boolean unavailable;

  @Override
  public synchronized boolean record(AuditEvent event) {
    if (unavailable) {
      lost.add(event);
      return false;
    }
    events.add(event);
    return true;
  }

  public synchronized void setUnavailable(boolean unavailable) {
    this.unavailable = unavailable;
  }

  /** The events that could not be written, oldest first. */
  public synchronized List<AuditEvent> lost() {
    return List.copyOf(lost);
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
