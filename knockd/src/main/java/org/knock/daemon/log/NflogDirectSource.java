package org.knock.daemon.log;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.knock.daemon.netlink.NetfilterChannel;
import org.knock.daemon.netlink.NetlinkException;

/**
 * Packets the kernel logs to an NFLOG group ({@code FirewallLog = nflog:GROUP}), read straight
 * from a netlink socket of knockd's own (no ulogd child): it binds the group with copy mode
 * packet, a queue threshold of 1 (each packet is sent at once) and sequence numbers, in a receive
 * buffer of {@link UlogdConfig#MAX_BUFFER} bytes (what ulogd grows to). Each packet is handed on
 * as the line the kernel's LOG target would write ({@link NflogLine}); packets whose prefix the
 * sink's {@link LineFilter} does not want are dropped before any String is built.
 *
 * <p>Records the kernel could not queue (ENOBUFS, or a gap in the sequence numbers) are reported
 * as {@code overrun}, with the count the sequence numbers give, at most once a second. A group
 * another process has bound (a ulogd, another knockd) or a socket that cannot be opened is
 * reported as {@code lost} with one line and tried again after 0.25 s doubling up to 8 s, like
 * {@link ChildProcessSource}; {@code recovered} when bound. The socket is the process's own, so
 * the kernel unbinds the group as soon as knockd ends, even by SIGKILL. Receives wait at most
 * {@link #TIMEOUT_MS}, so close() ends {@link #run} within about that; only the thread in
 * {@link #run} touches the socket.
 */
final class NflogDirectSource implements LineSource {
  /** How long a receive waits: the most close() waits for run() to notice. */
  static final int TIMEOUT_MS = 100;
  private static final long OVERRUN_EVERY_NS = TimeUnit.SECONDS.toNanos(1);
  private static final long BIND_WAIT_NS = TimeUnit.SECONDS.toNanos(1);

  /** The socket: {@link NetfilterChannel}, or a fake in tests. */
  interface Channel extends AutoCloseable {
    long send(byte[] bytes);

    /** Count received, or minus errno (-EAGAIN on timeout). */
    int receive(ByteBuffer into);

    @Override
    void close();
  }

  /** Opens a {@link Channel}. */
  @FunctionalInterface
  interface Opener {
    Channel open() throws IOException;
  }

  private final int group;
  private final Opener opener;
  private final Path boundGroups;
  private final SourceListener listener;
  private final NflogLine.Interfaces interfaces;
  private volatile boolean closed;
  private volatile boolean bound;
  private boolean lost;
  private long lastSeq = -1;
  private long pendingLost;
  private boolean pendingOverrun;
  private long lastOverrun;
  private boolean overrunReported;
  private volatile long malformed; // written by the run thread only
  private volatile String lastMalformed = "";

  NflogDirectSource(int group, SourceListener listener) {
    this(group, NflogDirectSource::openSocket, NflogSource.BOUND_GROUPS, listener,
        new InterfaceNames());
  }

  NflogDirectSource(int group, Opener opener, Path boundGroups, SourceListener listener,
      NflogLine.Interfaces interfaces) {
    this.group = group;
    this.opener = opener;
    this.boundGroups = boundGroups;
    this.listener = listener;
    this.interfaces = interfaces;
  }

  @Override
  public String name() {
    return "nflog:" + group;
  }

  @Override
  public boolean kernelDirect() {
    return true;
  }

  @Override
  public String describe() {
    return name() + " (read directly through a netlink socket)";
  }

  @Override
  public void run(LineSink sink) throws InterruptedException {
    long backoff = Backoff.FIRST_MS;
    int seq = (int) (System.nanoTime() >>> 10);
    while (!closed) {
      Channel c;
      try {
        c = opener.open();
      } catch (IOException e) {
        report("cannot open a netlink socket: " + e.getMessage());
        backoff = Backoff.sleep(backoff, () -> closed);
        continue;
      }
      try {
        seq++;
        String why = bind(c, seq);
        if (why != null) {
          report(why);
          backoff = Backoff.sleep(backoff, () -> closed);
          continue;
        }
        bound = true;
        backoff = Backoff.FIRST_MS;
        if (lost) {
          lost = false;
          listener.recovered(name());
        }
        lastSeq = -1;
        String failure = read(c, sink);
        bound = false;
        if (failure != null) {
          report(failure);
          backoff = Backoff.sleep(backoff, () -> closed);
        }
      } finally {
        bound = false;
        c.close();
      }
    }
  }

  /** Binds the group; null when the kernel acked it, else why not (one line). */
  private String bind(Channel c, int seq) {
    byte[] request = NflogMessages.bind(group, seq);
    if (c.send(request) != request.length) {
      return "cannot send the NFLOG bind request for group " + group;
    }
    ByteBuffer in = ByteBuffer.allocate(65536);
    long start = System.nanoTime();
    while (!closed && System.nanoTime() - start < BIND_WAIT_NS) {
      int n = c.receive(in);
      if (n == -NetfilterChannel.EAGAIN || n == -NetfilterChannel.EINTR
          || n == -NetfilterChannel.ENOBUFS) {
        continue; // timeout, or packets of a group bound a moment ago
      }
      if (n < 0) {
        return "netlink recv() failed during the NFLOG bind of group " + group + ": errno " + -n;
      }
      int error = NflogMessages.ack(in.array(), n, seq);
      if (error == 0) {
        return null;
      }
      if (error < 0) {
        return refused(-error);
      }
    }
    return closed ? "closed" : "no answer from the kernel to the NFLOG bind of group " + group;
  }

  private String refused(int errno) {
    String holder = holder();
    if (holder != null) {
      return "NFLOG group " + group + " is bound by another process (netlink portid " + holder
          + ": a ulogd, or another knockd?); stop it or use another group";
    }
    return "the kernel refused to bind NFLOG group " + group + ": errno " + errno
        + (errno == NetfilterChannel.EPERM ? " (EPERM: knockd needs CAP_NET_ADMIN)" : "");
  }

  /** The netlink portid that holds the group per the kernel's list, or null. */
  private String holder() {
    try {
      return NflogSource.boundLine(boundGroups, group).filter(f -> f.length > 1).map(f -> f[1])
          .orElse(null);
    } catch (IOException | java.io.UncheckedIOException e) {
      return null;
    }
  }

  /** Reads until close (null) or a failure (why, one line). */
  private String read(Channel c, LineSink sink) {
    ByteBuffer in = ByteBuffer.allocate(65536);
    Decoder decoder = new Decoder(sink);
    while (!closed) {
      int n = c.receive(in);
      if (n > 0) {
        decoder.filter = sink.filter();
        NflogMessages.walk(in.array(), n, decoder.packet, decoder);
      } else if (n == -NetfilterChannel.ENOBUFS) {
        pendingOverrun = true; // reported with the next packet's gap, or at the next timeout
        continue;
      } else if (n < 0 && n != -NetfilterChannel.EAGAIN && n != -NetfilterChannel.EINTR) {
        return "netlink recv() failed: errno " + -n;
      }
      overruns();
    }
    return null;
  }

  /** Turns each packet message into a line for the sink; counts the gaps in its numbers. */
  private final class Decoder implements NflogMessages.Visitor {
    final NflogMessages.Packet packet = new NflogMessages.Packet();
    final String[] why = new String[1];
    final LineSink sink;
    LineFilter filter = LineFilter.ALL;

    Decoder(LineSink sink) {
      this.sink = sink;
    }

    @Override
    public void packet(NflogMessages.Packet p) {
      if (p.seq >= 0) {
        long lost = NflogMessages.lostBetween(lastSeq, p.seq);
        if (lost > 0) {
          pendingLost += lost;
          pendingOverrun = true;
        }
        lastSeq = p.seq;
      }
      if (p.prefixFrom >= 0 && !filter.wants(p.bytes, p.prefixFrom, p.prefixTo)) {
        return;
      }
      String line = NflogLine.of(p, interfaces, why);
      if (line == null) {
        malformed(why[0]);
        return;
      }
      sink.onLine(line);
    }

    @Override
    public void malformed(String problem) {
      malformed++;
      lastMalformed = problem;
    }
  }

  /** Reports records lost since the last report, at most once a second. */
  private void overruns() {
    if (!pendingOverrun) {
      return;
    }
    long now = System.nanoTime();
    if (overrunReported && now - lastOverrun < OVERRUN_EVERY_NS) {
      return;
    }
    overrunReported = true;
    lastOverrun = now;
    listener.overrun(name(), pendingLost > 0 ? pendingLost : -1);
    pendingLost = 0;
    pendingOverrun = false;
  }

  @Override
  public long unreadable() {
    return malformed;
  }

  @Override
  public String lastUnreadable() {
    return lastMalformed;
  }

  private void report(String reason) {
    if (!lost && !closed) {
      lost = true;
      listener.lost(name(), reason);
    }
  }

  /** Waits until the group is bound, so that every packet logged afterwards is read. */
  @Override
  public boolean awaitStarted(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (!bound && !closed && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(5);
    }
    return bound;
  }

  /** Makes run() return within {@link #TIMEOUT_MS}; run() closes the socket itself. */
  @Override
  public void close() {
    closed = true;
  }

  private static Channel openSocket() throws IOException {
    NetfilterChannel ch;
    try {
      ch = NetfilterChannel.open(UlogdConfig.MAX_BUFFER, TIMEOUT_MS);
    } catch (NetlinkException e) {
      throw new IOException(e.getMessage());
    }
    return new Channel() {
      @Override
      public long send(byte[] bytes) {
        return ch.send(bytes);
      }

      @Override
      public int receive(ByteBuffer into) {
        return ch.receive(into);
      }

      @Override
      public void close() {
        ch.close();
      }
    };
  }

  /** Interface names by index, each looked up once ("" when there is none). */
  static final class InterfaceNames implements NflogLine.Interfaces {
    private final Map<Integer, String> names = new HashMap<>();

    @Override
    public String name(int index) {
      String n = names.get(index);
      if (n == null) {
        try {
          NetworkInterface i = NetworkInterface.getByIndex(index);
          n = i == null ? "" : i.getName();
        } catch (SocketException e) {
          n = "";
        }
        if (names.size() < 4096) {
          names.put(index, n);
        }
      }
      return n;
    }
  }
}
