package org.knock.daemon;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.knock.daemon.log.LineSink;
import org.knock.daemon.log.LineSource;
import org.knock.daemon.netlink.KnockPorts;

/**
 * A {@link LineSource} a test feeds by hand: each queued line is handed to the sink, a queued
 * RuntimeException is thrown from {@link #run} (a faulty source), {@link #end} makes run return
 * as if the input ended (normally or not). Bounded: run waits at most 30 s for the next item.
 */
final class QueueSource implements LineSource {
  private static final Object END = new Object();
  private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
  private final boolean finite;
  private volatile boolean ended;
  volatile int runs;
  /** What {@link #knockPortsChanged} was told, in order. */
  final List<KnockPorts> wakePorts = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** @param finite whether running out of input is normal (as for standard input) */
  QueueSource(boolean finite) {
    this.finite = finite;
  }

  void line(String line) {
    items.add(line);
  }

  void fail(RuntimeException e) {
    items.add(e);
  }

  void end() {
    items.add(END);
  }

  @Override
  public String name() {
    return "queue";
  }

  @Override
  public void knockPortsChanged(KnockPorts ports) {
    wakePorts.add(ports);
  }

  @Override
  public void run(LineSink sink) throws InterruptedException {
    runs++;
    while (true) {
      Object o = items.poll(30, TimeUnit.SECONDS);
      if (o == null || o == END) {
        ended = o == END;
        return;
      }
      if (o instanceof RuntimeException e) {
        throw e;
      }
      sink.onLine((String) o);
    }
  }

  @Override
  public boolean endedNormally() {
    return finite && ended;
  }

  @Override
  public void close() {
    items.add(END);
  }
}
