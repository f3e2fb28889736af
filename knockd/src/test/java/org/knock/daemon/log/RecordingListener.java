package org.knock.daemon.log;

import java.util.ArrayList;
import java.util.List;

/** Records what a source reported, as "lost REASON", "recovered", "overrun N". */
final class RecordingListener implements SourceListener {
  private final List<String> events = new ArrayList<>();

  @Override
  public synchronized void lost(String source, String reason) {
    events.add("lost " + reason);
  }

  @Override
  public synchronized void recovered(String source) {
    events.add("recovered");
  }

  @Override
  public synchronized void overrun(String source, long linesLost) {
    events.add("overrun " + linesLost);
  }

  synchronized List<String> events() {
    return new ArrayList<>(events);
  }
}
