package org.knock.daemon.log;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LineSource} run on a thread of its own, collecting its lines: for the tests of the
 * sources that follow something (a child process, a file) until closed.
 */
final class RunningSource implements AutoCloseable {
  final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final LineSource source;
  private final Thread thread;

  RunningSource(LineSource source) {
    this.source = source;
    this.thread = new Thread(() -> {
      try {
        source.run(lines::add);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, source.name());
    thread.start();
  }

  /** Waits (at most 20 s) until {@code n} lines came. */
  RunningSource awaitLines(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (lines.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return this;
  }

  /** Closes the source; true if its thread then ended within 5 s. */
  boolean stop() throws InterruptedException {
    source.close();
    thread.join(5000);
    return !thread.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
