package org.knock.daemon.log;

import java.nio.ByteBuffer;

/** For benchmarks in other packages: cuts bytes into lines the way {@link StdinSource} does. */
public final class BenchInput {
  private BenchInput() {}

  /** Feeds data in 64 KiB reads through a {@link LineSplitter}, as standard input would be. */
  public static void split(byte[] data, LineSink sink) {
    split(data, sink, () -> { });
  }

  /** As {@link #split(byte[], LineSink)}, running {@code afterEachRead} after each 64 KiB. */
  public static void split(byte[] data, LineSink sink, Runnable afterEachRead) {
    LineSplitter splitter = new LineSplitter();
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    for (int off = 0; off < data.length; off += buf.capacity()) {
      buf.clear();
      buf.put(data, off, Math.min(buf.capacity(), data.length - off));
      splitter.feed(buf.flip(), sink);
      afterEachRead.run();
    }
    splitter.flush(sink);
  }
}
