package org.knock.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.ReplayCache.Result;
import org.knock.core.ReplayKey;

class FileReplayCacheTest {
  @TempDir Path dir;

  @Test
  void aRecordedKnockIsAReplayAfterARestart() throws Exception {
    ReplayKey k = new ReplayKey("alice", 1000, 7);
    try (FileReplayCache c = FileReplayCache.open(dir, 900)) {
      assertThat(c.record(k, 1121)).isEqualTo(Result.RECORDED);
      assertThat(c.record(k, 1121)).isEqualTo(Result.ALREADY_SEEN);
    }
    try (FileReplayCache c = FileReplayCache.open(dir, 1000)) {
      assertThat(c.record(k, 1121)).isEqualTo(Result.ALREADY_SEEN);
      assertThat(c.record(new ReplayKey("alice", 1000, 8), 1121)).isEqualTo(Result.RECORDED);
    }
  }

  @Test
  void expiredEntriesAreForgottenAtStartAndByPrune() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, 0)) {
      c.record(new ReplayKey("a", 1, 1), 100);
      c.record(new ReplayKey("a", 2, 1), 200);
      c.prune(150);
      assertThat(c.size()).isEqualTo(1);
    }
    try (FileReplayCache c = FileReplayCache.open(dir, 201)) {
      assertThat(c.size()).isZero();
      assertThat(Files.readString(dir.resolve(FileReplayCache.FILE))).isEmpty();
    }
  }

  @Test
  void aTornLastLineFromACrashIsSkipped() throws Exception {
    Files.writeString(dir.resolve(FileReplayCache.FILE), "alice\t1000\t7\t2000\nbob\t10");
    try (FileReplayCache c = FileReplayCache.open(dir, 1000)) {
      assertThat(c.size()).isEqualTo(1);
      assertThat(c.record(new ReplayKey("alice", 1000, 7), 2000)).isEqualTo(Result.ALREADY_SEEN);
    }
  }

  @Test
  void aFailedWriteRefusesTheKnockButStillBlocksItsReplay() throws Exception {
    try (FileReplayCache c = FileReplayCache.open(dir, 0)) {
      c.close(); // the append channel is gone: every write now fails, as on a dead disk
      ReplayKey k = new ReplayKey("alice", 5, 5);
      assertThat(c.record(k, 100)).isEqualTo(Result.STORE_FAILED);
      assertThat(c.record(k, 100)).isEqualTo(Result.ALREADY_SEEN);
    }
  }
}
