package org.knock.daemon.log;

import java.util.concurrent.TimeUnit;

/**
 * A stream of log lines. {@link #run} hands each whole line to the sink, in order, on the calling
 * thread, until {@link #close()} is called (from any thread) or the input ends (stdin only). It
 * never throws for I/O trouble: it reports it to its {@link SourceListener} and waits or retries.
 */
public interface LineSource extends AutoCloseable {
  String name();

  /**
   * The packets that are about to be logged as knocks changed (a reload): a source that wakes on
   * them ({@link KmsgSource}) follows. Others ignore it.
   */
  default void knockPortsChanged(org.knock.daemon.netlink.KnockPorts ports) {}

  /**
   * Whether it reads the kernel itself (/dev/kmsg, an NFLOG group through knockd's own socket),
   * so that a record is there within microseconds of its logging: then the daemon may run its
   * reader real-time. Not a file, the journal or ulogd, which another program writes first.
   */
  default boolean kernelDirect() {
    return false;
  }

  /** The name and, where there is a choice, how it is read: for the daemon's start line. */
  default String describe() {
    return name();
  }

  /**
   * Reads lines and hands each to the sink on the calling thread until close(); never throws for
   * I/O trouble: reports it to the listener and retries/waits.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  void run(LineSink sink) throws InterruptedException;

  /**
   * Waits until {@link #run}, started on another thread, has found its starting position, so
   * that every line written afterwards will be read. Sources without one return at once.
   *
   * @return false on timeout
   */
  default boolean awaitStarted(long timeout, TimeUnit unit) throws InterruptedException {
    return true;
  }

  /**
   * Records the source itself could not turn into lines (e.g. malformed NFLOG messages) since it
   * was made; any thread may read it.
   */
  default long unreadable() {
    return 0;
  }

  /** Why the newest {@link #unreadable} record was unreadable, one line; "" before the first. */
  default String lastUnreadable() {
    return "";
  }

  /**
   * True once {@link #run} returned because its input ended as it may (standard input at end of
   * file). Sources that follow a log never end by themselves: for them {@link #run} returning
   * without {@link #close} is a fault.
   */
  default boolean endedNormally() {
    return false;
  }

  /** Makes {@link #run} return soon; idempotent, callable from any thread. */
  @Override
  void close();
}
