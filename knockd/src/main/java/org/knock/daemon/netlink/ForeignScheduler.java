package org.knock.daemon.netlink;

import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;

/** {@link ThreadScheduler} through libc's sched_setscheduler; any thread may call it. */
final class ForeignScheduler implements ThreadScheduler {
  private static final int SCHED_OTHER = 0;
  private static final int SCHED_FIFO = 1;
  private static final int SCHED_RESET_ON_FORK = 0x40000000;

  private final Libc libc;

  ForeignScheduler() {
    libc = Libc.get(); // throws without native access
  }

  @Override
  public void fifo(int tid, int priority) throws NetlinkException {
    set(tid, SCHED_FIFO, priority);
  }

  @Override
  public void normal(int tid) throws NetlinkException {
    set(tid, SCHED_OTHER, 0);
  }

  private void set(int tid, int policy, int priority) throws NetlinkException {
    if (tid <= 0) {
      throw new IllegalArgumentException("thread id " + tid); // 0 would be the caller
    }
    int result;
    int errno = 0;
    try (ResourceScope scope = ResourceScope.newConfinedScope()) {
      MemorySegment param = MemorySegment.allocateNative(4, 4, scope); // struct sched_param
      MemoryAccess.setInt(param, priority);
      result = libc.schedSetscheduler(tid, policy | SCHED_RESET_ON_FORK, param.address());
      if (result != 0) {
        errno = libc.errno();
      }
    } catch (Throwable t) {
      throw new NetlinkException("sched_setscheduler: " + t);
    }
    if (result != 0) {
      throw new NetlinkException("sched_setscheduler: " + Libc.name(errno));
    }
  }
}
