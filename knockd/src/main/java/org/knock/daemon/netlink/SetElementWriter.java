package org.knock.daemon.netlink;

import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Adds and deletes elements of an nftables set (family inet) straight through one netlink socket,
 * without nft: a grant costs one send() — the kernel runs the whole batch in it — and a few
 * non-blocking recv()s of the acks. A call returns normally only when every message of its
 * transaction was acked without error, with the sequence numbers it sent; otherwise (send() short
 * or failed, an error ack, acks missing after {@link #ACK_WAIT}) it throws, and the caller must
 * treat the change as not made (the transactions are idempotent: redoing one is harmless). Never
 * blocks. Not thread-safe: the caller serialises calls and {@link #close}.
 */
public final class SetElementWriter implements AutoCloseable {
  /** How long a call waits for acks the kernel has not queued by the time send() returns. */
  static final long ACK_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final int MAX_STALE = 64;

  private final NetlinkSocket socket;
  private final ByteBuffer in = ByteBuffer.allocate(16384);
  private int seq;

  SetElementWriter(NetlinkSocket socket, int firstSeq) {
    this.socket = socket;
    this.seq = firstSeq;
  }

  /** Whether this JVM has {@code jdk.incubator.foreign} (JDK 17 with --add-modules). */
  public static boolean linkable() {
    return ModuleLayer.boot().findModule("jdk.incubator.foreign").isPresent();
  }

  /**
   * Opens the socket through the JDK's foreign linker and makes one round trip (NFT_MSG_GETGEN),
   * so that the first grant does not pay for linking the calls.
   *
   * @throws NetlinkException with the reason if the JVM lacks {@code jdk.incubator.foreign} or
   *     native access, socket() or connect() fails, or the kernel refuses the request (e.g. no
   *     CAP_NET_ADMIN)
   */
  public static SetElementWriter open() throws NetlinkException {
    if (!linkable()) {
      throw new NetlinkException("this JVM has no module jdk.incubator.foreign (JDK 17 with "
          + "--add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED)");
    }
    NetlinkSocket socket;
    try {
      socket = (NetlinkSocket) Class.forName(SetElementWriter.class.getPackageName()
          + ".ForeignSocket").getDeclaredConstructor().newInstance();
    } catch (InvocationTargetException e) {
      throw new NetlinkException("cannot open a netlink socket: " + e.getCause());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      throw new NetlinkException("cannot use the foreign linker: " + e);
    }
    SetElementWriter w = new SetElementWriter(socket, (int) (System.nanoTime() >>> 10));
    try {
      w.ping();
    } catch (NetlinkException e) {
      w.close();
      throw e;
    }
    return w;
  }

  /**
   * Sets the element {@code key} of {@code inet TABLE SET} to expire in {@code timeoutMs}:
   * add, delete, add with the timeout, in one transaction.
   */
  public void grant(String table, String set, byte[] key, long timeoutMs)
      throws NetlinkException {
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("timeout " + timeoutMs + " ms");
    }
    NftMessages.Request r = NftMessages.grant(table, set, key, timeoutMs, seq);
    seq += 5;
    run(r);
  }

  /** Removes the element {@code key} of {@code inet TABLE SET}, there or not (add, delete). */
  public void revoke(String table, String set, byte[] key) throws NetlinkException {
    NftMessages.Request r = NftMessages.revoke(table, set, key, seq);
    seq += 4;
    run(r);
  }

  /**
   * Builds a grant's messages and reads a made-up ack of them, sending nothing: for compiling
   * the grant's path before the first knock (JitWarmup).
   *
   * @return the length of the messages
   */
  public static int dryGrant(String table, String set, byte[] key, long timeoutMs) {
    NftMessages.Request r = NftMessages.grant(table, set, key, timeoutMs, 1);
    java.nio.ByteBuffer ack = java.nio.ByteBuffer.wrap(r.bytes());
    int[] acked = {0};
    NftMessages.acks(ack, r.bytes().length, r, acked); // a request parses as messages, no acks
    return r.bytes().length + acked[0];
  }

  /** A round trip that changes nothing (NFT_MSG_GETGEN). */
  public void ping() throws NetlinkException {
    NftMessages.Request r = NftMessages.getGen(seq);
    seq += 1;
    run(r);
  }

  private void run(NftMessages.Request r) throws NetlinkException {
    for (int i = 0; i < MAX_STALE && socket.receive(in) > 0; i++) {
      // drops what an earlier, failed request left queued
    }
    long sent = socket.send(r.bytes());
    org.knock.daemon.trace.LatencyTrace.mark(org.knock.daemon.trace.LatencyTrace.SENT);
    if (sent != r.bytes().length) {
      throw new NetlinkException("netlink send() of " + r.bytes().length + " bytes returned "
          + sent);
    }
    int[] acked = {0};
    long start = System.nanoTime();
    for (int empty = 0; acked[0] < r.acks(); ) {
      long n = socket.receive(in);
      if (n > 0) {
        int error;
        try {
          error = NftMessages.acks(in, (int) n, r, acked);
        } catch (IllegalArgumentException e) {
          throw new NetlinkException(e.getMessage());
        }
        if (error != 0) {
          throw new NetlinkException("the kernel refused the netlink request: errno " + -error
              + (error == -2 ? " (ENOENT: no such table or set)"
                  : error == -1 ? " (EPERM: no CAP_NET_ADMIN)" : ""));
        }
        continue;
      }
      if (System.nanoTime() - start > ACK_WAIT_NANOS) {
        throw new NetlinkException("netlink: " + acked[0] + " of " + r.acks()
            + " acks within " + TimeUnit.NANOSECONDS.toMillis(ACK_WAIT_NANOS) + " ms");
      }
      if (++empty > 3) {
        LockSupport.parkNanos(50_000);
      }
    }
    org.knock.daemon.trace.LatencyTrace.mark(org.knock.daemon.trace.LatencyTrace.ACKED);
  }

  @Override
  public void close() {
    socket.close();
  }
}
