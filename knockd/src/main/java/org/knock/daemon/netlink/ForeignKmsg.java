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
 * /dev/kmsg opened non-blocking through libc (open/read/poll/close), with two packet sockets
 * (AF_PACKET, SOCK_DGRAM, one for IPv4 and one for IPv6, each with {@link KnockPortFilter})
 * whose only use is to end a poll() when a packet to the knock ports arrives: the kernel defers
 * waking a /dev/kmsg reader to its next timer tick, while a packet socket is woken at once.
 * Nothing is read from the packets (trimmed to one byte by the filter, drained unread). Bound to
 * a protocol, not ETH_P_ALL, the sockets see only packets this host receives: the kernel runs
 * their filter on each received IP packet and does not clone the packets it sends for them.
 * Called through JDK 17's incubating foreign linker; loaded by reflection only ({@link
 * KmsgChannel#open}). Its constructor throws if /dev/kmsg cannot be opened; packet sockets that
 * cannot be opened (no CAP_NET_RAW) leave {@link #wakeProblem} set and poll() on /dev/kmsg
 * alone. Not thread-safe: {@link KmsgChannel} keeps the descriptors open while a call uses them.
 */
final class ForeignKmsg {
  private static final int O_NONBLOCK = 0x800;
  private static final int O_CLOEXEC = 0x80000;
  private static final int AF_PACKET = 17;
  private static final int SOCK_DGRAM = 2;
  /** htons(ETH_P_IP), htons(ETH_P_IPV6). */
  private static final int[] PROTOCOLS = {0x0008, 0xdd86};
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVBUF = 8;
  private static final int SO_ATTACH_FILTER = 26;
  private static final int MSG_DONTWAIT = 0x40;
  private static final short POLLIN = 1;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  /** At most this many queued packets are drained per wake-up; more end the next poll(). */
  private static final int DRAIN = 64;
  private static final int RECORD = 16 * 1024;

  private final MethodHandle read;
  private final MethodHandle poll;
  private final MethodHandle recv;
  private final MethodHandle close;
  private final MethodHandle errno;
  private final ResourceScope scope = ResourceScope.newSharedScope();
  private final MemorySegment buffer;
  private final MemorySegment fds;
  private final MemorySegment scratch;
  private final int kmsg;
  /** The packet sockets (IPv4, IPv6), or none. */
  private final int[] packets;
  private final String wakeProblem;

  ForeignKmsg(int lowPort, int highPort) throws Throwable {
    CLinker linker = CLinker.getInstance(); // IllegalCallerException without native access
    SymbolLookup libc = CLinker.systemLookup();
    buffer = MemorySegment.allocateNative(RECORD, scope);
    fds = MemorySegment.allocateNative(24, 4, scope);
    scratch = MemorySegment.allocateNative(64, 8, scope);
    read = linker.downcallHandle(libc.lookup("read").orElseThrow(),
        MethodType.methodType(long.class, int.class, MemoryAddress.class, long.class),
        FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_INT, CLinker.C_POINTER, CLinker.C_LONG));
    poll = linker.downcallHandle(libc.lookup("poll").orElseThrow(),
        MethodType.methodType(int.class, MemoryAddress.class, long.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_LONG, CLinker.C_INT));
    recv = linker.downcallHandle(libc.lookup("recv").orElseThrow(),
        MethodType.methodType(long.class, int.class, MemoryAddress.class, long.class, int.class),
        FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_INT, CLinker.C_POINTER, CLinker.C_LONG,
            CLinker.C_INT));
    close = linker.downcallHandle(libc.lookup("close").orElseThrow(),
        MethodType.methodType(int.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT));
    errno = linker.downcallHandle(libc.lookup("__errno_location").orElseThrow(),
        MethodType.methodType(MemoryAddress.class), FunctionDescriptor.of(CLinker.C_POINTER));
    MethodHandle open = linker.downcallHandle(libc.lookup("open").orElseThrow(),
        MethodType.methodType(int.class, MemoryAddress.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_INT));
    MemorySegment path = CLinker.toCString("/dev/kmsg", scope);
    kmsg = (int) open.invokeExact(path.address(), O_NONBLOCK | O_CLOEXEC); // O_RDONLY: 0
    if (kmsg < 0) {
      int e = errno();
      scope.close();
      throw new IllegalStateException("cannot open /dev/kmsg: errno " + e);
    }
    int[] sockets = {-1, -1};
    String problem = null;
    for (int i = 0; i < sockets.length && problem == null; i++) {
      try {
        problem = packetSocket(linker, libc, lowPort, highPort, PROTOCOLS[i], sockets, i);
      } catch (Throwable t) {
        problem = "packet socket: " + t;
      }
    }
    if (problem != null) {
      for (int fd : sockets) {
        if (fd >= 0) {
          int ignored = (int) close.invokeExact(fd);
        }
      }
    }
    wakeProblem = problem;
    packets = problem == null ? sockets : new int[0];
  }

  /** Opens a packet socket for {@code protocol} into {@code out[at]}: null, or why not. */
  private String packetSocket(CLinker linker, SymbolLookup libc, int low, int high,
      int protocol, int[] out, int at) throws Throwable {
    MethodHandle socket = linker.downcallHandle(libc.lookup("socket").orElseThrow(),
        MethodType.methodType(int.class, int.class, int.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_INT, CLinker.C_INT));
    MethodHandle setsockopt = linker.downcallHandle(libc.lookup("setsockopt").orElseThrow(),
        MethodType.methodType(int.class, int.class, int.class, int.class, MemoryAddress.class,
            int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_INT, CLinker.C_INT,
            CLinker.C_POINTER, CLinker.C_INT));
    int fd = (int) socket.invokeExact(AF_PACKET, SOCK_DGRAM | O_NONBLOCK | O_CLOEXEC, protocol);
    if (fd < 0) {
      int e = errno();
      return "socket(AF_PACKET) failed: errno " + e + (e == 1 ? " (EPERM: no CAP_NET_RAW)" : "");
    }
    KnockPortFilter.Insn[] program = KnockPortFilter.program(low, high);
    MemorySegment code = MemorySegment.allocateNative(8L * program.length, 8, scope);
    for (int i = 0; i < program.length; i++) {
      KnockPortFilter.Insn in = program[i];
      MemoryAccess.setShortAtOffset(code, 8L * i, in.code());
      MemoryAccess.setByteAtOffset(code, 8L * i + 2, (byte) in.jt());
      MemoryAccess.setByteAtOffset(code, 8L * i + 3, (byte) in.jf());
      MemoryAccess.setIntAtOffset(code, 8L * i + 4, in.k());
    }
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    MemorySegment fprog = MemorySegment.allocateNative(16, 8, scope);
    fprog.fill((byte) 0);
    MemoryAccess.setShortAtOffset(fprog, 0, (short) program.length);
    MemoryAccess.setAddressAtOffset(fprog, 8, code.address());
    if ((int) setsockopt.invokeExact(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog.address(), 16)
        != 0) {
      int e = errno();
      int ignored = (int) close.invokeExact(fd);
      return "setsockopt(SO_ATTACH_FILTER) failed: errno " + e;
    }
    MemoryAccess.setInt(scratch, 4096); // a few packets: each only ends a poll()
    int ignored = (int) setsockopt.invokeExact(fd, SOL_SOCKET, SO_RCVBUF, scratch.address(), 4);
    out[at] = fd;
    drain(fd); // what came in before the filter was attached
    return null;
  }

  String wakeProblem() {
    return wakeProblem;
  }

  /** One record into {@code into} from position 0: its length, 0 if none is there, or -errno. */
  int read(ByteBuffer into) throws Throwable {
    long n = (long) read.invokeExact(kmsg, buffer.address(), Math.min(buffer.byteSize(),
        (long) into.capacity()));
    if (n < 0) {
      int e = errno();
      return e == EAGAIN || e == EINTR ? 0 : -e;
    }
    into.clear();
    into.put(buffer.asSlice(0, n).asByteBuffer());
    return (int) n;
  }

  /**
   * poll() on /dev/kmsg and the packet sockets for at most {@code timeoutMillis}: true if a
   * packet to the knock ports came (those queued are drained). A signal ends it early (false).
   */
  boolean await(int timeoutMillis) throws Throwable {
    int n = 1 + packets.length;
    for (int i = 0; i < n; i++) { // struct pollfd { int fd; short events; short revents; }
      MemoryAccess.setIntAtOffset(fds, 8L * i, i == 0 ? kmsg : packets[i - 1]);
      MemoryAccess.setShortAtOffset(fds, 8L * i + 4, POLLIN);
      MemoryAccess.setShortAtOffset(fds, 8L * i + 6, (short) 0);
    }
    int r = (int) poll.invokeExact(fds.address(), (long) n, timeoutMillis);
    boolean packet = false;
    for (int i = 1; r > 0 && i < n; i++) {
      if (MemoryAccess.getShortAtOffset(fds, 8L * i + 6) != 0) {
        drain(packets[i - 1]);
        packet = true;
      }
    }
    return packet;
  }

  private void drain(int fd) throws Throwable {
    for (int i = 0; i < DRAIN; i++) {
      long n = (long) recv.invokeExact(fd, scratch.address(), scratch.byteSize(), MSG_DONTWAIT);
      if (n < 0) {
        return;
      }
    }
  }

  void close() {
    try {
      int ignored = (int) close.invokeExact(kmsg);
      for (int fd : packets) {
        ignored = (int) close.invokeExact(fd);
      }
    } catch (Throwable t) {
      // the descriptors are gone either way
    }
    scope.close();
  }

  private int errno() throws Throwable {
    MemoryAddress at = (MemoryAddress) errno.invokeExact();
    return MemoryAccess.getInt(at.asSegment(4, ResourceScope.globalScope()));
  }
}
