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

  /** {@code lines} with a filter asked of {@code filter} at each read. */
  static LineSink filtered(java.util.function.Supplier<LineFilter> filter, LineSink lines) {
    return new LineSink() {
      @Override
      public void onLine(String line) {
        lines.onLine(line);
      }

      @Override
      public LineFilter filter() {
        return filter.get();
      }
    };
  }
}
