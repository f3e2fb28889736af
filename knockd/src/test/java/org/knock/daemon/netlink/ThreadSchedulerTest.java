package org.knock.daemon.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real kernel call, on a thread of this JVM: with CAP_SYS_NICE (root, as in CI) it must
 * take; without it the test is skipped where the kernel refuses, and the refusal must name errno.
 */
class ThreadSchedulerTest {
  /** Field 41 of /proc/.../stat: the scheduling policy (0 SCHED_OTHER, 1 SCHED_FIFO). */
  private static int policy(String statPath) throws IOException {
    String stat = Files.readString(Path.of(statPath), StandardCharsets.US_ASCII);
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(f[41 - 3]);
  }

  /** Whether this process has CAP_SYS_NICE (23) in its effective set: it must be allowed then. */
  private static boolean hasCapSysNice() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapEff:")) {
        return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 23)) != 0;
      }
    }
    return false;
  }

  private static int tid() throws IOException {
    return Integer.parseInt(
        Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
  }

  @Test
  void aThreadIsMadeFifoAndNormalAgainAndItsChildrenNeverInheritIt() throws Exception {
    ThreadScheduler s = ThreadScheduler.open();
    CompletableFuture<String> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        int tid = tid();
        String stat = "/proc/self/task/" + tid + "/stat";
        try {
          s.fifo(tid, ThreadScheduler.LOWEST_FIFO);
        } catch (NetlinkException e) {
          result.complete("refused " + e.getMessage());
          return;
        }
        int fifo = policy(stat);
        // a process this thread starts: SCHED_RESET_ON_FORK makes it SCHED_OTHER
        Process p = new ProcessBuilder("cat", "/proc/self/stat").start();
        String child = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        p.waitFor(10, TimeUnit.SECONDS);
        Path tmp = Files.createTempFile("child-stat", "");
        Files.writeString(tmp, child);
        int childPolicy = policy(tmp.toString());
        Files.delete(tmp);
        s.normal(tid);
        result.complete(fifo + " " + childPolicy + " " + policy(stat));
      } catch (Exception e) {
        result.completeExceptionally(e);
      }
    });
    t.start();
    String r = result.get(30, TimeUnit.SECONDS);
    if (r.startsWith("refused") && !hasCapSysNice()) {
      assertThat(r).isEqualTo("refused sched_setscheduler: EPERM");
      assumeTrue(false, "no CAP_SYS_NICE: " + r);
    }
    assertThat(r).isEqualTo("1 0 0");
  }

  @Test
  void aThreadThatDoesNotExistIsRefusedWithErrnoNamed() throws Exception {
    ThreadScheduler s = ThreadScheduler.open();
    // pid_max is at most 2^22: this id is never a thread
    assertThatThrownBy(() -> s.normal(1 << 23))
        .isInstanceOf(NetlinkException.class).hasMessage("sched_setscheduler: ESRCH");
  }
}
