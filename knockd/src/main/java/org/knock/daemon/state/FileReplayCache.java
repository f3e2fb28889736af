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
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.knock.core.ReplayCache;
import org.knock.core.ReplayKey;

/**
 * The replay cache, persisted in {@code StateDir/replay.log} so that a restart does not reopen the
 * replay window. Each accepted knock is appended and forced to disk before it is reported as
 * recorded; if that fails (disk full, read-only) the result is {@code STORE_FAILED} and the knock
 * is refused. A write that failed half-way (a full disk takes what fits) is cut off again, or,
 * if even that fails, ended by the next record's leading newline, so that the torn line never
 * swallows a later record when the file is read back. Expired entries are pruned from memory
 * and, by rewriting the file atomically, from disk. Thread-safe.
 */
public final class FileReplayCache implements ReplayCache, AutoCloseable {
  static final String FILE = "replay.log";
  private final Path file;
  private final Map<ReplayKey, Long> seen = new HashMap<>();
  private FileChannel out;
  private int linesInFile;
  /** The file may end in a fragment of a failed write: start the next record on a new line. */
  private boolean torn;

  private FileReplayCache(Path file) {
    this.file = file;
  }

  /**
   * Opens (or creates) the cache in a state directory, keeping entries that expire at or after
   * {@code nowEpochSecond}.
   *
   * @throws IOException if the directory or file cannot be used
   */
  public static FileReplayCache open(Path stateDir, long nowEpochSecond) throws IOException {
    Files.createDirectories(stateDir);
    FileReplayCache c = new FileReplayCache(stateDir.resolve(FILE));
    if (Files.exists(c.file)) {
      List<String> lines = Files.readAllLines(c.file, StandardCharsets.UTF_8);
      for (String line : lines) {
        String[] f = line.split("\t");
        if (f.length != 4) {
          continue; // a torn last line from a crash: the knock it held was never acknowledged
        }
        try {
          long exp = Long.parseLong(f[3]);
          if (exp >= nowEpochSecond) {
            c.seen.put(new ReplayKey(f[0], Long.parseLong(f[1]), Integer.parseInt(f[2])), exp);
          }
        } catch (NumberFormatException e) {
          // same: skip a damaged line
        }
      }
    }
    c.rewrite();
    return c;
  }

  @Override
  public synchronized Result record(ReplayKey key, long expiresAt) {
    if (seen.putIfAbsent(key, expiresAt) != null) {
      return Result.ALREADY_SEEN;
    }
    // kept in memory even if the disk fails: the knock is refused, and so is any replay of it
    long start = -1;
    try {
      start = out.size();
      String line = (torn ? "\n" : "") + key.user() + "\t" + key.timestamp() + "\t"
          + key.nonce() + "\t" + expiresAt + "\n";
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

  /** Forgets entries that expired before {@code nowEpochSecond}; compacts the file when useful. */
  public synchronized void prune(long nowEpochSecond) throws IOException {
    for (Iterator<Long> it = seen.values().iterator(); it.hasNext(); ) {
      if (it.next() < nowEpochSecond) {
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

  private void rewrite() throws IOException {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    StringBuilder b = new StringBuilder();
    for (Map.Entry<ReplayKey, Long> e : seen.entrySet()) {
      ReplayKey k = e.getKey();
      b.append(k.user()).append('\t').append(k.timestamp()).append('\t').append(k.nonce())
          .append('\t').append(e.getValue()).append('\n');
    }
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8)));
      c.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    if (out != null) {
      out.close();
    }
    out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    linesInFile = seen.size();
    torn = false;
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
