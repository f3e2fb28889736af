package org.knock.daemon.log;

/** Receives whole lines (without terminator) from a {@link LineSource}, on the source's thread. */
@FunctionalInterface
public interface LineSink {
  void onLine(String line);
}
