package org.knock.daemon.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file channel over a real one that fails as a full or broken disk does: writes take only
 * {@link #room} more bytes and then fail, and {@code size()} or {@code truncate()} may fail too.
 * Put in place of {@link FileReplayCache}'s append channel by {@link #install}.
 */
final class FailingDisk extends FileChannel {
  private final FileChannel real;
  /** Bytes the disk still takes; negative for no limit. */
  long room = -1;
  boolean sizeFails;
  boolean truncateFails;

  private FailingDisk(FileChannel real) {
    this.real = real;
  }

  /** Wraps the cache's append channel; returns the wrapper to set its failures. */
  static FailingDisk install(FileReplayCache cache) throws Exception {
    java.lang.reflect.Field f = FileReplayCache.class.getDeclaredField("out");
    f.setAccessible(true);
    FailingDisk d = new FailingDisk((FileChannel) f.get(cache));
    f.set(cache, d);
    return d;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (room == 0 && src.hasRemaining()) {
      throw new IOException("No space left on device");
    }
    if (room < 0 || src.remaining() <= room) {
      int n = real.write(src);
      room = room < 0 ? room : room - n;
      return n;
    }
    ByteBuffer part = src.slice(src.position(), (int) room);
    int n = real.write(part);
    src.position(src.position() + n);
    room -= n;
    return n;
  }

  @Override
  public long size() throws IOException {
    if (sizeFails) {
      throw new IOException("Input/output error");
    }
    return real.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    if (truncateFails) {
      throw new IOException("Input/output error");
    }
    real.truncate(size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    real.force(metaData);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return real.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return real.read(dsts, offset, length);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public long position() throws IOException {
    return real.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    real.position(newPosition);
    return this;
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) {
    throw new UnsupportedOperationException();
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) {
    throw new UnsupportedOperationException();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return real.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src, long position) {
    throw new UnsupportedOperationException();
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) {
    throw new UnsupportedOperationException();
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) {
    throw new UnsupportedOperationException();
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) {
    throw new UnsupportedOperationException();
  }

  @Override
  protected void implCloseChannel() throws IOException {
    real.close();
  }
}
