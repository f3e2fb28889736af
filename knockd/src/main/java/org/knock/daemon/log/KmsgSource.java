package org.knock.daemon.log;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Kernel messages read from /dev/kmsg, one record per read. Only records stamped at or after the
 * start (compared with /proc/uptime read at start) and only the kernel's own records (facility 0;
 * lines written to /dev/kmsg by programs are dropped) are handed on, as their message text, and
 * only those the sink's {@link LineFilter} wants (the others are never decoded).
 *
 * <p>When the reader falls behind the kernel's ring buffer the read fails once with EPIPE; the
 * listener then hears {@code overrun} with the number of records lost (from the gap in sequence
 * numbers) and reading goes on. Other failures are reported as {@code lost}, and the device is
 * reopened every second (skipping records already handed on) until it works again.
 *
 * <p>With an idle poll interval (opt-in, {@code KmsgPoll}) the device stays non-blocking and is
 * read again after each such pause when it had nothing: the first record of a knock is then read
 * within that interval instead of at the kernel's next tick, at the cost of those wake-ups while
 * idle.
 *
 * <p>The printk clock stops during suspend while /proc/uptime does not; on a machine that has
 * been suspended, records would be taken as older than the start: use the journal there.
 */
final class KmsgSource implements LineSource {
  /** One record per read, like /dev/kmsg. */
  interface Device extends AutoCloseable {
    int read(ByteBuffer buf) throws IOException;

    /**
     * Makes the next reads return 0 at once when no record is there (true), or wait for one
     * (false, as opened). False if the device cannot switch: it then stays blocking.
     */
    default boolean nonBlocking(boolean on) {
      return false;
    }

    @Override
    void close() throws IOException;
  }

  /** Opens a {@link Device}. */
  @FunctionalInterface
  interface Opener {
    Device open() throws IOException;
  }

  private static final long RETRY_MS = 1000;
  /**
   * How long after a wanted record the reader polls instead of waiting. The kernel wakes a
   * blocked reader only at its next timer tick (up to 4 ms at HZ=250: ~2 ms median), while a
   * knock's 20 packets arrive within ~1.5 ms: polling reads the rest of them as they come.
   */
  static final long HOT_NANOS = 50_000_000;
  /** The pause between two polls that found nothing. */
  static final long POLL_NANOS = 200_000;

  private final String name;
  private final Opener opener;
  private final long startUsec;
  private final SourceListener listener;
  private final long idlePollNanos;
  private volatile boolean closed;
  private volatile Device device;
  private long lastSeq = -1;
  private boolean lost;

  /** @param idlePollNanos the pause between polls while idle; 0: block while idle */
  KmsgSource(SourceListener listener, long idlePollNanos) throws IOException {
    this("kmsg", KmsgSource::openDevKmsg, uptimeUsec(Path.of("/proc/uptime")), listener,
        idlePollNanos);
  }

  KmsgSource(String name, Opener opener, long startUsec, SourceListener listener) {
    this(name, opener, startUsec, listener, 0);
  }

  KmsgSource(String name, Opener opener, long startUsec, SourceListener listener,
      long idlePollNanos) {
    this.name = name;
    this.opener = opener;
    this.startUsec = startUsec;
    this.listener = listener;
    this.idlePollNanos = idlePollNanos;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void run(LineSink sink) throws InterruptedException {
    ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
    boolean overrun = false;
    boolean polling = false;
    long hotUntil = System.nanoTime();
    while (!closed) {
      Device d = device;
      if (d == null) {
        try {
          d = opener.open();
        } catch (IOException e) {
          report("cannot open: " + e.getMessage());
          TimeUnit.MILLISECONDS.sleep(RETRY_MS);
          continue;
        }
        device = d;
        polling = false;
        if (closed) {
          break;
        }
      }
      boolean hot = System.nanoTime() - hotUntil < 0;
      boolean poll = hot || idlePollNanos > 0;
      if (poll != polling) {
        polling = d.nonBlocking(poll) && poll;
      }
      int n;
      try {
        n = d.read(buf.clear());
      } catch (IOException e) {
        if (closed) {
          break;
        }
        if ("Broken pipe".equals(e.getMessage())) {
          overrun = true;
          continue;
        }
        report("read failed: " + e.getMessage());
        closeDevice();
        TimeUnit.MILLISECONDS.sleep(RETRY_MS);
        continue;
      }
      if (n == 0 && polling) {
        LockSupport.parkNanos(hot ? POLL_NANOS : idlePollNanos); // nothing there yet
        continue;
      }
      if (n <= 0) {
        report("end of input");
        closeDevice();
        TimeUnit.MILLISECONDS.sleep(RETRY_MS);
        continue;
      }
      KmsgRecord r = KmsgRecord.parse(buf.array(), n, sink.filter());
      if (r == null || r.seq() <= lastSeq) {
        continue; // not a record, or handed on before a reopen
      }
      if (overrun) {
        listener.overrun(name, lastSeq < 0 ? -1 : r.seq() - lastSeq - 1);
        overrun = false;
      }
      lastSeq = r.seq();
      if (lost) {
        lost = false;
        listener.recovered(name);
      }
      if (r.facility() == 0 && r.usec() >= startUsec && r.message() != null) {
        org.knock.daemon.trace.LatencyTrace.logged(r.usec(), !hot);
        hotUntil = System.nanoTime() + HOT_NANOS;
        sink.onLine(r.message());
      }
    }
    closeDevice();
  }

  @Override
  public void close() {
    closed = true;
    closeDevice();
  }

  private void report(String reason) {
    if (!lost && !closed) {
      lost = true;
      listener.lost(name, reason);
    }
  }

  private void closeDevice() {
    Device d = device;
    device = null;
    if (d != null) {
      try {
        d.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /**
   * /dev/kmsg as an interruptible channel: close() from another thread ends a blocked read. It
   * can be switched to non-blocking reads where the JVM lets knockd set O_NONBLOCK (bin/knockd:
   * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}); elsewhere it stays blocking.
   */
  private static Device openDevKmsg() throws IOException {
    FileInputStream in = new FileInputStream("/dev/kmsg");
    FileChannel ch = in.getChannel();
    java.io.FileDescriptor fd = in.getFD();
    return new Device() {
      @Override
      public int read(ByteBuffer buf) throws IOException {
        return ch.read(buf);
      }

      @Override
      public boolean nonBlocking(boolean on) {
        return NonBlocking.set(fd, on);
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  /** The first number of /proc/uptime ("1643.02 3007.81") in microseconds. */
  static long uptimeUsec(Path uptime) throws IOException {
    String text = Files.readString(uptime).trim();
    int space = text.indexOf(' ');
    String seconds = space < 0 ? text : text.substring(0, space);
    try {
      return new java.math.BigDecimal(seconds).movePointRight(6).longValue();
    } catch (NumberFormatException e) {
      throw new IOException("unexpected " + uptime + ": " + text, e);
    }
  }
}
