package org.knock.daemon.log;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Lines from standard input until end of input (a last line without newline included). close()
 * from another thread ends a blocked read: the input is read through an interruptible channel.
 * Only the end of input is a normal end ({@link #endedNormally}); a failed read is not.
 */
final class StdinSource implements LineSource {
  private final ReadableByteChannel in;
  private final SourceListener listener;
  private volatile boolean closed;
  private volatile boolean eof;

  StdinSource(SourceListener listener) {
    this(new FileInputStream(FileDescriptor.in).getChannel(), listener);
  }

  StdinSource(ReadableByteChannel in, SourceListener listener) {
    this.in = in;
    this.listener = listener;
  }

  @Override
  public String name() {
    return "stdin";
  }

  @Override
  public void run(LineSink sink) {
    LineSplitter splitter = new LineSplitter();
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try {
      while (!closed && in.read(buf.clear()) >= 0) {
        splitter.feed(buf.flip(), sink);
      }
      eof = !closed;
      splitter.flush(sink);
    } catch (IOException e) {
      if (!closed) {
        listener.lost(name(), "read failed: " + e.getMessage());
      }
    }
  }

  @Override
  public boolean endedNormally() {
    return eof;
  }

  @Override
  public void close() {
    closed = true;
    try {
      in.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
