package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * knockd's log reader runs real-time while it is cheap, and packets alone cannot keep it
 * real-time while it is busy: against the real kernel, knockd (kmsg, as root) starts with its
 * log-reader thread at SCHED_FIFO 1 with SCHED_RESET_ON_FORK and its watchdog at SCHED_FIFO 2
 * (read back with {@code chrt -p}); a knock opens, and a hidden action the reader starts runs at
 * SCHED_OTHER and nice 0 (its own /proc/self/stat). Then {@link SynFlood} sends junk that costs
 * tag checks ({@value #PPS} SYN/s from {@value #POOL} spoofed sources, {@value #DECOYS} users:
 * JunkFloodIT's attack, heavier). The leave share is set to {@value #LEAVE} % of a core
 * ({@code -Dknockd.realtimeLeave}), so that the flood is far above it on any machine; sampled
 * every 50 ms from /proc by a thread of its own, the reader must leave real-time within 3 s of
 * the flood's start, use at most {@value #MAX_REALTIME_CPU_MS} ms of CPU while real-time during
 * the whole flood (with the watchdog's leave taken out: seconds), and return to it only after a
 * quiet second; a knock during the flood opens; after the flood it is real-time again.
 */
@ExtendWith(ScenarioTimer.class)
@Timeout(120)
@Isolated("a SYN flood fills the one kernel log ring")
class RealtimeReaderIT {
  private static final int PPS = 5000;
  private static final int SECONDS = 8;
  private static final int POOL = 300;
  private static final int DECOYS = 199;
  private static final int LEAVE = 5;
  /** Ticks at most at LEAVE % while the flood ramps up, then the tick that made it leave. */
  private static final long MAX_REALTIME_CPU_MS = 600;
  /** The quiet time before a return (the watchdog's: 4 ticks of 250 ms), less the sampling. */
  private static final long QUIET_MS = 900;

  @TempDir Path dir;

  /** Field {@code n} (1-based, as in proc(5)) of a /proc/.../stat text. */
  private static long statField(String stat, int n) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[n - 3]);
  }

  /** Policy (stat field 41) and CPU ns (schedstat field 1) of thread {@code tid} of {@code pid}. */
  private static long[] sample(long pid, String tid) throws IOException {
    Path task = Path.of("/proc", Long.toString(pid), "task", tid);
    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
    String[] s = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII).split(" ");
    return new long[] {statField(stat, 41), Long.parseLong(s[0])};
  }

  private static String thread(long pid, String name) throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        if (Files.readString(t.resolve("comm")).strip().equals(name)) {
          return t.getFileName().toString();
        }
      }
    }
    throw new AssertionError("no thread " + name + " in process " + pid);
  }

  @Test
  void theReaderIsRealTimeWhileCheapAndLeavesItUnderAFloodOfTagChecks() throws Exception {
    try (Lab lab = Lab.open("rt", "10.204.42", dir)) {
      SynFlood.prepare(lab.client());
      Path alice = lab.keygen("alice");
      Path probe = dir.resolve("action-stat");
      Knockd k = lab.knockd("knockd", Knockd.Settings.defaults(),
          JunkFloodIT.decoyUsers(dir, DECOYS) + "[user alice]\nKey = " + alice
              + "\nAllow = open 22/tcp, close, run probe\nMaxDuration = 1h\n"
              + "\n[action probe]\nCommand = /bin/cp /proc/self/stat " + probe + "\n");
      k.set("SequenceTimeout", "5s");
      k.javaOpts("-Dknockd.realtimeLeave=" + LEAVE);
      k.start();
      k.awaitWarmedUp(15_000);
      assertThat(k.output()).contains(
          "reader real-time (SCHED_FIFO 1 while under " + LEAVE + " % of a core)");
      String tid = thread(k.pid(), "log-reader");
      assertThat(Netns.host("chrt", "-p", tid).ok().out())
          .contains("SCHED_FIFO|SCHED_RESET_ON_FORK").contains("priority: 1");
      assertThat(Netns.host("chrt", "-p", thread(k.pid(), "reader-watch")).ok().out())
          .contains("SCHED_FIFO|SCHED_RESET_ON_FORK").contains("priority: 2");

      lab.knock(alice, "open 22 30m");
      assertThat(lab.until(true, 2000)).as("a knock opens with the reader real-time")
          .isBetween(0L, 2000L);
      lab.knock(alice, "run probe");
      for (int i = 0; i < 50 && !Files.exists(probe); i++) {
        Thread.sleep(100);
      }
      String stat = Files.readString(probe);
      assertThat(statField(stat, 41)).as("the action's scheduling policy").isZero();
      assertThat(statField(stat, 19)).as("the action's nice value").isZero();

      // the knocks may have cost more than LEAVE % of a tick: wait (bounded) until it is back
      for (int i = 0; i < 50 && sample(k.pid(), tid)[0] != 1; i++) {
        Thread.sleep(100);
      }
      assertThat(sample(k.pid(), tid)[0]).as("real-time before the flood").isEqualTo(1);
      List<long[]> samples = new CopyOnWriteArrayList<>(); // {ms since flood start, policy, ns}
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
      long t0 = System.nanoTime();
      SynFlood.Run flood = SynFlood.start(lab.client(), lab.serverIp(), "20000-25119",
          PPS * SECONDS, PPS, 13, POOL, dir, "flood");
      try {
        sampler.scheduleAtFixedRate(() -> {
          try {
            long[] s = sample(k.pid(), tid);
            samples.add(new long[] {(System.nanoTime() - t0) / 1_000_000, s[0], s[1]});
          } catch (IOException e) {
            // knockd gone: the assertions below say so
          }
        }, 0, 50, TimeUnit.MILLISECONDS);
        Thread.sleep(3000);
        lab.knock(alice, "close 22");
        assertThat(lab.until(false, 2000)).as("a knock during the flood takes effect")
            .isBetween(0L, 2000L);
        flood.awaitSent();
      } finally {
        sampler.shutdownNow();
        flood.process().destroyForcibly();
      }
      long left = samples.stream().filter(s -> s[1] == 0).mapToLong(s -> s[0]).min()
          .orElse(-1);
      long realtimeCpu = realtimeCpuMs(samples);
      long beforeReturn = busiestBeforeReturn(samples);
      System.out.printf("RealtimeReaderIT: left real-time %d ms after the flood began; CPU while "
          + "real-time during the flood %d ms; before a return %d %% of a core; %d samples%n",
          left, realtimeCpu, beforeReturn, samples.size());
      assertThat(left).as("ms until the reader left real-time").isBetween(0L, 3000L);
      assertThat(realtimeCpu).as("ms of CPU the reader used while real-time during the flood")
          .isLessThanOrEqualTo(MAX_REALTIME_CPU_MS);
      assertThat(beforeReturn).as("%% of a core used in the %d ms before a return", QUIET_MS)
          .isLessThanOrEqualTo(LEAVE);
      assertThat(k.output()).contains("the log reader used").contains("normal scheduling until");

      String back = "";
      for (int i = 0; i < 100 && !back.contains("SCHED_FIFO"); i++) {
        Thread.sleep(100);
        back = Netns.host("chrt", "-p", tid).ok().out();
      }
      assertThat(back).as("real-time again after the flood").contains("SCHED_FIFO");
      k.close();
    }
  }

  /** The CPU (ms) the reader used over the intervals that began with it real-time. */
  private static long realtimeCpuMs(List<long[]> samples) {
    long ns = 0;
    for (int i = 1; i < samples.size(); i++) {
      if (samples.get(i - 1)[1] == 1) {
        ns += samples.get(i)[2] - samples.get(i - 1)[2];
      }
    }
    return ns / 1_000_000;
  }

  /**
   * The highest share of a core (percent) the reader used in the {@value #QUIET_MS} ms before a
   * sample that found it real-time again after it had left: it returns only after a quiet second.
   */
  private static long busiestBeforeReturn(List<long[]> samples) {
    long most = 0;
    for (int i = 1; i < samples.size(); i++) {
      if (samples.get(i)[1] != 1 || samples.get(i - 1)[1] != 0) {
        continue;
      }
      int from = i;
      while (from > 0 && samples.get(i)[0] - samples.get(from)[0] < QUIET_MS) {
        from--;
      }
      long wall = Math.max(1, samples.get(i)[0] - samples.get(from)[0]);
      most = Math.max(most, (samples.get(i)[2] - samples.get(from)[2]) / 10_000 / wall);
    }
    return most;
  }
}
