package org.knock.daemon.netlink;

import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * /dev/kmsg, non-blocking, with a wait that also ends when a packet to the knock ports arrives
 * ({@link ForeignKmsg}, loaded by reflection only when {@link #linkable}). The kernel wakes a
 * /dev/kmsg reader only at its next timer tick (up to 4 ms at HZ=250, when the CPU that logged
 * the packet is busy); a packet socket is woken at once, so the reader can read the knock's
 * records as they are logged, without polling while idle. The packets are only a hint: what
 * knockd acts on is still only what the kernel logged, and a knock the hint misses (no
 * CAP_NET_RAW, IPv6 extension headers, a reload that moved the knock range) waits for the
 * tick, as without it.
 *
 * <p>One thread reads and waits; {@link #close} may come from any thread: the descriptors are
 * closed by the last call that uses them, never under a call in progress (a wait ends within
 * its timeout).
 */
public final class KmsgChannel implements AutoCloseable {
  /** errno of a read that fell behind the kernel's ring buffer. */
  public static final int EPIPE = 32;

  private final ForeignKmsg kmsg;
  private final AtomicInteger users = new AtomicInteger();
  private volatile boolean closing;
  private boolean closed; // guarded by users reaching 0 after closing

  private KmsgChannel(ForeignKmsg kmsg) {
    this.kmsg = kmsg;
  }

  /** Whether this JVM has {@code jdk.incubator.foreign} (JDK 17 with --add-modules). */
  public static boolean linkable() {
    return SetElementWriter.linkable();
  }

  /**
   * Opens /dev/kmsg non-blocking and, where it can, packet sockets that wake {@link #await} for
   * TCP or UDP packets (IPv4 and IPv6) to ports {@code lowPort} to {@code highPort}.
   *
   * @throws NetlinkException with the reason if the JVM lacks the module or native access, or
   *     /dev/kmsg cannot be opened
   */
  public static KmsgChannel open(int lowPort, int highPort) throws NetlinkException {
    if (!linkable()) {
      throw new NetlinkException("this JVM has no module jdk.incubator.foreign");
    }
    try {
      return new KmsgChannel((ForeignKmsg) Class.forName(KmsgChannel.class.getPackageName()
          + ".ForeignKmsg").getDeclaredConstructor(int.class, int.class)
          .newInstance(lowPort, highPort));
    } catch (InvocationTargetException e) {
      Throwable c = e.getCause();
      throw new NetlinkException(c.getMessage() == null ? c.toString() : c.getMessage());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      throw new NetlinkException("cannot use the foreign linker: " + e);
    }
  }

  /** Null if packets wake {@link #await}; else why not (it then waits for /dev/kmsg alone). */
  public String wakeProblem() {
    return kmsg.wakeProblem();
  }

  /**
   * One record into {@code into} from position 0: its length, 0 if none is there (or the
   * channel is closed), or minus errno ({@link #EPIPE}: records were lost).
   */
  public int read(ByteBuffer into) {
    if (!enter()) {
      return 0;
    }
    try {
      return kmsg.read(into);
    } catch (Throwable t) {
      return -5; // EIO
    } finally {
      leave();
    }
  }

  /**
   * Waits at most {@code timeoutMillis} for a record or a packet to the knock ports: true if
   * such a packet came (its records may follow within microseconds).
   */
  public boolean await(int timeoutMillis) {
    if (!enter()) {
      return false;
    }
    try {
      return kmsg.await(timeoutMillis);
    } catch (Throwable t) {
      return false;
    } finally {
      leave();
    }
  }

  @Override
  public void close() {
    closing = true;
    if (users.get() == 0) {
      release();
    }
  }

  private boolean enter() {
    users.incrementAndGet();
    if (closing) {
      leave();
      return false;
    }
    return true;
  }

  private void leave() {
    if (users.decrementAndGet() == 0 && closing) {
      release();
    }
  }

  private void release() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    kmsg.close();
  }
}
