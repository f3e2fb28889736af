package org.knock.daemon.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.knock.core.ReplayCache;
import org.knock.core.ReplayKey;
import org.knock.core.ReplayRetention;

/**
 * The replay cache, persisted in {@code StateDir/replay.log} so that a restart does not reopen the
 * replay window. Each accepted knock's record is appended ({@code write()}, into the kernel's page
 * cache: it survives any death of knockd, kill -9 included) before it is reported as recorded; if
 * that fails (disk full, read-only) the result is {@code STORE_FAILED} and the knock is refused. A
 * write that failed half-way (a full disk takes what fits) is cut off again, or, if even that
 * fails, ended by the next record's leading newline, so that the torn line never swallows a later
 * record when the file is read back.
 *
 * <p>The fdatasync that makes a record survive a power loss runs either before {@link #record}
 * returns (a cache opened without a {@link Syncer}) or on the syncer's thread, concurrently with
 * whatever the caller does next (knockd: the grant). A failed background sync is reported to the
 * {@link SyncListener}, and from then on every record is synced before it is reported: a failing
 * sync refuses the knock ({@code STORE_FAILED}), the first one that succeeds ends the failure
 * (reported too). A power loss can therefore lose the records of the last ~millisecond; a cache
 * opened with the kernel's boot time refuses every key stamped before it ({@code BEFORE_BOOT}), so
 * that no knock sealed before the power loss can be replayed after it.
 *
 * <p>An entry keeps the knock's timestamp and is forgotten only when that timestamp has left the
 * WIDEST TimeWindow ever in force ({@link ReplayRetention}), which is persisted in {@code
 * StateDir/replay-window} together with the floor a widening raises: no reload or restart with
 * another window reopens a replay. Expired entries are pruned from memory and, by rewriting the
 * file atomically, from disk. Thread-safe.
 */
public final class FileReplayCache implements ReplayCache, AutoCloseable {
  static final String FILE = "replay.log";
  static final String WINDOW_FILE = "replay-window";
  /** No boot time: no key is refused for its age alone. */
  public static final long NO_BOOT_TIME = Long.MIN_VALUE;

  /** Where the fdatasync of the replay file runs (knockd: {@link #thread}; tests: by hand). */
  public interface Syncer extends AutoCloseable {
    /** Runs {@code sync} now or later, on any thread; returns without waiting for it. */
    void submit(Runnable sync);

    /** Runs what was submitted, then stops. */
    @Override
    default void close() {}

    /** A thread of its own, named {@code replay-sync}, started at once. */
    static Syncer thread() {
      java.util.concurrent.ExecutorService e =
          java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "replay-sync");
            t.setDaemon(true);
            t.setPriority(Thread.MAX_PRIORITY); // mostly blocked in the kernel: no CPU taken
            return t;
          });
      // the thread now, not at the first knock's submit, inside that knock's decode (~5 ms)
      e.execute(() -> { });
      return new Syncer() {
        @Override
        public void submit(Runnable sync) {
          e.execute(sync);
        }

        @Override
        public void close() {
          e.shutdown();
          try {
            e.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }
      };
    }
  }

  /** Hears of background syncs that failed, and of the first sync that succeeded after. */
  public interface SyncListener {
    /** From now on no knock counts before its record is synced. */
    void failed(String message);

    /** A record was synced again: the cache is back to syncing in the background. */
    void recovered();
  }

  /** The fdatasync itself (tests inject a failing one). */
  @FunctionalInterface
  interface Fsync {
    void sync(FileChannel c) throws IOException;
  }

  private final Path file;
  private final Path windowFile;
  private final long bootSecond;
  private final Syncer syncer;
  /**
   * {@link #syncWritten} as the syncer's task, made once here: linked at the first knock, the
   * method reference took ~7 ms (the lambda class spun then) inside that knock's decode.
   */
  private final Runnable syncTask;
  private final SyncListener listener;
  private final Fsync fsync;
  private final Set<ReplayKey> seen = new HashSet<>();
  private ReplayRetention retention;
  private FileChannel out;
  private int linesInFile;
  /** The file may end in a fragment of a failed write: start the next record on a new line. */
  private boolean torn;
  /** Records written, and of those, records known to be synced (background mode). */
  private long written;
  private long synced;
  /** The last background sync failed: sync each record before it counts. */
  private boolean syncFailed;
  private boolean closed;

  private FileReplayCache(Path stateDir, long bootSecond, Syncer syncer, SyncListener listener,
      Fsync fsync) {
    this.file = stateDir.resolve(FILE);
    this.windowFile = stateDir.resolve(WINDOW_FILE);
    this.bootSecond = bootSecond;
    this.syncer = syncer;
    this.syncTask = this::syncWritten;
    this.listener = listener;
    this.fsync = fsync;
  }

  /**
   * Opens (or creates) the cache in a state directory, with {@code window} in force from {@code
   * nowEpochSecond} on (it widens the persisted widest window, never narrows it), keeping the
   * entries that the widest window still covers.
   *
   * @throws IOException if the directory or its files cannot be used
   */
  public static FileReplayCache open(Path stateDir, Duration window, long nowEpochSecond)
      throws IOException {
    return open(stateDir, window, nowEpochSecond, NO_BOOT_TIME, null, null, c -> c.force(false));
  }

  /**
   * As {@link #open(Path, Duration, long)}, syncing on {@code syncer} (which the cache closes)
   * and refusing keys stamped before {@code bootSecond} (the kernel's boot time, a Unix second;
   * {@link #NO_BOOT_TIME}: none).
   */
  public static FileReplayCache open(Path stateDir, Duration window, long nowEpochSecond,
      long bootSecond, Syncer syncer, SyncListener listener) throws IOException {
    return open(stateDir, window, nowEpochSecond, bootSecond, java.util.Objects.requireNonNull(
        syncer), java.util.Objects.requireNonNull(listener), c -> c.force(false));
  }

  static FileReplayCache open(Path stateDir, Duration window, long nowEpochSecond,
      long bootSecond, Syncer syncer, SyncListener listener, Fsync fsync) throws IOException {
    try {
      return load(stateDir, window, nowEpochSecond, bootSecond, syncer, listener, fsync);
    } catch (IOException | RuntimeException e) {
      if (syncer != null) {
        syncer.close(); // the cache would have: its thread must not outlive a failed open
      }
      throw e;
    }
  }

  private static FileReplayCache load(Path stateDir, Duration window, long nowEpochSecond,
      long bootSecond, Syncer syncer, SyncListener listener, Fsync fsync) throws IOException {
    Files.createDirectories(stateDir);
    FileReplayCache c = new FileReplayCache(stateDir, bootSecond, syncer, listener, fsync);
    long olderWindow = -1; // the widest window the pre-"replay-window" format reveals
    List<String> lines =
        Files.exists(c.file) ? Files.readAllLines(c.file, StandardCharsets.UTF_8) : List.of();
    for (String line : lines) {
      String[] f = line.split("\t");
      if (f.length != 3 && f.length != 4) {
        continue; // a torn last line from a crash: the knock it held was never acknowledged
      }
      try {
        ReplayKey k = new ReplayKey(f[0], Long.parseLong(f[1]), Integer.parseInt(f[2]));
        if (f.length == 4) { // user, timestamp, nonce, timestamp + window + 1
          olderWindow = Math.max(olderWindow, Long.parseLong(f[3]) - k.timestamp() - 1);
        }
        c.seen.add(k);
      } catch (NumberFormatException e) {
        // same: skip a damaged line
      }
    }
    c.retention = readWindow(c.windowFile);
    if (c.retention == null) {
      // No widest window on record. A fresh StateDir has forgotten nothing; one written without
      // a window file may have forgotten keys under any window: refuse every key stamped before
      // this start.
      boolean fresh = !Files.exists(c.file);
      c.retention = new ReplayRetention(Math.max(window.getSeconds(), olderWindow),
          fresh ? ReplayRetention.NO_FLOOR : nowEpochSecond);
      c.writeWindow();
    } else if (c.retention.widen(window, nowEpochSecond)) {
      c.writeWindow();
    }
    c.seen.removeIf(k -> !c.retention.keeps(k.timestamp(), nowEpochSecond));
    c.rewrite();
    return c;
  }

  @Override
  public synchronized Result record(ReplayKey key, long nowEpochSecond) {
    if (key.timestamp() >= bootSecond && retention.tooOld(key.timestamp(), nowEpochSecond)
        && !seen.contains(key)) {
      return Result.TOO_OLD; // nothing written: refused as stale, forgotten at the next prune
    }
    return record(key);
  }

  @Override
  public synchronized Result record(ReplayKey key) {
    if (key.timestamp() < bootSecond) {
      return Result.BEFORE_BOOT;
    }
    if (retention.mayHaveForgotten(key.timestamp()) || !seen.add(key)) {
      return Result.ALREADY_SEEN;
    }
    // kept in memory even if the disk fails: the knock is refused, and so is any replay of it
    long start = -1;
    try {
      start = out.size();
      String line = (torn ? "\n" : "") + line(key);
      ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        out.write(b);
      }
      org.knock.daemon.trace.LatencyTrace.mark(org.knock.daemon.trace.LatencyTrace.REPLAY);
      if (syncer == null || syncFailed) {
        fsync.sync(out);
        synced = written;
      }
    } catch (IOException | RuntimeException e) {
      if (!cutBackTo(start)) {
        torn = true;
      }
      return Result.STORE_FAILED;
    }
    linesInFile++;
    torn = false;
    if (syncer == null) {
      return Result.RECORDED;
    }
    if (syncFailed) {
      syncFailed = false;
      listener.recovered();
      return Result.RECORDED;
    }
    written++;
    syncer.submit(syncTask);
    return Result.RECORDED;
  }

  /**
   * The background sync: forces what was written so far, unless an earlier run already did.
   * Runs without the lock, so that the next record need not wait for the disk.
   */
  private void syncWritten() {
    FileChannel c;
    long upTo;
    synchronized (this) {
      if (closed || syncFailed || synced >= written) {
        return;
      }
      c = out;
      upTo = written;
    }
    try {
      fsync.sync(c);
      synchronized (this) {
        synced = Math.max(synced, upTo);
      }
    } catch (IOException | RuntimeException e) {
      synchronized (this) {
        // a rewrite replaced (and forced) the file meanwhile, or the cache was closed: no failure
        if (closed || c != out || syncFailed) {
          return;
        }
        syncFailed = true;
      }
      listener.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }

  /**
   * Puts a TimeWindow in force (a reload). A wider window than any before is persisted first;
   * a narrower one changes nothing.
   *
   * @throws IOException if the wider window could not be persisted; it is in force in memory
   *     anyway, and the next start, which finds the older window on disk, refuses whatever this
   *     run kept longer
   */
  public synchronized void widen(Duration window, long nowEpochSecond) throws IOException {
    if (retention.widen(window, nowEpochSecond)) {
      writeWindow();
    }
  }

  /** The widest TimeWindow ever in force, in seconds. */
  public synchronized long widestWindowSeconds() {
    return retention.widestSeconds();
  }

  /** Removes what a failed write left after {@code size}; false if it could not. */
  private boolean cutBackTo(long size) {
    if (size < 0) {
      return false;
    }
    try {
      out.truncate(size);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Forgets entries the widest window no longer covers; compacts the file when useful. */
  public synchronized void prune(long nowEpochSecond) throws IOException {
    for (Iterator<ReplayKey> it = seen.iterator(); it.hasNext(); ) {
      if (!retention.keeps(it.next().timestamp(), nowEpochSecond)) {
        it.remove();
      }
    }
    if (linesInFile > 2 * seen.size() + 64) {
      rewrite();
    }
  }

  public synchronized int size() {
    return seen.size();
  }

  private static String line(ReplayKey k) {
    return k.user() + "\t" + k.timestamp() + "\t" + k.nonce() + "\n";
  }

  private void rewrite() throws IOException {
    StringBuilder b = new StringBuilder();
    for (ReplayKey k : seen) {
      b.append(line(k));
    }
    replace(file, b.toString());
    if (out != null) {
      out.close();
    }
    out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    linesInFile = seen.size();
    torn = false;
    synced = written; // the new file was forced whole
  }

  /** {@code widest-window=SECONDS} and {@code floor=UNIX-SECOND} lines; null if no file. */
  private static ReplayRetention readWindow(Path f) throws IOException {
    if (!Files.exists(f)) {
      return null;
    }
    long widest = -1;
    long floor = ReplayRetention.NO_FLOOR;
    boolean floorSeen = false;
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      try {
        if (line.startsWith("widest-window=")) {
          widest = Long.parseLong(line.substring("widest-window=".length()));
        } else if (line.startsWith("floor=")) {
          String v = line.substring("floor=".length());
          floor = v.equals("none") ? ReplayRetention.NO_FLOOR : Long.parseLong(v);
          floorSeen = true;
        }
      } catch (NumberFormatException e) {
        widest = -1;
        break;
      }
    }
    if (widest < 0 || !floorSeen) {
      throw new IOException(f + " is damaged: expected widest-window=SECONDS and floor=SECOND"
          + " (delete it to refuse every knock stamped before the next start)");
    }
    return new ReplayRetention(widest, floor);
  }

  private void writeWindow() throws IOException {
    long floor = retention.floor();
    replace(windowFile, "widest-window=" + retention.widestSeconds() + "\nfloor="
        + (floor == ReplayRetention.NO_FLOOR ? "none" : Long.toString(floor)) + "\n");
  }

  /** Writes {@code text} to a sibling, forces it, and moves it over {@code target}. */
  private static void replace(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        c.write(b);
      }
      c.force(true);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Runs the pending sync, forces the file once more and closes it. */
  @Override
  public void close() {
    if (syncer != null) {
      syncer.close(); // without the lock: the pending sync takes it
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (out != null) {
          if (syncer != null && synced < written) {
            fsync.sync(out);
          }
          out.close();
        }
      } catch (IOException e) {
        // nothing left to do: the records are in the page cache
      }
    }
  }
}
