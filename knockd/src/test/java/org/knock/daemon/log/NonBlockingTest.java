package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** O_NONBLOCK on a real FIFO (surefire exports sun.nio.ch as bin/knockd does). */
class NonBlockingTest {
  @Test
  void aReadWithNothingThereReturnsAtOnceThenBlocksAgain(@TempDir Path dir) throws Exception {
    Path fifo = dir.resolve("fifo");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mk.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mk.exitValue()).isZero();
    assertThat(NonBlocking.available()).isTrue();
    // read-write: opening does not wait for a writer, and the FIFO never reaches end of file
    try (RandomAccessFile f = new RandomAccessFile(fifo.toFile(), "rw")) {
      FileChannel ch = f.getChannel();
      assertThat(NonBlocking.set(f.getFD(), true)).isTrue();
      long t0 = System.nanoTime();
      assertThat(ch.read(ByteBuffer.allocate(16))).isZero();
      assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(1));
      f.write("x\n".getBytes());
      assertThat(ch.read(ByteBuffer.allocate(16))).isEqualTo(2);
      // blocking again: a read waits for data (here: written first, so it returns with it)
      assertThat(NonBlocking.set(f.getFD(), false)).isTrue();
      f.write("y".getBytes());
      assertThat(ch.read(ByteBuffer.allocate(16))).isEqualTo(1);
    }
  }
}
