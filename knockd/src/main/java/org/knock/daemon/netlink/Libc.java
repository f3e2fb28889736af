package org.knock.daemon.netlink;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.Map;
import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.ResourceScope;
import jdk.incubator.foreign.SymbolLookup;

/**
 * The libc calls of {@link ForeignSocket}, {@link ForeignKmsg} and {@link ForeignScheduler},
 * linked once per JVM through JDK 17's incubating foreign linker. Every call is linked before any
 * is made, so no linking runs between a failed call and the {@link #errno} read right after it
 * (JDK 17 has no captured call state). {@link #get} throws (IllegalCallerException without
 * native access) each time it is asked where linking fails. Only those three classes use it;
 * they are loaded by reflection, and so is this.
 */
final class Libc {
  private static final Map<Integer, String> NAMES = Map.of(1, "EPERM", 13, "EACCES", 22,
      "EINVAL", 93, "EPROTONOSUPPORT", 97, "EAFNOSUPPORT", 24, "EMFILE", 12, "ENOMEM", 3,
      "ESRCH");
  private static Libc linked;

  private final MethodHandle socket;
  private final MethodHandle bind;
  private final MethodHandle connect;
  private final MethodHandle setsockopt;
  private final MethodHandle send;
  private final MethodHandle recv;
  private final MethodHandle recvfrom;
  private final MethodHandle open;
  private final MethodHandle read;
  private final MethodHandle write;
  private final MethodHandle poll;
  private final MethodHandle eventfd;
  private final MethodHandle close;
  private final MethodHandle schedSetscheduler;
  private final MethodHandle errnoLocation;

  /** The calls, linked on the first use. */
  static synchronized Libc get() {
    if (linked == null) {
      linked = new Libc();
    }
    return linked;
  }

  private Libc() {
    CLinker linker = CLinker.getInstance(); // IllegalCallerException without native access
    SymbolLookup libc = CLinker.systemLookup();
    Linking l = new Linking(linker, libc);
    FunctionDescriptor io = FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_INT,
        CLinker.C_POINTER, CLinker.C_LONG);
    MethodType ioType = MethodType.methodType(long.class, int.class, MemoryAddress.class,
        long.class);
    FunctionDescriptor ioFlags = FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_INT,
        CLinker.C_POINTER, CLinker.C_LONG, CLinker.C_INT);
    MethodType ioFlagsType = MethodType.methodType(long.class, int.class, MemoryAddress.class,
        long.class, int.class);
    FunctionDescriptor address = FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT,
        CLinker.C_POINTER, CLinker.C_INT);
    MethodType addressType = MethodType.methodType(int.class, int.class, MemoryAddress.class,
        int.class);
    socket = l.link("socket", MethodType.methodType(int.class, int.class, int.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_INT, CLinker.C_INT));
    bind = l.link("bind", addressType, address);
    connect = l.link("connect", addressType, address);
    setsockopt = l.link("setsockopt", MethodType.methodType(int.class, int.class, int.class,
        int.class, MemoryAddress.class, int.class), FunctionDescriptor.of(CLinker.C_INT,
        CLinker.C_INT, CLinker.C_INT, CLinker.C_INT, CLinker.C_POINTER, CLinker.C_INT));
    send = l.link("send", ioFlagsType, ioFlags);
    recv = l.link("recv", ioFlagsType, ioFlags);
    recvfrom = l.link("recvfrom", MethodType.methodType(long.class, int.class,
        MemoryAddress.class, long.class, int.class, MemoryAddress.class, MemoryAddress.class),
        FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_INT, CLinker.C_POINTER, CLinker.C_LONG,
            CLinker.C_INT, CLinker.C_POINTER, CLinker.C_POINTER));
    open = l.link("open", MethodType.methodType(int.class, MemoryAddress.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_INT));
    read = l.link("read", ioType, io);
    write = l.link("write", ioType, io);
    poll = l.link("poll", MethodType.methodType(int.class, MemoryAddress.class, long.class,
        int.class), FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_LONG,
        CLinker.C_INT));
    MethodType intInt = MethodType.methodType(int.class, int.class, int.class);
    eventfd = l.link("eventfd", intInt,
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_INT));
    close = l.link("close", MethodType.methodType(int.class, int.class),
        FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT));
    schedSetscheduler = l.link("sched_setscheduler", MethodType.methodType(int.class,
        int.class, int.class, MemoryAddress.class), FunctionDescriptor.of(CLinker.C_INT,
        CLinker.C_INT, CLinker.C_INT, CLinker.C_POINTER));
    errnoLocation = l.link("__errno_location", MethodType.methodType(MemoryAddress.class),
        FunctionDescriptor.of(CLinker.C_POINTER));
  }

  /** One linker and libc's symbols. */
  private record Linking(CLinker linker, SymbolLookup libc) {
    MethodHandle link(String name, MethodType type, FunctionDescriptor descriptor) {
      return linker.downcallHandle(libc.lookup(name).orElseThrow(
          () -> new UnsatisfiedLinkError("libc has no " + name)), type, descriptor);
    }
  }

  int socket(int domain, int type, int protocol) throws Throwable {
    return (int) socket.invokeExact(domain, type, protocol);
  }

  int bind(int fd, MemoryAddress address, int length) throws Throwable {
    return (int) bind.invokeExact(fd, address, length);
  }

  int connect(int fd, MemoryAddress address, int length) throws Throwable {
    return (int) connect.invokeExact(fd, address, length);
  }

  int setsockopt(int fd, int level, int name, MemoryAddress value, int length)
      throws Throwable {
    return (int) setsockopt.invokeExact(fd, level, name, value, length);
  }

  long send(int fd, MemoryAddress from, long length, int flags) throws Throwable {
    return (long) send.invokeExact(fd, from, length, flags);
  }

  long recv(int fd, MemoryAddress into, long length, int flags) throws Throwable {
    return (long) recv.invokeExact(fd, into, length, flags);
  }

  long recvfrom(int fd, MemoryAddress into, long length, int flags, MemoryAddress sender,
      MemoryAddress senderLength) throws Throwable {
    return (long) recvfrom.invokeExact(fd, into, length, flags, sender, senderLength);
  }

  /** open(path, flags); {@code path} is a C string. */
  int open(MemoryAddress path, int flags) throws Throwable {
    return (int) open.invokeExact(path, flags);
  }

  long read(int fd, MemoryAddress into, long length) throws Throwable {
    return (long) read.invokeExact(fd, into, length);
  }

  long write(int fd, MemoryAddress from, long length) throws Throwable {
    return (long) write.invokeExact(fd, from, length);
  }

  int poll(MemoryAddress fds, long count, int timeoutMillis) throws Throwable {
    return (int) poll.invokeExact(fds, count, timeoutMillis);
  }

  int eventfd(int initial, int flags) throws Throwable {
    return (int) eventfd.invokeExact(initial, flags);
  }

  /** sched_setscheduler(tid, policy, param); {@code param} is a struct sched_param. */
  int schedSetscheduler(int tid, int policy, MemoryAddress param) throws Throwable {
    return (int) schedSetscheduler.invokeExact(tid, policy, param);
  }

  /** close(fd), ignoring any failure: the descriptor is gone either way. */
  void close(int fd) {
    try {
      int ignored = (int) close.invokeExact(fd);
    } catch (Throwable t) {
      // nothing to do
    }
  }

  /** The calling thread's errno: read right after the failed call, before any other. */
  int errno() throws Throwable {
    MemoryAddress at = (MemoryAddress) errnoLocation.invokeExact();
    return MemoryAccess.getInt(at.asSegment(4, ResourceScope.globalScope()));
  }

  /** errno's symbolic name where knockd's messages use it, else "errno N". */
  static String name(int errno) {
    return NAMES.getOrDefault(errno, "errno " + errno);
  }
}
