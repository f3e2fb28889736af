package org.knock.daemon.netlink;

import java.lang.reflect.InvocationTargetException;

/**
 * Sets one thread's CPU scheduling policy (sched_setscheduler(2), through JDK 17's foreign linker:
 * {@link ForeignScheduler}, loaded by reflection only when {@link SetElementWriter#linkable}).
 * Every policy it sets carries SCHED_RESET_ON_FORK: a process the thread starts never inherits
 * real-time scheduling or a negative nice value. A call returns normally only if the kernel took
 * the policy.
 */
public interface ThreadScheduler {
  /** The lowest real-time priority: above every normal thread, below the kernel's IRQ threads. */
  int LOWEST_FIFO = 1;

  /**
   * SCHED_FIFO at {@code priority} for the thread {@code tid} (a Linux thread id, not Java's).
   *
   * @throws NetlinkException with errno's name, e.g. EPERM without CAP_SYS_NICE or an
   *     RLIMIT_RTPRIO of at least {@code priority}, or where systemd's RestrictRealtime forbids it
   */
  void fifo(int tid, int priority) throws NetlinkException;

  /**
   * SCHED_OTHER (its nice value kept) for the thread {@code tid}. Lowering is allowed to the
   * thread's owner, but a seccomp filter (systemd's RestrictRealtime) may refuse any call.
   */
  void normal(int tid) throws NetlinkException;

  /**
   * The kernel's calls through the foreign linker.
   *
   * @throws NetlinkException with the reason if this JVM lacks the module or native access
   */
  static ThreadScheduler open() throws NetlinkException {
    if (!SetElementWriter.linkable()) {
      throw new NetlinkException("this JVM has no module jdk.incubator.foreign");
    }
    try {
      return (ThreadScheduler) Class.forName(ThreadScheduler.class.getPackageName()
          + ".ForeignScheduler").getDeclaredConstructor().newInstance();
    } catch (InvocationTargetException e) {
      Throwable c = e.getCause();
      throw new NetlinkException(c.getMessage() == null ? c.toString() : c.getMessage());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      throw new NetlinkException("cannot use the foreign linker: " + e);
    }
  }
}
