package org.knock.daemon.log;

/** Receives whole lines (without terminator) from a {@link LineSource}, on the source's thread. */
@FunctionalInterface
public interface LineSink {
  void onLine(String line);

  /**
   * A line as its bytes, a[from, to) (UTF-8, no terminator), which the source reuses once this
   * returns: from the sources that split bytes into lines ({@link LineSplitter}). By default
   * decoded into a String for {@link #onLine(String)}; a sink that can read a line in place
   * (the daemon's, whose parser reads bytes) overrides it, and keeps nothing of the bytes.
   */
  default void onLine(byte[] a, int from, int to) {
    onLine(new String(a, from, to - from, java.nio.charset.StandardCharsets.UTF_8));
  }

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
      public void onLine(byte[] a, int from, int to) {
        lines.onLine(a, from, to);
      }

      @Override
      public LineFilter filter() {
        return filter.get();
      }
    };
  }
}
