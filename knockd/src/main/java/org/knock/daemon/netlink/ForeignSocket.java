package org.knock.daemon.netlink;

import java.nio.ByteBuffer;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;

/**
 * A NETLINK_NETFILTER socket through libc's socket/connect/send/recvfrom/close, called with JDK
 * 17's incubating foreign linker. It is connected to the kernel (portid 0) as soon as it exists:
 * Linux lets any local process with CAP_NET_ADMIN in its network namespace unicast to an
 * unconnected netlink socket's portid (listed in /proc/net/netlink), which would let it forge
 * NFLOG packet records or acks; a connected socket takes unicasts only from its peer (the kernel
 * refuses others with ECONNREFUSED). As a second line, a datagram whose sender (recvfrom's
 * nl_pid) is not the kernel is dropped unread. With {@link ForeignKmsg} and {@link Libc}, the
 * only classes that touch {@code jdk.incubator.foreign}: loaded by reflection ({@link
 * SetElementWriter#open}) only when that module is in the boot layer, so a JVM without it never
 * links it. Its constructor throws if native access is refused or socket() or connect() fails.
 * Not thread-safe. Besides the non-blocking {@link #receive} of the set writer it has what {@link
 * NetfilterChannel} needs: socket options and a blocking receive that says errno.
 */
final class ForeignSocket implements NetlinkSocket {
  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NETLINK_NETFILTER = 12;
  private static final int MSG_DONTWAIT = 0x40;
  private static final int BUFFER = 16384;
  private static final int SOL_SOCKET = 1;
  /** sizeof(struct sockaddr_nl): nl_family (u16), nl_pad (u16), nl_pid (u32), nl_groups (u32). */
  private static final int SOCKADDR_NL = 12;
  private static final int NL_PID = 4;
  /** What recv() returns for a datagram that did not come from the kernel (dropped). */
  private static final long FOREIGN = -2;

  private final Libc libc;
  private final ResourceScope scope = ResourceScope.newSharedScope();
  private final MemorySegment buffer;
  private final MemorySegment option;
  /** recvfrom()'s sender: a sockaddr_nl, then its socklen_t. */
  private final MemorySegment sender;
  private final int fd;

  ForeignSocket() throws Throwable {
    this(BUFFER);
  }

  /** @param bufferBytes the most one send or receive moves */
  ForeignSocket(int bufferBytes) throws Throwable {
    libc = Libc.get(); // throws without native access
    buffer = MemorySegment.allocateNative(bufferBytes, scope);
    option = MemorySegment.allocateNative(16, 8, scope);
    sender = MemorySegment.allocateNative(SOCKADDR_NL + 4, 4, scope);
    fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) {
      scope.close();
      throw new IllegalStateException("socket(AF_NETLINK, NETLINK_NETFILTER) failed");
    }
    // the kernel's address: nl_family AF_NETLINK, nl_pid 0, nl_groups 0
    MemorySegment kernel = MemorySegment.allocateNative(SOCKADDR_NL, 4, scope);
    kernel.fill((byte) 0);
    MemoryAccess.setShortAtOffset(kernel, 0, (short) AF_NETLINK);
    if (libc.connect(fd, kernel.address(), SOCKADDR_NL) != 0) {
      int e = libc.errno();
      libc.close(fd);
      scope.close();
      throw new IllegalStateException("connect() of the netlink socket to the kernel failed: "
          + "errno " + e);
    }
  }

  @Override
  public long send(byte[] bytes) {
    if (bytes.length > buffer.byteSize()) {
      return -1;
    }
    buffer.asSlice(0, bytes.length).copyFrom(MemorySegment.ofArray(bytes));
    try {
      return libc.send(fd, buffer.address(), bytes.length, 0);
    } catch (Throwable t) {
      return -1;
    }
  }

  @Override
  public long receive(ByteBuffer into) {
    try {
      long n = recv(into, MSG_DONTWAIT);
      return n == FOREIGN ? -1 : n;
    } catch (Throwable t) {
      return -1;
    }
  }

  /**
   * One blocking recv() (ended by the socket's receive timeout) into {@code into} from position
   * 0: the count received, or minus errno ({@code -EAGAIN} also for a datagram dropped because
   * it did not come from the kernel).
   */
  int receiveOrErrno(ByteBuffer into) {
    try {
      long n = recv(into, 0);
      return n == FOREIGN ? -NetfilterChannel.EAGAIN : n < 0 ? -libc.errno() : (int) n;
    } catch (Throwable t) {
      return -5; // EIO
    }
  }

  /**
   * One recvfrom() with {@code flags}; what the kernel sent is copied into {@code into} from
   * position 0. The count, -1 (errno set), or {@link #FOREIGN} for a datagram from another
   * socket, dropped (a connected socket gets none; this is the second line).
   */
  private long recv(ByteBuffer into, int flags) throws Throwable {
    MemoryAccess.setIntAtOffset(sender, NL_PID, -1); // stays not-the-kernel unless written
    MemoryAccess.setIntAtOffset(sender, SOCKADDR_NL, SOCKADDR_NL);
    long n = libc.recvfrom(fd, buffer.address(), Math.min(buffer.byteSize(),
        into.capacity()), flags, sender.address(), sender.address().addOffset(SOCKADDR_NL));
    if (n >= 0) {
      if (MemoryAccess.getIntAtOffset(sender, NL_PID) != 0) {
        return FOREIGN;
      }
      into.clear();
      into.put(buffer.asSlice(0, n).asByteBuffer());
    }
    return n;
  }

  /** setsockopt(SOL_SOCKET, name, int value): 0, or minus errno. */
  int setInt(int name, int value) {
    MemoryAccess.setInt(option, value);
    return set(name, 4);
  }

  /** setsockopt(SOL_SOCKET, name, struct timeval of {@code micros}): 0, or minus errno. */
  int setTimeval(int name, long micros) {
    MemoryAccess.setLongAtOffset(option, 0, micros / 1_000_000);
    MemoryAccess.setLongAtOffset(option, 8, micros % 1_000_000);
    return set(name, 16);
  }

  private int set(int name, int length) {
    try {
      int r = libc.setsockopt(fd, SOL_SOCKET, name, option.address(), length);
      return r == 0 ? 0 : -libc.errno();
    } catch (Throwable t) {
      return -5;
    }
  }

  @Override
  public void close() {
    libc.close(fd);
    scope.close();
  }
}
