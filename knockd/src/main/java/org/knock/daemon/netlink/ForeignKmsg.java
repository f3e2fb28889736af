package org.knock.daemon.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;

/**
 * /dev/kmsg opened non-blocking through libc (open/read/poll/close), with two packet sockets
 * (AF_PACKET, SOCK_DGRAM, one for IPv4 and one for IPv6, each with {@link KnockPortFilter})
 * whose only use is to end a poll() when a knock's packet arrives: the kernel defers waking a
 * /dev/kmsg reader to its next timer tick, while a packet socket is woken at once. Nothing is read
 * from the packets (trimmed to one byte by the filter, drained unread). Each socket is made for
 * no protocol, given its filter and a small buffer, and only then bound to its protocol, so no
 * unfiltered packet is ever queued; bound to a protocol, not ETH_P_ALL, it sees only packets this
 * host receives (the kernel runs the filter on each received IP packet and does not clone the
 * packets it sends for it). An eventfd in the same poll() lets {@link #wake} end a wait at once.
 *
 * <p>Called through JDK 17's incubating foreign linker; loaded by reflection only ({@link
 * KmsgChannel#open}), with its calls from {@link Libc}. Its constructor throws if /dev/kmsg
 * cannot be opened, and then leaves nothing open; packet sockets that cannot be opened (no
 * CAP_NET_RAW, AF_PACKET not allowed) leave {@link #wakeProblem} set and poll() on /dev/kmsg
 * alone. Not thread-safe: {@link KmsgChannel} keeps the descriptors open while a call uses them.
 */
final class ForeignKmsg {
  private static final int O_NONBLOCK = 0x800;
  private static final int O_CLOEXEC = 0x80000;
  private static final int AF_PACKET = 17;
  private static final int SOCK_DGRAM = 2;
  /** htons(ETH_P_IP), htons(ETH_P_IPV6). */
  private static final short[] PROTOCOLS = {0x0008, (short) 0xdd86};
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVBUF = 8;
  private static final int SO_ATTACH_FILTER = 26;
  private static final int SOCKADDR_LL = 20;
  private static final int MSG_DONTWAIT = 0x40;
  private static final short POLLIN = 1;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  /** A wait without an eventfd ends within this, so that a close is noticed. */
  private static final int NO_EVENTFD_WAIT = 250;
  /** At most this many queued packets are drained per wake-up; more end the next poll(). */
  private static final int DRAIN = 64;
  private static final int RECORD = 16 * 1024;

  private final ResourceScope scope = ResourceScope.newSharedScope();
  private Libc libc;
  private MemorySegment buffer;
  private MemorySegment fds;
  private MemorySegment scratch;
  private int kmsg = -1;
  private int event = -1;
  /** The packet sockets (IPv4, IPv6), or none. */
  private int[] packets = new int[0];
  private String wakeProblem;

  ForeignKmsg(KnockPorts ports) throws Throwable {
    try {
      libc = Libc.get(); // throws without native access
      buffer = MemorySegment.allocateNative(RECORD, scope);
      fds = MemorySegment.allocateNative(8 * 4, 4, scope);
      scratch = MemorySegment.allocateNative(64, 8, scope);
      kmsg = libc.open(CLinker.toCString("/dev/kmsg", scope).address(),
          O_NONBLOCK | O_CLOEXEC); // O_RDONLY: 0
      if (kmsg < 0) {
        throw new IllegalStateException("cannot open /dev/kmsg: " + Libc.name(libc.errno()));
      }
    } catch (Throwable t) {
      close();
      throw t;
    }
    try {
      event = libc.eventfd(0, O_NONBLOCK | O_CLOEXEC); // EFD_* as O_*
    } catch (Throwable t) {
      event = -1; // waits then end within NO_EVENTFD_WAIT
    }
    if (ports == null) {
      wakeProblem = "no knock ports";
      return;
    }
    int[] sockets = {-1, -1};
    String problem = null;
    for (int i = 0; i < sockets.length && problem == null; i++) {
      try {
        problem = packetSocket(ports, PROTOCOLS[i], sockets, i);
      } catch (Throwable t) {
        problem = "packet socket: " + t;
      }
    }
    if (problem != null) {
      for (int fd : sockets) {
        closeFd(fd);
      }
    }
    wakeProblem = problem;
    packets = problem == null ? sockets : new int[0];
  }

  /** Opens a packet socket for {@code protocol} into {@code out[at]}: null, or why not. */
  private String packetSocket(KnockPorts ports, short protocol, int[] out, int at)
      throws Throwable {
    // protocol 0: the socket receives nothing until bound below, after its filter is in place
    int fd = libc.socket(AF_PACKET, SOCK_DGRAM | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0) {
      int e = libc.errno();
      return "socket(AF_PACKET) failed: " + Libc.name(e) + (e == 1 ? " (no CAP_NET_RAW)"
          : e == 97 ? " (AF_PACKET not allowed, e.g. by RestrictAddressFamilies)" : "");
    }
    out[at] = fd;
    String problem = attach(fd, ports);
    if (problem != null) {
      return problem;
    }
    MemoryAccess.setInt(scratch, 4096); // a few packets: each only ends a poll()
    int ignored = libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, scratch.address(), 4);
    // struct sockaddr_ll: family, protocol (network order), ifindex 0 (every interface), rest 0
    MemorySegment sll = MemorySegment.allocateNative(SOCKADDR_LL, 4, scope);
    sll.fill((byte) 0);
    MemoryAccess.setShortAtOffset(sll, 0, (short) AF_PACKET);
    MemoryAccess.setShortAtOffset(sll, 2, protocol);
    if (libc.bind(fd, sll.address(), SOCKADDR_LL) != 0) {
      return "bind(AF_PACKET) failed: " + Libc.name(libc.errno());
    }
    return null;
  }

  /** Puts {@code ports}' filter on {@code fd} (replacing one there): null, or why not. */
  private String attach(int fd, KnockPorts ports) throws Throwable {
    KnockPortFilter.Insn[] program = KnockPortFilter.program(ports);
    try (ResourceScope s = ResourceScope.newConfinedScope()) {
      MemorySegment code = MemorySegment.allocateNative(8L * program.length, 8, s);
      for (int i = 0; i < program.length; i++) {
        KnockPortFilter.Insn in = program[i];
        MemoryAccess.setShortAtOffset(code, 8L * i, in.code());
        MemoryAccess.setByteAtOffset(code, 8L * i + 2, (byte) in.jt());
        MemoryAccess.setByteAtOffset(code, 8L * i + 3, (byte) in.jf());
        MemoryAccess.setIntAtOffset(code, 8L * i + 4, in.k());
      }
      // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the kernel copies
      // the program at the call
      MemorySegment fprog = MemorySegment.allocateNative(16, 8, s);
      fprog.fill((byte) 0);
      MemoryAccess.setShortAtOffset(fprog, 0, (short) program.length);
      MemoryAccess.setAddressAtOffset(fprog, 8, code.address());
      if (libc.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog.address(), 16) != 0) {
        return "setsockopt(SO_ATTACH_FILTER) failed: " + Libc.name(libc.errno());
      }
    }
    return null;
  }

  String wakeProblem() {
    return wakeProblem;
  }

  /** Puts the filter of {@code ports} on the packet sockets: null, or why not. */
  String refilter(KnockPorts ports) throws Throwable {
    if (packets.length == 0) {
      return wakeProblem;
    }
    for (int fd : packets) {
      String problem = attach(fd, ports);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  /** One record into {@code into} from position 0: its length, 0 if none is there, or -errno. */
  int read(ByteBuffer into) throws Throwable {
    long n = libc.read(kmsg, buffer.address(), Math.min(buffer.byteSize(),
        (long) into.capacity()));
    if (n < 0) {
      int e = libc.errno();
      return e == EAGAIN || e == EINTR ? 0 : -e;
    }
    into.clear();
    into.put(buffer.asSlice(0, n).asByteBuffer());
    return (int) n;
  }

  /**
   * poll() on /dev/kmsg, the eventfd and the packet sockets for at most {@code timeoutMillis}:
   * true if a knock's packet came (those queued are drained). A signal or {@link #wake} ends it
   * early (false).
   *
   * @throws IOException if poll() fails otherwise
   */
  boolean await(int timeoutMillis) throws Throwable {
    int n = 0;
    n = pollFd(n, kmsg);
    int eventAt = event >= 0 ? n : -1;
    if (event >= 0) {
      n = pollFd(n, event);
    }
    int packetsAt = n;
    for (int fd : packets) {
      n = pollFd(n, fd);
    }
    int r = libc.poll(fds.address(), n,
        event >= 0 ? timeoutMillis : Math.min(timeoutMillis, NO_EVENTFD_WAIT));
    if (r < 0) {
      int e = libc.errno();
      if (e != EINTR) {
        throw new IOException("poll: " + Libc.name(e));
      }
      return false;
    }
    if (eventAt >= 0 && revents(eventAt) != 0) {
      long ignored = libc.read(event, scratch.address(), 8L);
    }
    boolean packet = false;
    for (int i = packetsAt; r > 0 && i < n; i++) {
      if (revents(i) != 0) {
        drain(packets[i - packetsAt]);
        packet = true;
      }
    }
    return packet;
  }

  /** Ends a wait in progress, or the next one, at once (the eventfd); without one, nothing. */
  void wake() {
    if (event >= 0) {
      try {
        MemoryAccess.setLongAtOffset(scratch, 56, 1);
        long ignored = libc.write(event, scratch.address().addOffset(56), 8L);
      } catch (Throwable t) {
        // the wait ends at its timeout
      }
    }
  }

  /** struct pollfd { int fd; short events; short revents; } at index {@code i}. */
  private int pollFd(int i, int fd) {
    MemoryAccess.setIntAtOffset(fds, 8L * i, fd);
    MemoryAccess.setShortAtOffset(fds, 8L * i + 4, POLLIN);
    MemoryAccess.setShortAtOffset(fds, 8L * i + 6, (short) 0);
    return i + 1;
  }

  private short revents(int i) {
    return MemoryAccess.getShortAtOffset(fds, 8L * i + 6);
  }

  private void drain(int fd) throws Throwable {
    for (int i = 0; i < DRAIN; i++) {
      long n = libc.recv(fd, scratch.address(), 48L, MSG_DONTWAIT);
      if (n < 0) {
        return;
      }
    }
  }

  void close() {
    closeFd(kmsg);
    closeFd(event);
    for (int fd : packets) {
      closeFd(fd);
    }
    kmsg = -1;
    event = -1;
    packets = new int[0];
    scope.close();
  }

  private void closeFd(int fd) {
    if (fd >= 0 && libc != null) {
      libc.close(fd);
    }
  }

}
