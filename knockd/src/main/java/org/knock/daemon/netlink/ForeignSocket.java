package org.knock.daemon.netlink;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;
import jdk.incubator.foreign.SymbolLookup;

/**
 * A NETLINK_NETFILTER socket through libc's socket/send/recv/close, called with JDK 17's
 * incubating foreign linker. The only class that touches {@code jdk.incubator.foreign}: loaded
 * by reflection ({@link SetElementWriter#open}) only when that module is in the boot layer, so a
 * JVM without it never links it. Its constructor throws if native access is refused or socket()
 * fails. Not thread-safe. Besides the non-blocking {@link #receive} of the set writer it has what
 * {@link NetfilterChannel} needs: socket options and a blocking receive that says errno.
 */
final class ForeignSocket implements NetlinkSocket {
  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NETLINK_NETFILTER = 12;
  private static final int MSG_DONTWAIT = 0x40;
  private static final int BUFFER = 16384;
  private static final int SOL_SOCKET = 1;

  private final MethodHandle send;
  private final MethodHandle recv;
  private final MethodHandle close;
  /** Linked on first use: only {@link NetfilterChannel} sets options and reads errno. */
  private MethodHandle setsockopt;
  private MethodHandle errno;
  private final ResourceScope scope = ResourceScope.newSharedScope();
  private final MemorySegment buffer;
  private final MemorySegment option;
  private final int fd;

  ForeignSocket() throws Throwable {
    this(BUFFER);
  }

  /** @param bufferBytes the most one send or receive moves */
  ForeignSocket(int bufferBytes) throws Throwable {
    buffer = MemorySegment.allocateNative(bufferBytes, scope);
    option = MemorySegment.allocateNative(16, 8, scope);
    CLinker linker = CLinker.getInstance(); // IllegalCallerException without native access
    SymbolLookup libc = CLinker.systemLookup();
    FunctionDescriptor io = FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_INT,
        CLinker.C_POINTER, CLinker.C_LONG, CLinker.C_INT);
    MethodType ioType = MethodType.methodType(long.class, int.class, MemoryAddress.class,
        long.class, int.class);
    send = linker.downcallHandle(libc.lookup("send").orElseThrow(), ioType, io);
    recv = linker.downcallHandle(libc.lookup("recv").orElseThrow(), ioType, io);
    close = linker.downcallHandle(libc.lookup("close").orElseThrow(),
        MethodType.methodType(int.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT));
    MethodHandle socket = linker.downcallHandle(libc.lookup("socket").orElseThrow(),
        MethodType.methodType(int.class, int.class, int.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_INT, CLinker.C_INT));
    fd = (int) socket.invokeExact(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) {
      scope.close();
      throw new IllegalStateException("socket(AF_NETLINK, NETLINK_NETFILTER) failed");
    }
  }

  @Override
  public long send(byte[] bytes) {
    if (bytes.length > buffer.byteSize()) {
      return -1;
    }
    buffer.asSlice(0, bytes.length).copyFrom(MemorySegment.ofArray(bytes));
    try {
      return (long) send.invokeExact(fd, buffer.address(), (long) bytes.length, 0);
    } catch (Throwable t) {
      return -1;
    }
  }

  @Override
  public long receive(ByteBuffer into) {
    try {
      return recv(into, MSG_DONTWAIT);
    } catch (Throwable t) {
      return -1;
    }
  }

  /**
   * One blocking recv() (ended by the socket's receive timeout) into {@code into} from position
   * 0: the count received, or minus errno.
   */
  int receiveOrErrno(ByteBuffer into) {
    try {
      linkOptionCalls();
      long n = recv(into, 0);
      return n < 0 ? -errno() : (int) n;
    } catch (Throwable t) {
      return -5; // EIO
    }
  }

  /** One recv() with {@code flags}; what it got is copied into {@code into} from position 0. */
  private long recv(ByteBuffer into, int flags) throws Throwable {
    long n = (long) recv.invokeExact(fd, buffer.address(), Math.min(buffer.byteSize(),
        into.capacity()), flags);
    if (n >= 0) {
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
      linkOptionCalls();
      int r = (int) setsockopt.invokeExact(fd, SOL_SOCKET, name, option.address(), length);
      return r == 0 ? 0 : -errno();
    } catch (Throwable t) {
      return -5;
    }
  }

  /**
   * Links setsockopt and __errno_location once, before the call whose errno may be read: linking
   * after a failed call could overwrite its errno.
   */
  private void linkOptionCalls() {
    if (errno != null) {
      return;
    }
    CLinker linker = CLinker.getInstance();
    SymbolLookup libc = CLinker.systemLookup();
    setsockopt = linker.downcallHandle(libc.lookup("setsockopt").orElseThrow(),
        MethodType.methodType(int.class, int.class, int.class, int.class, MemoryAddress.class,
            int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_INT, CLinker.C_INT,
            CLinker.C_POINTER, CLinker.C_INT));
    errno = linker.downcallHandle(libc.lookup("__errno_location").orElseThrow(),
        MethodType.methodType(MemoryAddress.class), FunctionDescriptor.of(CLinker.C_POINTER));
  }

  /** The calling thread's errno, read right after the failed call. */
  private int errno() throws Throwable {
    MemoryAddress at = (MemoryAddress) errno.invokeExact();
    return MemoryAccess.getInt(at.asSegment(4, ResourceScope.globalScope()));
  }

  @Override
  public void close() {
    try {
      int ignored = (int) close.invokeExact(fd);
    } catch (Throwable t) {
      // the descriptor is gone either way
    }
    scope.close();
  }
}
