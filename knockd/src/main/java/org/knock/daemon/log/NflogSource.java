package org.knock.daemon.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Packets the kernel logs to an NFLOG group ({@code FirewallLog = nflog:GROUP}), read from a
 * ulogd child: the fallback when the direct reader ({@link NflogDirectSource}) cannot be used
 * (see {@link NflogReaders}). knockd starts it with a config it writes
 * to a private temporary directory ({@link UlogdConfig}), in knockd's own network namespace.
 * Each LOGEMU line ulogd prints is handed on as is. When ulogd dies the listener hears
 * {@code lost} and ulogd is started again ({@link ChildProcessSource}); packets logged in
 * between are lost (the rules still drop them: fail closed). ulogd's complaints that the
 * netlink socket overflowed are reported as {@code overrun} (count unknown), at most once a
 * second. close() kills ulogd and deletes the directory. ulogd is started through setpriv with
 * a parent-death signal ({@link UlogdConfig#command}) from the thread that runs this source, so it
 * ends with that thread: when knockd dies, even by SIGKILL, ulogd is killed at once and releases
 * the group for the next knockd.
 */
final class NflogSource extends ChildProcessSource {
  /** Where the kernel lists the bound NFLOG groups of this network namespace. */
  static final Path BOUND_GROUPS = Path.of("/proc/net/netfilter/nfnetlink_log");
  private static final long OVERRUN_EVERY_NS = TimeUnit.SECONDS.toNanos(1);

  private final int group;
  private final Path setpriv;
  private final Path ulogd;
  private final Path boundGroups;
  private Path dir;
  private volatile long lastOverrun;
  private volatile boolean overrunReported;

  NflogSource(int group, Path setpriv, Path ulogd, SourceListener listener) {
    this(group, setpriv, ulogd, BOUND_GROUPS, listener);
  }

  /** @param boundGroups the kernel's list of bound groups (tests: a file of their own) */
  NflogSource(int group, Path setpriv, Path ulogd, Path boundGroups, SourceListener listener) {
    super("ulogd", listener);
    this.group = group;
    this.setpriv = setpriv;
    this.ulogd = ulogd;
    this.boundGroups = boundGroups;
  }

  @Override
  public String name() {
    return "nflog:" + group;
  }

  @Override
  public String describe() {
    return name() + " (through a ulogd child"
        + (NflogReaders.whyUlogd().isEmpty() ? "" : ": " + NflogReaders.whyUlogd()) + ")";
  }

  @Override
  synchronized List<String> command() throws IOException {
    if (dir == null) {
      dir = Files.createTempDirectory("knockd-ulogd-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path conf = dir.resolve("ulogd.conf");
    Files.writeString(conf, UlogdConfig.text(group), StandardCharsets.UTF_8);
    return UlogdConfig.command(setpriv, ulogd, conf);
  }

  @Override
  void onOutput(String line, LineSink sink) {
    sink.onLine(line);
  }

  @Override
  void onError(String line) {
    if (line.contains("losing events") || line.contains("Maximum buffer size")) {
      long now = System.nanoTime();
      if (!overrunReported || now - lastOverrun >= OVERRUN_EVERY_NS) {
        overrunReported = true;
        lastOverrun = now;
        listener().overrun(name(), -1);
      }
    }
  }

  /**
   * Waits until ulogd has bound the group (the kernel lists it), so that every packet logged
   * afterwards is read; true at once if the kernel's list cannot be read.
   */
  @Override
  public boolean awaitStarted(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (System.nanoTime() < deadline && !closed()) {
      Process p = process();
      if (p != null && p.isAlive()) {
        Boolean bound = bound();
        if (bound == null || bound) {
          return true;
        }
      }
      TimeUnit.MILLISECONDS.sleep(10);
    }
    return false;
  }

  /** Whether the group is bound; null if the list cannot be read. */
  Boolean bound() {
    try {
      return boundLine(boundGroups, group).isPresent();
    } catch (IOException | java.io.UncheckedIOException e) {
      return null;
    }
  }

  /**
   * The fields of the line of the kernel's list of bound NFLOG groups ({@link #BOUND_GROUPS})
   * that names {@code group} (group, netlink portid, …), if it is bound.
   */
  static java.util.Optional<String[]> boundLine(Path boundGroups, int group) throws IOException {
    try (Stream<String> lines = Files.lines(boundGroups)) {
      return lines.map(l -> l.strip().split("\\s+"))
          .filter(f -> f[0].equals(Integer.toString(group))).findFirst();
    }
  }

  @Override
  public void close() {
    super.close();
    deleteDir();
  }

  private synchronized void deleteDir() {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      // a leftover in /tmp, nothing worse
    }
    dir = null;
  }
}
