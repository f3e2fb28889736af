package org.knock.daemon.netlink;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * /dev/kmsg, non-blocking, with a wait that also ends when a knock's packet arrives ({@link
 * ForeignKmsg}, loaded by reflection only when {@link #linkable}). The kernel wakes a /dev/kmsg
 * reader only at its next timer tick (up to 4 ms at HZ=250, when the CPU that logged the packet
 * is busy); a packet socket is woken at once, so the reader can read the knock's records as they
 * are logged, without polling while idle. The packets are only a hint: what knockd acts on is
 * still only what the kernel logged, and a knock the hint misses (no CAP_NET_RAW, IPv6
 * extension headers, a static door's ports) waits for the tick, as without it.
 *
 * <p>One thread reads and waits; {@link #close} and {@link #refilter} may come from any thread:
 * the descriptors are closed by the last call that uses them, never under a call in progress,
 * and a close ends a wait in progress at once (an eventfd; without one, within 250 ms).
 */
public final class KmsgChannel implements AutoCloseable {
  /** errno of a read that fell behind the kernel's ring buffer. */
  public static final int EPIPE = 32;

  private final ForeignKmsg kmsg;
  private final AtomicInteger users = new AtomicInteger();
  private volatile boolean closing;
  private boolean closed; // guarded by this

  private KmsgChannel(ForeignKmsg kmsg) {
    this.kmsg = kmsg;
  }

  /** Whether this JVM has {@code jdk.incubator.foreign} (JDK 17 with --add-modules). */
  public static boolean linkable() {
    return SetElementWriter.linkable();
  }

  /**
   * Opens /dev/kmsg non-blocking and, where it can, packet sockets that wake {@link #await} for
   * the packets {@code ports} names (IPv4 and IPv6); null: none.
   *
   * @throws NetlinkException with the reason if the JVM lacks the module or native access, or
   *     /dev/kmsg cannot be opened
   */
  public static KmsgChannel open(KnockPorts ports) throws NetlinkException {
    if (!linkable()) {
      throw new NetlinkException("this JVM has no module jdk.incubator.foreign");
    }
    try {
      return new KmsgChannel((ForeignKmsg) Class.forName(KmsgChannel.class.getPackageName()
          + ".ForeignKmsg").getDeclaredConstructor(KnockPorts.class).newInstance(ports));
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
   * Waits at most {@code timeoutMillis} for a record or a knock's packet: true if such a packet
   * came (its records may follow within microseconds); false also once closed.
   *
   * @throws IOException if the wait itself fails (not for a signal)
   */
  public boolean await(int timeoutMillis) throws IOException {
    if (!enter()) {
      return false;
    }
    try {
      return kmsg.await(timeoutMillis);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("poll: " + t);
    } finally {
      leave();
    }
  }

  /**
   * Puts the filter for {@code ports} on the packet sockets (a reload that changed them): null,
   * or why packets do not wake the reader.
   */
  public String refilter(KnockPorts ports) {
    if (!enter()) {
      return "closed";
    }
    try {
      return kmsg.refilter(ports);
    } catch (Throwable t) {
      return t.toString();
    } finally {
      leave();
    }
  }

  @Override
  public void close() {
    users.incrementAndGet(); // keeps the descriptors open for the wake-up below
    closing = true;
    synchronized (this) {
      if (!closed) {
        kmsg.wake();
      }
    }
    leave();
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
      kmsg.close();
    }
  }
}
