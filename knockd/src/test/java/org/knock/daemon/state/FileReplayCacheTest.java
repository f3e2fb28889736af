package org.knock.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.ReplayCache.Result;
import org.knock.core.ReplayKey;

class FileReplayCacheTest {
  private static final Duration W120 = Duration.ofSeconds(120);
  private static final Duration W600 = Duration.ofSeconds(600);
  @TempDir Path dir;

  @Test
  void aRecordedKnockIsAReplayAfterARestart() throws Exception {
    ReplayKey k = new ReplayKey("alice", 1000, 7);
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 900)) {
      assertThat(c.record(k)).isEqualTo(Result.RECORDED);
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
    }
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1000)) {
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(new ReplayKey("alice", 1000, 8))).isEqualTo(Result.RECORDED);
    }
  }

  @Test
  void anEntryLastsUntilItsTimestampLeavesTheWindowAtStartAndByPrune() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, Duration.ofSeconds(99), 0)) {
      c.record(new ReplayKey("a", 0, 1)); // kept until 0 + 99 + 1
      c.record(new ReplayKey("a", 100, 1)); // kept until 200
      c.prune(101);
      assertThat(c.size()).isEqualTo(1);
    }
    try (FileReplayCache c = FileReplayCache.open(dir, Duration.ofSeconds(99), 201)) {
      assertThat(c.size()).isZero();
      assertThat(Files.readString(dir.resolve(FileReplayCache.FILE))).isEmpty();
    }
  }

  @Test
  void aTornLastLineFromACrashIsSkipped() throws Exception {
    Files.writeString(dir.resolve(FileReplayCache.FILE), "alice\t1000\t7\nbob\t10");
    Files.writeString(dir.resolve(FileReplayCache.WINDOW_FILE), "widest-window=120\nfloor=none\n");
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1000)) {
      assertThat(c.size()).isEqualTo(1);
      assertThat(c.record(new ReplayKey("alice", 1000, 7))).isEqualTo(Result.ALREADY_SEEN);
    }
  }

  @Test
  void aFailedWriteRefusesTheKnockButStillBlocksItsReplay() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 0)) {
      c.close(); // the append channel is gone: every write now fails, as on a dead disk
      ReplayKey k = new ReplayKey("alice", 5, 5);
      assertThat(c.record(k)).isEqualTo(Result.STORE_FAILED);
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
    }
  }

  /** Issue 13 item 4: the knock recorded at t=1000 under ±120 s, then the window widened. */
  @Test
  void aWidenedWindowStillRefusesARecordedKnockAfterARestart() throws Exception {
    ReplayKey k = new ReplayKey("alice", 1000, 7);
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1000)) {
      assertThat(c.record(k)).isEqualTo(Result.RECORDED);
      c.prune(1100);
    }
    // restart at t=1400 with ±600 s: the knock (age 400 s) is inside the new window again
    try (FileReplayCache c = FileReplayCache.open(dir, W600, 1400)) {
      assertThat(c.widestWindowSeconds()).isEqualTo(600);
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
    }
  }

  @Test
  void aWidenedWindowStillRefusesARecordedKnockAfterAReload() throws Exception {
    ReplayKey k = new ReplayKey("alice", 1000, 7);
    ReplayKey forgotten = new ReplayKey("alice", 1010, 8);
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1000)) {
      c.record(k);
      c.record(forgotten);
      c.prune(1300); // both left ±120 s and were forgotten
      assertThat(c.size()).isZero();
      c.widen(W600, 1300); // a reload: both are inside ±600 s again
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(forgotten)).isEqualTo(Result.ALREADY_SEEN);
      // a knock stamped after what ±120 s could have forgotten by the reload is served
      assertThat(c.record(new ReplayKey("alice", 1179, 9))).isEqualTo(Result.RECORDED);
      assertThat(c.record(new ReplayKey("alice", 1178, 9))).isEqualTo(Result.ALREADY_SEEN);
    }
    // the floor the widening raised is persisted too
    try (FileReplayCache c = FileReplayCache.open(dir, W600, 1301)) {
      assertThat(c.record(forgotten)).isEqualTo(Result.ALREADY_SEEN);
    }
  }

  @Test
  void aReloadedWiderWindowKeepsEntriesLongerAndSurvivesARestart() throws Exception {
    ReplayKey k = new ReplayKey("alice", 1000, 7);
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1000)) {
      c.widen(W600, 1000);
      c.record(k);
      c.prune(1500); // ±120 s would have forgotten it at 1121
      assertThat(c.size()).isEqualTo(1);
    }
    assertThat(Files.readString(dir.resolve(FileReplayCache.WINDOW_FILE)))
        .startsWith("widest-window=600\n");
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1550)) {
      assertThat(c.widestWindowSeconds()).isEqualTo(600);
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
    }
  }

  @Test
  void aNarrowedWindowDoesNotShrinkTheWidest() throws Exception {
    ReplayKey k = new ReplayKey("alice", 1000, 7);
    try (FileReplayCache c = FileReplayCache.open(dir, W600, 1000)) {
      c.record(k);
      c.widen(W120, 1001); // a reload with a narrower window
      c.prune(1500);
      assertThat(c.size()).isEqualTo(1);
      assertThat(c.widestWindowSeconds()).isEqualTo(600);
    }
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1550)) { // restart, narrower
      assertThat(c.widestWindowSeconds()).isEqualTo(600);
      assertThat(c.size()).isEqualTo(1);
      c.widen(W600, 1560); // and wide again: nothing was forgotten, so nothing is refused
      assertThat(c.record(new ReplayKey("alice", 1000, 8))).isEqualTo(Result.RECORDED);
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
    }
    assertThat(Files.readString(dir.resolve(FileReplayCache.WINDOW_FILE)))
        .isEqualTo("widest-window=600\nfloor=none\n");
  }

  @Test
  void aStateDirWrittenWithoutAWindowRefusesKnocksStampedBeforeTheStart() throws Exception {
    // the format before the widest window was kept: the 4th field is timestamp + window + 1
    Files.writeString(dir.resolve(FileReplayCache.FILE), "alice\t1000\t7\t1301\n");
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1200)) {
      assertThat(c.widestWindowSeconds()).isEqualTo(300);
      assertThat(c.record(new ReplayKey("alice", 1000, 7))).isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(new ReplayKey("alice", 1199, 1))).isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(new ReplayKey("alice", 1200, 1))).isEqualTo(Result.RECORDED);
    }
  }

  @Test
  void aDamagedWindowFileIsAOneLineError() throws Exception {
    Files.writeString(dir.resolve(FileReplayCache.WINDOW_FILE), "widest-window=lots\n");
    Throwable t = catchThrowable(() -> FileReplayCache.open(dir, W120, 0));
    assertThat(t).hasMessage(dir.resolve(FileReplayCache.WINDOW_FILE) + " is damaged: expected "
        + "widest-window=SECONDS and floor=SECOND (delete it to refuse every knock stamped "
        + "before the next start)");
  }

  private long lines() throws Exception {
    return Files.readAllLines(dir.resolve(FileReplayCache.FILE)).size();
  }

  @Test
  void pruneCompactsTheFileOnlyWhenItHoldsMoreThanTwiceWhatIsKeptPlus64Lines() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, Duration.ofSeconds(99), 0)) {
      for (int i = 0; i < 80; i++) {
        c.record(new ReplayKey("a", 0, i)); // kept until 100
      }
      for (int i = 0; i < 20; i++) {
        c.record(new ReplayKey("a", 500, i)); // kept until 600
      }
      assertThat(lines()).isEqualTo(100);
      c.prune(101); // 20 kept: 100 lines are not more than 2 * 20 + 64
      assertThat(c.size()).isEqualTo(20);
      assertThat(lines()).isEqualTo(100);
      c.prune(601); // none kept: 100 > 64
      assertThat(lines()).isZero();
      for (int i = 0; i < 64; i++) {
        c.record(new ReplayKey("a", 700, i));
      }
      c.prune(801); // none kept, 64 lines: not more than 64
      assertThat(lines()).isEqualTo(64);
      c.record(new ReplayKey("a", 900, 1));
      assertThat(c.record(new ReplayKey("a", 900, 1))).isEqualTo(Result.ALREADY_SEEN);
      assertThat(lines()).as("the channel still appends after a rewrite").isEqualTo(65);
    }
  }

  @Test
  void aTimeWindowOfZeroIsAWindow() throws Exception {
    Files.writeString(dir.resolve(FileReplayCache.WINDOW_FILE), "widest-window=0\nfloor=none\n");
    try (FileReplayCache c = FileReplayCache.open(dir, Duration.ZERO, 1000)) {
      assertThat(c.widestWindowSeconds()).isZero();
    }
  }

  /** A syncer that keeps what it is given until the test runs it. */
  private final List<Runnable> pending = new ArrayList<>();
  private final List<String> heard = new ArrayList<>();
  private int fsyncs;
  private boolean fsyncFails;

  private FileReplayCache background(long bootSecond) throws Exception {
    return background(bootSecond, pending::add);
  }

  private FileReplayCache background(long bootSecond, FileReplayCache.Syncer syncer)
      throws Exception {
    return FileReplayCache.open(dir, W120, 1000, bootSecond, syncer,
        new FileReplayCache.SyncListener() {
          @Override
          public void failed(String message) {
            heard.add("failed " + message);
          }

          @Override
          public void recovered() {
            heard.add("recovered");
          }
        }, c -> {
          if (fsyncFails) {
            throw new java.io.IOException("Input/output error");
          }
          fsyncs++;
          c.force(false);
        });
  }

  private void runPending() {
    List<Runnable> now = new ArrayList<>(pending);
    pending.clear();
    now.forEach(Runnable::run);
  }

  /** The fake syncer, which also notes its close. */
  private final List<String> syncerCalls = new ArrayList<>();

  private final FileReplayCache.Syncer closingSyncer = new FileReplayCache.Syncer() {
    @Override
    public void submit(Runnable sync) {
      pending.add(sync);
    }

    @Override
    public void close() {
      syncerCalls.add("closed with " + pending.size() + " pending");
    }
  };

  @Test
  void aKeyOlderThanTheWidestWindowIsTooOldAndWritesNothing() throws Exception {
    // opened at 1000 with a 120 s window: at 2000 a key stamped 1878 is gone (kept until
    // 1878 + 120 + 1 = 1999), one stamped 1879 is kept (until 2000)
    try (FileReplayCache c = background(FileReplayCache.NO_BOOT_TIME)) {
      Path file = dir.resolve(FileReplayCache.FILE);
      long size = Files.size(file);
      ReplayKey old = new ReplayKey("alice", 1878, 1);
      for (int i = 0; i < 3; i++) { // sent again and again: never remembered, never written
        assertThat(c.record(old, 2000)).isEqualTo(Result.TOO_OLD);
      }
      assertThat(c.size()).isZero();
      runPending();
      assertThat(fsyncs).isZero();
      assertThat(Files.size(file)).isEqualTo(size);
      ReplayKey kept = new ReplayKey("alice", 1879, 1);
      assertThat(c.record(kept, 2000)).isEqualTo(Result.RECORDED);
      assertThat(c.record(kept, 2000)).isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(kept, 2100)).as("remembered: a replay, though too old by now")
          .isEqualTo(Result.ALREADY_SEEN);
      runPending();
      assertThat(fsyncs).isEqualTo(1);
      assertThat(Files.size(file)).isGreaterThan(size);
    }
  }

  @Test
  void closeClosesTheSyncerAndSyncsTheRecordItLeftUnsynced() throws Exception {
    FileReplayCache c = background(FileReplayCache.NO_BOOT_TIME, closingSyncer);
    c.record(new ReplayKey("alice", 1000, 1));
    c.close();
    assertThat(syncerCalls).containsExactly("closed with 1 pending");
    assertThat(fsyncs).as("the record the syncer did not sync is synced by close").isEqualTo(1);
  }

  @Test
  void closeDoesNotSyncAgainWhenEveryRecordIsSynced() throws Exception {
    FileReplayCache c = background(FileReplayCache.NO_BOOT_TIME, closingSyncer);
    c.record(new ReplayKey("alice", 1000, 1));
    runPending();
    assertThat(fsyncs).isEqualTo(1);
    c.close();
    assertThat(fsyncs).as("nothing left to sync").isEqualTo(1);
    assertThat(syncerCalls).hasSize(1);
  }

  @Test
  void theSyncThreadIsADaemonNamedReplaySyncAtMaxPriorityAndCloseWaitsForIt() throws Exception {
    FileReplayCache.Syncer s = FileReplayCache.Syncer.thread();
    java.util.concurrent.CompletableFuture<Thread> ran = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    boolean[] finished = new boolean[1];
    s.submit(() -> {
      ran.complete(Thread.currentThread());
      try {
        go.await(5, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        return;
      }
      finished[0] = true;
    });
    Thread t = ran.get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(t.getName()).isEqualTo("replay-sync");
    assertThat(t.isDaemon()).as("does not keep the JVM alive").isTrue();
    assertThat(t.getPriority()).isEqualTo(Thread.MAX_PRIORITY);
    go.countDown();
    s.close();
    assertThat(finished[0]).as("close ran the submitted sync to its end").isTrue();
    t.join(2000); // the executor is terminated a moment before its worker thread has ended
    assertThat(t.isAlive()).as("and the thread is gone").isFalse();
  }

  @Test
  void aSyncerClosedOnAnInterruptedThreadKeepsTheInterrupt() throws Exception {
    FileReplayCache.Syncer s = FileReplayCache.Syncer.thread();
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    s.submit(() -> {
      started.countDown();
      try {
        go.await(5, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(started.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    try {
      Thread.currentThread().interrupt();
      s.close(); // the wait for the running sync is interrupted at once
      assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
    } finally {
      Thread.interrupted();
      go.countDown();
    }
  }

  @Test
  void aRecordIsWrittenAtOnceAndSyncedLaterOnTheSyncersThread() throws Exception {
    try (FileReplayCache c = background(FileReplayCache.NO_BOOT_TIME)) {
      assertThat(c.record(new ReplayKey("alice", 1000, 1))).isEqualTo(Result.RECORDED);
      assertThat(lines()).as("written before record returns").isEqualTo(1);
      assertThat(fsyncs).as("but not synced").isZero();
      assertThat(pending).hasSize(1);
      c.record(new ReplayKey("alice", 1000, 2));
      runPending();
      assertThat(fsyncs).as("one sync covers both records").isEqualTo(1);
      assertThat(heard).isEmpty();
    }
  }

  @Test
  void aRecordNotYetSyncedIsReadBackAfterKnockdDied() throws Exception {
    ReplayKey k = new ReplayKey("alice", 1000, 1);
    FileReplayCache dead = background(FileReplayCache.NO_BOOT_TIME);
    assertThat(dead.record(k)).isEqualTo(Result.RECORDED); // then kill -9: never synced, closed
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1001)) {
      assertThat(c.record(k)).isEqualTo(Result.ALREADY_SEEN);
    }
    assertThat(fsyncs).isZero();
  }

  @Test
  void aFailedSyncStopsAcceptingUntilASyncSucceedsAgain() throws Exception {
    try (FileReplayCache c = background(FileReplayCache.NO_BOOT_TIME)) {
      assertThat(c.record(new ReplayKey("alice", 1000, 1))).isEqualTo(Result.RECORDED);
      fsyncFails = true;
      runPending();
      assertThat(heard).containsExactly("failed Input/output error");
      ReplayKey b = new ReplayKey("alice", 1000, 2);
      assertThat(c.record(b)).as("synced before it counts, and that failed")
          .isEqualTo(Result.STORE_FAILED);
      assertThat(c.record(b)).as("still burned").isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(new ReplayKey("alice", 1000, 3))).isEqualTo(Result.STORE_FAILED);
      assertThat(pending).isEmpty();
      assertThat(heard).hasSize(1);
      fsyncFails = false;
      assertThat(c.record(new ReplayKey("alice", 1000, 4))).isEqualTo(Result.RECORDED);
      assertThat(fsyncs).as("synced before record returned").isEqualTo(1);
      assertThat(heard).containsExactly("failed Input/output error", "recovered");
      assertThat(pending).isEmpty();
      assertThat(c.record(new ReplayKey("alice", 1000, 5))).isEqualTo(Result.RECORDED);
      assertThat(pending).as("back to syncing in the background").hasSize(1);
    }
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 1001)) {
      assertThat(c.size()).as("the refused records were cut off again; 1, 4, 5 kept")
          .isEqualTo(3);
    }
  }

  @Test
  void aFailedWriteStillRefusesTheKnockWithABackgroundSyncer() throws Exception {
    FileReplayCache c = background(FileReplayCache.NO_BOOT_TIME);
    c.close();
    assertThat(c.record(new ReplayKey("alice", 1000, 1))).isEqualTo(Result.STORE_FAILED);
    assertThat(pending).isEmpty();
  }

  @Test
  void tooOldYieldsToBeforeBootToTheFloorAndToAKeyRemembered() throws Exception {
    try (FileReplayCache c = background(1100)) {
      c.widen(W600, 1300); // the floor: 1300 - 120 - 1 = 1179
      assertThat(c.record(new ReplayKey("alice", 1250, 1))).isEqualTo(Result.RECORDED);
      assertThat(c.record(new ReplayKey("alice", 1099, 1), 3000)).isEqualTo(Result.BEFORE_BOOT);
      assertThat(c.record(new ReplayKey("alice", 1178, 1), 3000))
          .isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(new ReplayKey("alice", 1250, 1), 1900)).as("remembered, too old now")
          .isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(new ReplayKey("alice", 1198, 1), 1800)).isEqualTo(Result.TOO_OLD);
      assertThat(c.record(new ReplayKey("alice", 1199, 1), 1800)).isEqualTo(Result.RECORDED);
    }
  }

  @Test
  void aKeyStampedBeforeTheKernelBootedIsRefused() throws Exception {
    try (FileReplayCache c = background(1000)) {
      assertThat(c.record(new ReplayKey("alice", 999, 1))).isEqualTo(Result.BEFORE_BOOT);
      assertThat(c.record(new ReplayKey("alice", 1000, 1))).isEqualTo(Result.RECORDED);
    }
  }

  @Test
  void theBootTimeIsProcStatsBtime() throws Exception {
    assertThat(BootTime.parse("cpu  1 2 3\nintr 5\nbtime 1796059527\nprocesses 9\n",
        Path.of("/proc/stat"))).isEqualTo(1796059527L);
    assertThat(catchThrowable(() -> BootTime.parse("cpu 1\n", Path.of("/proc/stat"))))
        .hasMessage("/proc/stat holds no btime line");
    assertThat(BootTime.read(BootTime.PROC_STAT)).isPositive()
        .isLessThanOrEqualTo(System.currentTimeMillis() / 1000);
  }

  private String log() throws Exception {
    return Files.readString(dir.resolve(FileReplayCache.FILE));
  }

  @Test
  void aWriteTheFullDiskTookHalfOfIsCutOffAndTheNextRecordFollowsOnItsOwnLine() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 0)) {
      FailingDisk disk = FailingDisk.install(c);
      disk.room = 5; // "alice" fits, the rest does not
      assertThat(c.record(new ReplayKey("alice", 5, 1))).isEqualTo(Result.STORE_FAILED);
      assertThat(log()).as("cut back to the empty file").isEmpty();
      disk.room = -1;
      assertThat(c.record(new ReplayKey("alice", 5, 2))).isEqualTo(Result.RECORDED);
      disk.room = 3;
      assertThat(c.record(new ReplayKey("bob", 6, 3))).isEqualTo(Result.STORE_FAILED);
      disk.room = -1;
      assertThat(c.record(new ReplayKey("bob", 6, 4))).isEqualTo(Result.RECORDED);
      assertThat(log()).isEqualTo("alice\t5\t2\nbob\t6\t4\n");
    }
  }

  @Test
  void aTornWriteThatCannotBeCutOffIsEndedByTheNextRecordsNewline() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 0)) {
      FailingDisk disk = FailingDisk.install(c);
      disk.room = 5;
      disk.truncateFails = true;
      assertThat(c.record(new ReplayKey("alice", 5, 1))).isEqualTo(Result.STORE_FAILED);
      disk.room = -1;
      assertThat(c.record(new ReplayKey("alice", 5, 2))).isEqualTo(Result.RECORDED);
      assertThat(log()).isEqualTo("alice\nalice\t5\t2\n");
    }
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 10)) {
      assertThat(c.record(new ReplayKey("alice", 5, 2))).isEqualTo(Result.ALREADY_SEEN);
    }
  }

  @Test
  void whenTheFilesSizeCannotBeReadTheNextRecordStillStartsOnANewLine() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, W120, 0)) {
      assertThat(c.record(new ReplayKey("alice", 5, 1))).isEqualTo(Result.RECORDED);
      FailingDisk disk = FailingDisk.install(c);
      disk.sizeFails = true; // what the failed write left is unknown
      assertThat(c.record(new ReplayKey("alice", 5, 2))).isEqualTo(Result.STORE_FAILED);
      disk.sizeFails = false;
      assertThat(c.record(new ReplayKey("alice", 5, 3))).isEqualTo(Result.RECORDED);
      assertThat(log()).isEqualTo("alice\t5\t1\n\nalice\t5\t3\n");
    }
  }

  @Test
  void aFailedOpenClosesTheSyncerItWasGiven() throws Exception {
    Path notADir = dir.resolve("file");
    Files.writeString(notADir, "x"); // the state directory cannot be made here
    boolean[] closed = {false};
    FileReplayCache.Syncer syncer = new FileReplayCache.Syncer() {
      @Override
      public void submit(Runnable sync) {
        sync.run();
      }

      @Override
      public void close() {
        closed[0] = true;
      }
    };
    FileReplayCache.SyncListener quiet = new FileReplayCache.SyncListener() {
      @Override
      public void failed(String message) {}

      @Override
      public void recovered() {}
    };
    Throwable t = catchThrowable(() -> FileReplayCache.open(notADir.resolve("state"), W120, 1000,
        FileReplayCache.NO_BOOT_TIME, syncer, quiet));
    assertThat(t).isInstanceOf(java.io.IOException.class);
    assertThat(closed[0]).as("the syncer (a thread in knockd) closed").isTrue();
  }
}
