package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KmsgSourceTest {
  /** Hands out one record per read like /dev/kmsg; "EPIPE" throws Broken pipe; then blocks. */
  private static final class FakeDevice implements KmsgSource.Device {
    private final Deque<String> records;
    private KmsgSource source;

    FakeDevice(List<String> records) {
      this.records = new ArrayDeque<>(records);
    }

    @Override
    public int read(ByteBuffer buf) throws IOException {
      String r = records.poll();
      if (r == null) {
        source.close(); // end of the script: stop the source
        throw new IOException("closed");
      }
      if (r.equals("EPIPE")) {
        throw new IOException("Broken pipe");
      }
      byte[] b = r.getBytes(StandardCharsets.UTF_8);
      buf.put(b);
      return b.length;
    }

    @Override
    public void close() {}
  }

  private final RecordingListener listener = new RecordingListener();

  private List<String> run(long startUsec, String... records) throws Exception {
    FakeDevice device = new FakeDevice(List.of(records));
    KmsgSource source = new KmsgSource("kmsg", () -> device, startUsec, listener);
    device.source = source;
    List<String> lines = new ArrayList<>();
    source.run(lines::add);
    return lines;
  }

  @Test
  void handsOnMessagesFromTheStartOnAndDropsContinuationLines() throws Exception {
    List<String> lines = run(5_000_000,
        "6,100,4999999,-;before the start\n",
        "4,101,5000000,-;KNLOG: IN=vs OUT= SRC=10.201.7.2\n",
        "6,102,5000100,-;acpi PNP0A08:00: _OSC\n SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A08:00\n",
        "6,103,5000200,c,more;with extra header fields\n");
    assertThat(lines).containsExactly("KNLOG: IN=vs OUT= SRC=10.201.7.2", "acpi PNP0A08:00: _OSC",
        "with extra header fields");
    assertThat(listener.events()).isEmpty();
  }

  @Test
  void overrunIsReportedWithTheSequenceGap() throws Exception {
    List<String> lines = run(0,
        "6,10,1,-;one\n",
        "EPIPE",
        "6,17,2,-;eight\n",
        "6,18,3,-;nine\n");
    assertThat(lines).containsExactly("one", "eight", "nine");
    assertThat(listener.events()).containsExactly("overrun 6");
  }

  @Test
  void overrunBeforeAnyRecordHasAnUnknownCount() throws Exception {
    run(0, "EPIPE", "6,17,2,-;x\n");
    assertThat(listener.events()).containsExactly("overrun -1");
  }

  @Test
  void programsWritingToKmsgAreNotTakenForTheKernel() throws Exception {
    // facility 3 (daemon) << 3 | level 6 = 30: a line a program wrote to /dev/kmsg
    List<String> lines = run(0,
        "30,1,1,-;KNLOG: IN=vs OUT= SRC=10.201.7.66 forged\n",
        "4,2,2,-;KNLOG: IN=vs OUT= SRC=10.201.7.2 real\n",
        "garbage without a header\n");
    assertThat(lines).containsExactly("KNLOG: IN=vs OUT= SRC=10.201.7.2 real");
  }

  @Test
  void reopensAfterAFailureWithoutRepeatingRecords() throws Exception {
    int[] opens = new int[1];
    List<List<String>> scripts = List.of(
        List.of("6,1,1,-;a\n", "6,2,2,-;b\n", "FAIL"),
        List.of("6,1,1,-;a\n", "6,2,2,-;b\n", "6,3,3,-;c\n"));
    KmsgSource[] holder = new KmsgSource[1];
    KmsgSource source = new KmsgSource("kmsg", () -> {
      Deque<String> recs = new ArrayDeque<>(scripts.get(opens[0]++));
      return new KmsgSource.Device() {
        @Override
        public int read(ByteBuffer buf) throws IOException {
          String r = recs.poll();
          if (r == null || r.equals("FAIL")) {
            if (r == null) {
              holder[0].close();
            }
            throw new IOException("Input/output error");
          }
          byte[] b = r.getBytes(StandardCharsets.UTF_8);
          buf.put(b);
          return b.length;
        }

        @Override
        public void close() {}
      };
    }, 0, listener);
    holder[0] = source;
    List<String> lines = new ArrayList<>();
    source.run(lines::add);
    assertThat(lines).containsExactly("a", "b", "c");
    assertThat(listener.events()).containsExactly("lost read failed: Input/output error",
        "recovered");
  }

  /**
   * Like /dev/kmsg with O_NONBLOCK switchable: "EMPTY" is a moment with no record (0 when
   * non-blocking; a blocking read would wait, which the script must never ask for); "IDLE" is one
   * that lasts until the hot window has passed; the log holds what the source switched.
   */
  private static class SwitchableDevice implements KmsgSource.Device {
    private final Deque<String> records;
    final List<String> log = new ArrayList<>();
    boolean nonBlocking;
    KmsgSource source;

    SwitchableDevice(String... records) {
      this.records = new ArrayDeque<>(List.of(records));
    }

    @Override
    public boolean nonBlocking(boolean on) {
      nonBlocking = on;
      log.add(on ? "poll" : "block");
      return true;
    }

    @Override
    public int read(ByteBuffer buf) throws IOException {
      String r = records.poll();
      if (r == null) {
        source.close();
        throw new IOException("closed");
      }
      if (r.equals("EMPTY") || r.equals("IDLE")) {
        assertThat(nonBlocking).as("a blocking read with nothing there would wait").isTrue();
        log.add("empty");
        if (r.equals("IDLE")) {
          try {
            Thread.sleep(KmsgSource.HOT_NANOS / 1_000_000 + 20);
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
        }
        return 0;
      }
      byte[] b = r.getBytes(StandardCharsets.UTF_8);
      buf.put(b);
      return b.length;
    }

    @Override
    public void close() {}
  }

  @Test
  void pollsWhileAKnockArrivesAndWaitsAgainWhenItIsQuiet() throws Exception {
    SwitchableDevice device = new SwitchableDevice(
        "6,1,1,-;KNLOG: first\n", "EMPTY", "EMPTY", "6,2,2,-;KNLOG: second\n", "IDLE",
        "6,3,3,-;KNLOG: third\n");
    KmsgSource source = new KmsgSource("kmsg", () -> device, 0, listener);
    device.source = source;
    List<String> lines = new ArrayList<>();
    source.run(lines::add);
    assertThat(lines).containsExactly("KNLOG: first", "KNLOG: second", "KNLOG: third");
    // blocking until the first record, then polling (nothing there is no end of input), then
    // blocking again once the window has passed
    assertThat(device.log).containsExactly("poll", "empty", "empty", "empty", "block", "poll");
    assertThat(listener.events()).isEmpty();
  }

  @Test
  void withAnIdlePollTheDeviceNeverBlocksAndIdlePollsPauseThatLong() throws Exception {
    SwitchableDevice device = new SwitchableDevice("EMPTY", "EMPTY", "6,1,1,-;KNLOG: first\n",
        "IDLE", "EMPTY", "6,2,2,-;KNLOG: second\n");
    KmsgSource source = new KmsgSource("kmsg", () -> device, 0, listener, 40_000_000);
    device.source = source;
    List<String> lines = new ArrayList<>();
    long t0 = System.nanoTime();
    source.run(lines::add);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(lines).containsExactly("KNLOG: first", "KNLOG: second");
    assertThat(device.log).containsExactly("poll", "empty", "empty", "empty", "empty");
    // two idle pauses of 40 ms before the first record, one after the 70 ms IDLE (the window
    // over); the empty read inside the window pauses only 0.2 ms
    assertThat(ms).isBetween(120L + KmsgSource.HOT_NANOS / 1_000_000, 2_000L);
  }

  @Test
  void unwantedRecordsDoNotStartPolling() throws Exception {
    SwitchableDevice device = new SwitchableDevice("6,1,1,-;noise\n", "6,2,2,-;KNLOG: x\n");
    KmsgSource source = new KmsgSource("kmsg", () -> device, 0, listener);
    device.source = source;
    List<String> lines = new ArrayList<>();
    source.run(LineSink.filtered(() -> LineFilter.containing("KNLOG:"), lines::add));
    assertThat(lines).containsExactly("KNLOG: x");
    assertThat(device.log).containsExactly("poll");
  }

  @Test
  void aDeviceThatCannotSwitchStaysBlockingAndItsEndIsReported() throws Exception {
    // FakeDevice keeps the default nonBlocking(): false
    List<String> lines = run(0, "6,1,1,-;KNLOG: a\n", "6,2,2,-;KNLOG: b\n");
    assertThat(lines).containsExactly("KNLOG: a", "KNLOG: b");
  }

  /**
   * A device that never blocks in read and waits in await() ({@link KmsgSource.Device#waits}),
   * as /dev/kmsg with the packet wake-up: "EMPTY" is a read with nothing there; each await()
   * takes the next of {@code wakes} (true: a packet to the knock ports came).
   */
  private static final class WaitingDevice extends SwitchableDevice {
    private final Deque<Boolean> wakes;

    WaitingDevice(List<Boolean> wakes, String... records) {
      super(records);
      this.wakes = new ArrayDeque<>(wakes);
      nonBlocking = true; // as opened: it never blocks, so the source never switches it
    }

    @Override
    public boolean waits() {
      return true;
    }

    @Override
    public boolean await(int timeoutMillis) {
      assertThat(timeoutMillis).isEqualTo(KmsgSource.WAIT_MILLIS);
      boolean packet = wakes.remove();
      log.add(packet ? "wait: packet" : "wait");
      return packet;
    }

    @Override
    public String how() {
      return "woken at once by packets to ports 1-2";
    }
  }

  @Test
  void aDeviceThatWaitsWaitsWhileIdleAndAPacketMakesItPollForTheRecords() throws Exception {
    WaitingDevice device = new WaitingDevice(List.of(false, true), "EMPTY", "EMPTY",
        "6,1,1,-;KNLOG: first\n", "EMPTY", "EMPTY", "6,2,2,-;KNLOG: second\n");
    KmsgSource source = new KmsgSource("kmsg", () -> device, 0, listener);
    device.source = source;
    List<String> lines = new ArrayList<>();
    source.run(lines::add);
    assertThat(lines).containsExactly("KNLOG: first", "KNLOG: second");
    // idle: each empty read waits (a timeout, then a packet); after the packet the empty reads
    // are polls (0.2 ms pauses), never a wait, and O_NONBLOCK is never switched
    assertThat(device.log).containsExactly("empty", "wait", "empty", "wait: packet", "empty",
        "empty");
    assertThat(source.describe()).isEqualTo("kmsg (woken at once by packets to ports 1-2)");
    assertThat(listener.events()).isEmpty();
  }

  @Test
  void knockPortsChangedWhileTheDeviceOpensReachItOnceItIsOpen() throws Exception {
    // a reload between the opener reading the ports and the device being set: without a second
    // look the new device kept the old filter until the next reload
    org.knock.daemon.netlink.KnockPorts p =
        new org.knock.daemon.netlink.KnockPorts(30000, 35119, false);
    List<org.knock.daemon.netlink.KnockPorts> told = new ArrayList<>();
    KmsgSource[] source = new KmsgSource[1];
    SwitchableDevice device = new SwitchableDevice() {
      @Override
      public String refilter(org.knock.daemon.netlink.KnockPorts q) {
        told.add(q);
        return "woken at once by " + q;
      }
    };
    source[0] = new KmsgSource("kmsg", () -> {
      source[0].knockPortsChanged(p); // the reload, while this open runs
      return device;
    }, 0, listener);
    device.source = source[0];
    source[0].run(line -> { });
    assertThat(told).containsExactly(p);
    assertThat(source[0].describe())
        .isEqualTo("kmsg (woken at once by TCP SYNs to ports 30000-35119)");
  }

  @Test
  void newKnockPortsGoToTheOpenDeviceAndTheStartLineFollows() throws Exception {
    List<org.knock.daemon.netlink.KnockPorts> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
    KmsgSource source = new KmsgSource("kmsg", () -> new KmsgSource.Device() {
      private volatile String how = "woken at once by the old ports";

      @Override
      public boolean waits() {
        return true;
      }

      @Override
      public boolean await(int timeoutMillis) throws IOException {
        try {
          stop.await(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
        return false;
      }

      @Override
      public String how() {
        return how;
      }

      @Override
      public String refilter(org.knock.daemon.netlink.KnockPorts p) {
        told.add(p);
        how = "woken at once by " + p;
        return how;
      }

      @Override
      public int read(ByteBuffer buf) {
        return 0;
      }

      @Override
      public void close() {
        stop.countDown();
      }
    }, 0, listener);
    Thread reader = new Thread(() -> {
      try {
        source.run(line -> { });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    reader.start();
    try {
      assertThat(source.awaitStarted(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(source.describe()).isEqualTo("kmsg (woken at once by the old ports)");
      org.knock.daemon.netlink.KnockPorts p =
          new org.knock.daemon.netlink.KnockPorts(30000, 35119, true);
      source.knockPortsChanged(p);
      assertThat(told).containsExactly(p);
      assertThat(source.describe())
          .isEqualTo("kmsg (woken at once by TCP SYNs and UDP to ports 30000-35119)");
    } finally {
      source.close();
      reader.join(5000);
    }
    assertThat(reader.isAlive()).isFalse();
  }

  @Test
  void uptimeIsReadInMicroseconds(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("uptime");
    Files.writeString(f, "1643.02 3007.81\n");
    assertThat(KmsgSource.uptimeUsec(f)).isEqualTo(1_643_020_000L);
  }
}
