package org.knock.daemon.netlink;

import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;

/**
 * A NETLINK_NETFILTER socket for reading what the kernel multicasts or unicasts to it (an NFLOG
 * group's packets), through JDK 17's incubating foreign linker ({@link ForeignSocket}, loaded by
 * reflection only when {@link #linkable}); connected to the kernel, so that no other process can
 * unicast to it. Receives block for at most the timeout given at
 * {@link #open}, so that the reading thread notices a close within it. Not thread-safe: one
 * thread sends, receives and closes.
 */
public final class NetfilterChannel implements AutoCloseable {
  /** errno values the reader tells apart. */
  public static final int EINTR = 4;
  public static final int EAGAIN = 11;
  public static final int EPERM = 1;
  public static final int EBUSY = 16;
  public static final int ENOBUFS = 105;
  private static final int SO_RCVBUF = 8;
  private static final int SO_RCVTIMEO = 20;
  private static final int SO_RCVBUFFORCE = 33;
  private static final int RECEIVE_BUFFER = 65536;

  private final ForeignSocket socket;
  private final boolean forced;

  private NetfilterChannel(ForeignSocket socket, boolean forced) {
    this.socket = socket;
    this.forced = forced;
  }

  /** Whether this JVM has {@code jdk.incubator.foreign} (JDK 17 with --add-modules). */
  public static boolean linkable() {
    return SetElementWriter.linkable();
  }

  /**
   * Opens the socket with a receive buffer of {@code bufferBytes} (SO_RCVBUFFORCE, which needs
   * CAP_NET_ADMIN; else SO_RCVBUF, capped by net.core.rmem_max) and a receive timeout.
   *
   * @throws NetlinkException with the reason if the JVM lacks the module or native access, or
   *     socket() or connect() fails
   */
  public static NetfilterChannel open(int bufferBytes, int timeoutMillis)
      throws NetlinkException {
    if (!linkable()) {
      throw new NetlinkException("this JVM has no module jdk.incubator.foreign (JDK 17 with "
          + "--add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED)");
    }
    ForeignSocket s;
    try {
      s = (ForeignSocket) Class.forName(NetfilterChannel.class.getPackageName()
          + ".ForeignSocket").getDeclaredConstructor(int.class).newInstance(RECEIVE_BUFFER);
    } catch (InvocationTargetException e) {
      throw new NetlinkException("cannot open a netlink socket: " + e.getCause());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      throw new NetlinkException("cannot use the foreign linker: " + e);
    }
    boolean forced = s.setInt(SO_RCVBUFFORCE, bufferBytes) == 0;
    if (!forced) {
      s.setInt(SO_RCVBUF, bufferBytes); // best effort: the kernel caps it at rmem_max
    }
    int r = s.setTimeval(SO_RCVTIMEO, timeoutMillis * 1000L);
    if (r != 0) {
      s.close();
      throw new NetlinkException("setsockopt(SO_RCVTIMEO) failed: errno " + -r);
    }
    return new NetfilterChannel(s, forced);
  }

  /** Whether the receive buffer was set with SO_RCVBUFFORCE (else SO_RCVBUF, maybe capped). */
  public boolean forced() {
    return forced;
  }

  /** Sends {@code bytes} in one send(); the count sent, or -1. */
  public long send(byte[] bytes) {
    return socket.send(bytes);
  }

  /**
   * One recv() into {@code into} from position 0, waiting at most the timeout: the count
   * received, or minus errno ({@code -EAGAIN} on timeout, {@code -ENOBUFS} when the kernel
   * dropped messages for want of room in the receive buffer).
   */
  public int receive(ByteBuffer into) {
    return socket.receiveOrErrno(into);
  }

  @Override
  public void close() {
    socket.close();
  }
}
