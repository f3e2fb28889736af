package org.knock.daemon.log;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.knock.daemon.netlink.KmsgChannel;
import org.knock.daemon.netlink.KnockPorts;
import org.knock.daemon.netlink.NetlinkException;

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
 * <p>The kernel wakes a reader waiting on /dev/kmsg only at its next tick. Given knock ports
 * (the daemon passes them unless the JVM runs with {@code -Dknockd.kmsgWake=false}) and where the
 * JVM can ({@link KmsgChannel}: the foreign linker, CAP_NET_RAW), the device never blocks and the
 * reader waits instead on /dev/kmsg and on packet sockets that only packets to the knock range
 * wake: such a packet's record is then read as it is logged, with no wake-ups while idle. With
 * an idle poll interval (opt-in, {@code KmsgPoll}) the device stays non-blocking and is read
 * again after each such pause when it had nothing: the first record of a knock is then read
 * within that interval, at the cost of those wake-ups while idle.
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

    /**
     * True if reads never block and {@link #await} waits instead: for a record, or for a packet
     * whose record the kernel is about to log.
     */
    default boolean waits() {
      return false;
    }

    /**
     * Waits at most {@code timeoutMillis} (only where {@link #waits}): true if a knock's packet
     * arrived, whose records may follow within microseconds.
     */
    default boolean await(int timeoutMillis) throws IOException {
      return false;
    }

    /** How records are waited for, for the daemon's start line; null: blocking reads. */
    default String how() {
      return null;
    }

    /** Wakes on {@code ports}' packets from now on: how records are waited for now. */
    default String refilter(KnockPorts ports) {
      return how();
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
  /**
   * The longest wait of a device that {@link Device#waits} (a close ends it at once; without an
   * eventfd {@link KmsgChannel} ends it within 250 ms).
   */
  static final int WAIT_MILLIS = 5000;
  /**
   * How long after a knock's packet (no record yet) the reader polls: its record follows within
   * microseconds; a packet that is never logged (dropped before the LOG rule) costs this much
   * polling, not {@link #HOT_NANOS}.
   */
  static final long WAKE_NANOS = 8_000_000;

  private final String name;
  private final Opener opener;
  /** The packets that wake the device, for the next open and a reload; null: none. */
  private volatile KnockPorts ports;
  private final long startUsec;
  private final SourceListener listener;
  private final long idlePollNanos;
  private volatile boolean closed;
  private volatile Device device;
  private long lastSeq = -1;
  private boolean lost;
  private final CountDownLatch opened = new CountDownLatch(1);
  private volatile String how;

  /**
   * @param idlePollNanos the pause between polls while idle; 0: wait while idle
   * @param ports the packets that end a wait at once where the JVM and CAP_NET_RAW allow
   *     ({@link KmsgChannel}); null: none. Ignored, now and on a reload, with an idle poll: the
   *     reader then polls, and packet sockets would only cost
   */
  KmsgSource(SourceListener listener, long idlePollNanos, KnockPorts ports) throws IOException {
    this("kmsg", null, uptimeUsec(Path.of("/proc/uptime")), listener, idlePollNanos);
    this.ports = idlePollNanos > 0 ? null : ports;
  }

  KmsgSource(String name, Opener opener, long startUsec, SourceListener listener) {
    this(name, opener, startUsec, listener, 0);
  }

  KmsgSource(String name, Opener opener, long startUsec, SourceListener listener,
      long idlePollNanos) {
    this.name = name;
    this.opener = opener != null ? opener : () -> openDevKmsg(this.ports);
    this.startUsec = startUsec;
    this.listener = listener;
    this.idlePollNanos = idlePollNanos;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean kernelDirect() {
    return true;
  }

  @Override
  public String describe() {
    String h = how;
    return h == null ? name : name + " (" + h + ")";
  }

  @Override
  public void knockPortsChanged(KnockPorts p) {
    if (idlePollNanos > 0) {
      return; // polling while idle: no packet sockets (see the constructor)
    }
    ports = p;
    Device d = device;
    if (d != null) {
      how = d.refilter(p);
    }
  }

  /** Returns once the reader has tried to open the device (the start line can then say how). */
  @Override
  public boolean awaitStarted(long timeout, TimeUnit unit) throws InterruptedException {
    return opened.await(timeout, unit);
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
        KnockPorts asked = ports;
        try {
          d = opener.open();
        } catch (IOException e) {
          report("cannot open: " + e.getMessage());
          opened.countDown();
          TimeUnit.MILLISECONDS.sleep(RETRY_MS);
          continue;
        }
        device = d;
        how = d.how();
        KnockPorts now = ports;
        if (now != asked) { // a reload during the open: the device may hold the old filter
          how = d.refilter(now);
        }
        opened.countDown();
        polling = false;
        if (closed) {
          break;
        }
      }
      boolean hot = System.nanoTime() - hotUntil < 0;
      boolean poll = hot || idlePollNanos > 0 || d.waits();
      if (poll != polling) {
        polling = d.waits() || (d.nonBlocking(poll) && poll);
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
      if (n == 0 && polling) { // nothing there yet
        if (hot || idlePollNanos > 0) {
          LockSupport.parkNanos(hot ? POLL_NANOS : idlePollNanos);
        } else {
          boolean packet;
          try {
            packet = d.await(WAIT_MILLIS); // only a device that waits is polling here
          } catch (IOException e) {
            report("wait failed: " + e.getMessage());
            closeDevice();
            TimeUnit.MILLISECONDS.sleep(RETRY_MS);
            continue;
          }
          if (packet) {
            hotUntil = System.nanoTime() + WAKE_NANOS; // a knock's packet: its record follows
          }
        }
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
   * /dev/kmsg through {@link KmsgChannel}, woken by {@code ports}' packets, where the JVM and the
   * capabilities allow; else as a channel that blocks ({@link #openDevKmsg(String)}).
   */
  private static Device openDevKmsg(KnockPorts ports) throws IOException {
    String noWake = "woken at the kernel's tick: ";
    if (ports == null) {
      return openDevKmsg((String) null); // no packet wake-up asked for: as before it existed
    } else if (!KmsgChannel.linkable()) {
      noWake += "no packet wake-up without jdk.incubator.foreign";
    } else {
      try {
        return channel(KmsgChannel.open(ports), ports);
      } catch (NetlinkException e) {
        noWake += "no packet wake-up: " + e.getMessage();
      }
    }
    return openDevKmsg(noWake);
  }

  /** /dev/kmsg through {@link KmsgChannel}: never blocks in read, waits in {@link #await}. */
  private static Device channel(KmsgChannel ch, KnockPorts ports) {
    return new Device() {
      private volatile String how = howWoken(ch.wakeProblem(), ports);

      @Override
      public int read(ByteBuffer buf) throws IOException {
        int n = ch.read(buf);
        if (n == -KmsgChannel.EPIPE) {
          throw new IOException("Broken pipe"); // as FileChannel says it: records were lost
        }
        if (n < 0) {
          throw new IOException("read: errno " + -n);
        }
        return n;
      }

      @Override
      public boolean waits() {
        return true;
      }

      @Override
      public boolean await(int timeoutMillis) throws IOException {
        return ch.await(timeoutMillis);
      }

      @Override
      public String how() {
        return how;
      }

      @Override
      public synchronized String refilter(KnockPorts p) { // a reload's thread, or the reader's
        how = howWoken(p == null ? "no knock ports to wake on" : ch.refilter(p), p);
        return how;
      }

      @Override
      public void close() {
        ch.close();
      }
    };
  }

  private static String howWoken(String problem, KnockPorts ports) {
    return problem == null ? "woken at once by " + ports
        : "woken at the kernel's tick: no packet wake-up: " + problem;
  }

  /**
   * /dev/kmsg as an interruptible channel: close() from another thread ends a blocked read. It
   * can be switched to non-blocking reads where the JVM lets knockd set O_NONBLOCK (bin/knockd:
   * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}); elsewhere it stays blocking.
   *
   * @param how what the start line says of it (why packets do not wake it)
   */
  private static Device openDevKmsg(String how) throws IOException {
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
      public String how() {
        return how;
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
