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
 * replay window. Each accepted knock is appended and forced to disk before it is reported as
 * recorded; if that fails (disk full, read-only) the result is {@code STORE_FAILED} and the knock
 * is refused. A write that failed half-way (a full disk takes what fits) is cut off again, or,
 * if even that fails, ended by the next record's leading newline, so that the torn line never
 * swallows a later record when the file is read back.
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
  private final Path file;
  private final Path windowFile;
  private final Set<ReplayKey> seen = new HashSet<>();
  private ReplayRetention retention;
  private FileChannel out;
  private int linesInFile;
  /** The file may end in a fragment of a failed write: start the next record on a new line. */
  private boolean torn;

  private FileReplayCache(Path stateDir) {
    this.file = stateDir.resolve(FILE);
    this.windowFile = stateDir.resolve(WINDOW_FILE);
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
    Files.createDirectories(stateDir);
    FileReplayCache c = new FileReplayCache(stateDir);
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
  public synchronized Result record(ReplayKey key) {
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
      out.force(false);
      linesInFile++;
      torn = false;
      return Result.RECORDED;
    } catch (IOException | RuntimeException e) {
      if (!cutBackTo(start)) {
        torn = true;
      }
      return Result.STORE_FAILED;
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

  @Override
  public synchronized void close() {
    try {
      if (out != null) {
        out.close();
      }
    } catch (IOException e) {
      // nothing left to do: every record was forced when it was made
    }
  }
}
