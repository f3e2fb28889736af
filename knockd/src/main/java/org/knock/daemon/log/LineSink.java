package org.knock.daemon.log;

/** Receives whole lines (without terminator) from a {@link LineSource}, on the source's thread. */
@FunctionalInterface
public interface LineSink {
  void onLine(String line);

  /**
   * The lines this sink wants; the others may be dropped on bytes, before a String is built.
   * Asked again for each read, so it may change (a reload that changes the LOG prefix).
   */
  default LineFilter filter() {
    return LineFilter.ALL;
  }
}
