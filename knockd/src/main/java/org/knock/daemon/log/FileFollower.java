package org.knock.daemon.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Follows a log file like {@code tail -F}, losing and repeating no line across rotations.
 *
 * <ul>
 *   <li>Starts at the end of the file (at the start of an unfinished last line); a file that
 *       appears later is read from its start.
 *   <li>Rename rotation (logrotate {@code create}, or delete and recreate): noticed by the file key
 *       (device and inode) at the path changing. The old file stays open and is read to its end
 *       first, and is kept open (read before the new file) until it has been quiet for a while,
 *       because writers such as rsyslog write to it until they are told to reopen. Rotated files
 *       that came and went between two looks (two rotations in a row) are read in full, oldest
 *       first: any sibling named {@code FILE.*} or {@code FILE-*} (not compressed) with a file key
 *       never seen before and modified after the last look. They are listed until two listings
 *       agree and opened by file key, as further rotations may rename them meanwhile; and only
 *       while the new file is still at the path, so that none of them is newer than it. A rotated
 *       file deleted before the follower looked (logrotate's {@code rotate N} while the follower
 *       was stalled for N rotations) is lost to any follower.
 *   <li>copytruncate: noticed by the file getting shorter than the read position, or — when it
 *       already grew again — by the bytes just before the position no longer being those read
 *       (checked after every read, before its lines are handed on). The unread end of the old
 *       content is then read from the rotated copy (the sibling at least as long as the position
 *       whose bytes just before it are those read), and the file again from its start. A copy that
 *       the file still starts with (made, its truncation still to come) is not taken for a
 *       rotated file to read besides it. Lines written between logrotate's copy and its
 *       truncation are lost by logrotate itself.
 *   <li>Missing file: the listener hears {@code lost} after a grace period, and {@code recovered}
 *       when the file is back; likewise for a file that cannot be opened.
 * </ul>
 *
 * The directory is watched with the JDK WatchService (inotify on Linux), with a bounded poll as
 * a backstop for missed events. While a burst is read (a noisy kern.log, a follower catching up),
 * the watch is dropped: each write would make the JDK's watch thread handle an event nobody waits
 * for (8-15 % of the daemon's CPU on a kern.log appended to at full speed, docs/BENCHMARKS.md §2
 * round 12). A burst is {@link #BURST_BYTES} read back to back (no two reads that found
 * something more than {@link #BURST_PAUSE_MS} apart): one long read, or a reader keeping pace
 * with a fast writer, which would otherwise wake (two threads, two context switches) at every
 * write, thousands a second (round 13). Until the burst ends the follower reads again after a
 * pause of {@link #BURST_PAUSE_MS}, not at each write: a line written meanwhile waits at most
 * that long; a knock's few kilobytes, or writes further apart than the pause, never make a burst.
 * The burst ends at the first pause during which nothing was written; the watch is set again
 * then, and the file is read once more before any wait, so no write goes unnoticed.
 */
final class FileFollower implements LineSource {
  private static final long POLL_MS = 200;
  /** Bytes read back to back that make a burst: the watch is dropped until it ends. */
  static final long BURST_BYTES = 1 << 20;
  /**
   * During a burst, how long the follower sleeps at the file's end before it reads again; and
   * the most two reads that found something may be apart to count as back to back.
   */
  static final long BURST_PAUSE_MS = 2;
  private static final int READ_OK = 0;
  private static final int READ_TRUNCATED = 1;
  private static final int READ_FAILED = 2;
  private static final int NONE = 0;
  private static final int FOUND = 1;
  private static final int MOVED = 2;
  private static final long MTIME_SLACK_MS = 1000;
  private static final int MAX_RETIRED = 8;
  private static final int MAX_SEEN = 256;
  private static final int MAX_LISTINGS = 8;
  private static final List<String> COMPRESSED =
      List.of(".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip", ".lzma", ".br");

  /** One open file being read. */
  private static final class Tracked {
    final FileChannel ch;
    final Object key;
    final LineSplitter splitter = new LineSplitter();
    final TailWindow tail = new TailWindow();
    long pos;
    long lastGrowthNanos = System.nanoTime();
    /** Truncated in place at least once: it is rotated by copytruncate. */
    boolean truncated;

    Tracked(FileChannel ch, Object key) {
      this.ch = ch;
      this.key = key;
    }
  }

  private final Path path;
  private final Path dir;
  private final String base;
  private final SourceListener listener;
  private final Clock clock;
  private final long lostGraceNanos;
  private final long drainQuietNanos;
  private final ByteBuffer readBuf = ByteBuffer.allocate(64 * 1024);
  private final List<Tracked> retired = new ArrayList<>();
  /** Files already read (or there before the start), by key, as they were then. */
  private final Map<Object, FileState> seen = new LinkedHashMap<>();

  private final CountDownLatch started = new CountDownLatch(1);
  private volatile boolean closed;
  private volatile WatchService watcher;
  private WatchKey watchKey;
  /** A burst is being read: {@link #await} pauses instead of waiting for the watch. */
  private boolean bursting;
  /** Bytes read back to back up to now. */
  private long runBytes;
  /** When a read last found something, and when the current step began. */
  private long lastDataNanos;
  private long stepNanos;
  /** Steps taken (each one a wake-up of the reading thread), and bursts begun: for tests. */
  private volatile long steps;
  private volatile long bursts;
  private Tracked current;
  private long lastLookMillis;
  private long missingSinceNanos = -1;
  private boolean lost;
  private Object unreadStartKey;
  private long unreadStartSize;

  /** @param path the log file; its directory is watched */
  FileFollower(Path path, SourceListener listener) {
    this(path, listener, Clock.systemUTC(), 1000, 2000);
  }

  /**
   * @param lostGraceMs how long the file may be missing before the listener hears of it (rotation
   *     leaves it missing for an instant)
   * @param drainQuietMs how long a rotated-away file must stay unchanged before it is closed
   */
  FileFollower(Path path, SourceListener listener, Clock clock, long lostGraceMs,
      long drainQuietMs) {
    this.path = path.toAbsolutePath().normalize();
    this.dir = Objects.requireNonNull(this.path.getParent(), "a file path has a directory");
    this.base = this.path.getFileName().toString();
    this.listener = listener;
    this.clock = clock;
    this.lostGraceNanos = TimeUnit.MILLISECONDS.toNanos(lostGraceMs);
    this.drainQuietNanos = TimeUnit.MILLISECONDS.toNanos(drainQuietMs);
  }

  @Override
  public String name() {
    return "file:" + path;
  }

  @Override
  public void run(LineSink sink) throws InterruptedException {
    try {
      watcher = FileSystems.getDefault().newWatchService();
    } catch (IOException e) {
      watcher = null; // poll only
    }
    try {
      start();
      started.countDown();
      while (!closed) {
        beginStep();
        step(sink);
        endStep();
        await();
      }
    } finally {
      closeQuietly();
    }
  }

  private void beginStep() {
    stepNanos = System.nanoTime();
    if (!bursting && stepNanos - lastDataNanos > TimeUnit.MILLISECONDS.toNanos(BURST_PAUSE_MS)) {
      runBytes = 0; // not back to back with what was read last
    }
  }

  /** A step whose reads found nothing ends a burst. */
  private void endStep() {
    steps++;
    if (bursting && lastDataNanos - stepNanos < 0) {
      bursting = false; // await sets the watch again
      runBytes = 0;
    }
  }

  /** Waits until {@link #run} has found its starting position; false on timeout. */
  @Override
  public boolean awaitStarted(long timeout, TimeUnit unit) throws InterruptedException {
    return started.await(timeout, unit);
  }

  @Override
  public void close() {
    closed = true;
    WatchService w = watcher;
    if (w != null) {
      try {
        w.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** Opens the file at its end and remembers every rotated sibling as already seen. */
  private void start() {
    lastLookMillis = clock.millis();
    for (Sibling s : siblings()) {
      remember(s.key, s.state);
    }
    BasicFileAttributes attrs = stat(path);
    if (attrs == null) {
      missingSinceNanos = System.nanoTime();
      return;
    }
    Tracked t = open(attrs);
    if (t == null) {
      if (attrs.isRegularFile()) { // unreadable for now: when it can be read, start where it ended
        unreadStartKey = attrs.fileKey();
        unreadStartSize = attrs.size();
      }
      return;
    }
    try {
      t.pos = startOfLastLine(t.ch, t.ch.size());
      t.tail.load(t.ch, t.pos);
    } catch (IOException e) {
      problem("cannot read: " + e.getMessage());
    }
    current = t;
  }

  /** One round: drain rotated-away files, check the path, read the current file. */
  private void step(LineSink sink) {
    for (Iterator<Tracked> it = retired.iterator(); it.hasNext(); ) {
      Tracked t = it.next();
      readAvailable(t, sink, false);
      if (System.nanoTime() - t.lastGrowthNanos > drainQuietNanos) {
        retire(it, t, sink);
      }
    }
    long lookMillis = clock.millis();
    BasicFileAttributes attrs = stat(path);
    if (attrs == null) {
      if (current != null) {
        readAvailable(current, sink, false);
      }
      if (missingSinceNanos < 0) {
        missingSinceNanos = System.nanoTime();
      } else if (!lost && System.nanoTime() - missingSinceNanos >= lostGraceNanos) {
        problem("file missing");
      }
      return;
    }
    missingSinceNanos = -1;
    if (current == null || !attrs.fileKey().equals(current.key)) {
      switchTo(attrs, sink);
      return;
    }
    int r = readAvailable(current, sink, true);
    if (r == READ_TRUNCATED) {
      recoverFromTruncation(sink);
      r = readAvailable(current, sink, true);
    } else if (r == READ_OK) {
      lastLookMillis = lookMillis;
    }
    if (r == READ_OK) {
      recovered();
    }
  }

  /** The path now holds another file: finish the old one, pick up rotations in between. */
  private void switchTo(BasicFileAttributes attrs, LineSink sink) {
    long lookMillis = clock.millis();
    Tracked next = open(attrs);
    if (next == null) { // reported; keep reading the old file meanwhile
      if (current != null) {
        readAvailable(current, sink, false);
      }
      return;
    }
    if (current != null) { // rotated away: read it to its end before anything newer
      readAvailable(current, sink, false);
      retired.add(current);
      current = null;
    }
    if (readIntermediates(next.key) == MOVED) {
      // Rotated again while we looked: files listed may be newer than next. Look again.
      seen.remove(next.key);
      closeChannel(next.ch);
      return;
    }
    if (next.key.equals(unreadStartKey)) { // unreadable when we started: begin where it ended then
      try {
        next.pos = startOfLastLine(next.ch, Math.min(unreadStartSize, next.ch.size()));
        next.tail.load(next.ch, next.pos);
      } catch (IOException e) {
        problem("cannot read: " + e.getMessage());
      }
    }
    unreadStartKey = null;
    current = next;
    while (retired.size() > MAX_RETIRED) {
      Iterator<Tracked> it = retired.iterator();
      retire(it, it.next(), sink);
    }
    for (Tracked t : retired) {
      readAvailable(t, sink, false);
    }
    if (readAvailable(current, sink, true) == READ_OK) {
      recovered();
    }
    lastLookMillis = lookMillis;
  }

  /**
   * Rotated files we never saw, modified since our last look: read them fully, oldest first. A
   * file counts as seen only while its size and time are those it had when seen, as a deleted
   * file's inode number may be reused at once. Each is opened by its file key, not its name: a
   * rotation may rename it between the listing and the opening. Only while the file with
   * currentKey is still at the path after the listing are all files listed older than it; else
   * nothing is opened and the answer is MOVED.
   *
   * @return FOUND when it opened rotated files to read, NONE, or MOVED
   */
  private int readIntermediates(Object currentKey) {
    List<Object> open = new ArrayList<>(List.of(currentKey));
    if (current != null) {
      open.add(current.key);
    }
    retired.forEach(t -> open.add(t.key));
    List<Sibling> unseen = new ArrayList<>();
    for (Sibling s : siblings()) {
      if (!open.contains(s.key) && !isSeen(s)
          && s.state.modified.toMillis() >= lastLookMillis - MTIME_SLACK_MS) {
        unseen.add(s);
      }
    }
    BasicFileAttributes now = stat(path);
    if (now == null || !currentKey.equals(now.fileKey())) {
      return MOVED;
    }
    unseen.sort(Comparator.comparing(s -> s.state.modified));
    boolean found = false;
    for (Sibling s : unseen) {
      try {
        FileChannel ch = openByKey(s);
        if (current != null && currentKey.equals(current.key)
            && isPrefix(ch, current.ch, current.truncated)) {
          // a copytruncate's copy of what the current file holds now, being made or not yet
          // truncated away: read besides the current file it would repeat it; once the
          // truncation is done, findCopy reads from it what the current file did not give
          closeChannel(ch);
          continue;
        }
        retired.add(new Tracked(ch, s.key));
        remember(s.key, s.state);
        found = true;
      } catch (IOException e) {
        listener.lost(name(), "cannot read rotated file " + s.path.getFileName() + ": "
            + e.getMessage());
        listener.recovered(name());
      }
    }
    return found ? FOUND : NONE;
  }

  /** Bytes compared by {@link #isPrefix}: syslog lines' time stamps and more. */
  private static final int PREFIX_BYTES = 4096;

  /**
   * Whether {@code copy} holds what {@code file} starts with: no longer than it, and its first
   * bytes (at most {@link #PREFIX_BYTES}) are the file's. An empty copy counts as one just begun
   * only for a file rotated by copytruncate ({@code copying}): after a rename rotation an empty
   * rotated file may still get a late writer's lines.
   */
  private static boolean isPrefix(FileChannel copy, FileChannel file, boolean copying)
      throws IOException {
    long size = copy.size();
    if (size > file.size() || size == 0 && !copying) {
      return false;
    }
    int n = (int) Math.min(size, PREFIX_BYTES);
    ByteBuffer a = fill(copy, ByteBuffer.allocate(n), 0);
    ByteBuffer b = fill(file, ByteBuffer.allocate(n), 0);
    return a.position() == b.position() && a.flip().equals(b.flip());
  }

  /**
   * Opens the rotated file with s's key, wherever renames have moved it since s was listed: the
   * file at its name must have that key both before and after the opening.
   *
   * @throws IOException when it is gone, keeps moving, or cannot be read
   */
  private FileChannel openByKey(Sibling s) throws IOException {
    Path at = s.path;
    for (int tries = 0; tries < MAX_LISTINGS; tries++) {
      if (tries > 0) {
        at = null;
        for (Sibling again : siblings()) {
          if (again.key.equals(s.key)) {
            at = again.path;
          }
        }
        if (at == null) {
          throw new NoSuchFileException(s.path.getFileName().toString(), null,
              "deleted before it could be read");
        }
      }
      BasicFileAttributes before = stat(at);
      if (before != null && s.key.equals(before.fileKey())) {
        FileChannel ch = FileChannel.open(at, StandardOpenOption.READ);
        BasicFileAttributes after = stat(at);
        if (after != null && s.key.equals(after.fileKey())) {
          return ch;
        }
        closeChannel(ch); // renamed while opening: look for it again
      }
    }
    throw new IOException("renamed again each time it was looked for");
  }

  /**
   * The current file was truncated (copytruncate): read the rest of what it held from the rotated
   * copy, then any other copies made since, then the file from its start.
   */
  private void recoverFromTruncation(LineSink sink) {
    Tracked t = current;
    t.truncated = true;
    Copy copy = findCopy(t);
    if (copy == null) {
      t.splitter.flush(sink);
      listener.lost(name(), "truncated, and no rotated copy holds what was not yet read: "
          + "lines written just before the truncation may be lost");
      listener.recovered(name());
    } else {
      remember(copy.sibling.key, copy.sibling.state);
      try (FileChannel ch = copy.ch) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long at = t.pos;
        int n;
        while ((n = ch.read(buf.clear(), at)) > 0) {
          at += n;
          t.splitter.feed(buf.flip(), sink);
        }
      } catch (IOException e) {
        listener.lost(name(), "cannot read rotated copy " + copy.sibling.path.getFileName()
            + ": " + e.getMessage());
        listener.recovered(name());
      }
    }
    readIntermediates(t.key);
    for (Tracked r : retired) {
      readAvailable(r, sink, false);
    }
    t.pos = 0;
    t.tail.clear();
    lastLookMillis = clock.millis();
  }

  /** A rotated copy, open. */
  private record Copy(Sibling sibling, FileChannel ch) {}

  /**
   * The sibling at least as long as t's position whose bytes just before it are t's tail;
   * among several, a never-seen one, then the newest. Opened by file key, as rotations rename.
   */
  private Copy findCopy(Tracked t) {
    Comparator<Sibling> preference = Comparator.<Sibling, Boolean>comparing(s -> !isSeen(s))
        .thenComparing(s -> s.state.modified);
    Copy best = null;
    for (Sibling s : siblings()) {
      if (s.state.size < t.pos || s.key.equals(t.key)
          || (best != null && preference.compare(s, best.sibling) <= 0)) {
        continue;
      }
      FileChannel ch = null;
      try {
        ch = openByKey(s);
        if (t.tail.matches(ch, t.pos)) {
          if (best != null) {
            closeChannel(best.ch);
          }
          best = new Copy(s, ch);
          ch = null;
        }
      } catch (IOException e) {
        // gone or unreadable: not a copy we can use
      } finally {
        if (ch != null) {
          closeChannel(ch);
        }
      }
    }
    return best;
  }

  /**
   * Reads t from its position to its end, handing on whole lines. With verify (the file at the
   * path), first checks after each read that the bytes before the position are still those read;
   * READ_TRUNCATED (nothing more handed on) when they are not, or the file is shorter than the
   * position.
   */
  private int readAvailable(Tracked t, LineSink sink, boolean verify) {
    try {
      while (true) {
        readBuf.clear();
        int n = t.ch.read(readBuf, t.pos);
        if (n <= 0) {
          return verify && t.ch.size() < t.pos ? READ_TRUNCATED : READ_OK;
        }
        if (verify && t.tail.length() > 0 && !t.tail.matches(t.ch, t.pos)) {
          return READ_TRUNCATED;
        }
        if (verify && t.pos == 0 && readIntermediates(t.key) == FOUND) {
          // First bytes of a file read from its start, and a rotated file appeared meanwhile:
          // with nothing read yet, a truncation cannot be seen in the bytes, so the new copy may
          // hold what this file held before. Read it first, then this file again from its start.
          for (Tracked r : retired) {
            readAvailable(r, sink, false);
          }
          continue;
        }
        t.tail.append(readBuf.array(), 0, n);
        runBytes += n;
        if (runBytes >= BURST_BYTES && !bursting) {
          dropWatch();
          bursting = true;
          bursts++;
        }
        t.pos += n;
        t.lastGrowthNanos = lastDataNanos = System.nanoTime();
        readBuf.flip();
        t.splitter.feed(readBuf, sink);
      }
    } catch (IOException e) {
      problem("cannot read: " + e.getMessage());
      return READ_FAILED;
    }
  }

  private Tracked open(BasicFileAttributes attrs) {
    if (!attrs.isRegularFile()) {
      problem("not a regular file");
      return null;
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (IOException e) {
      problem("cannot open: " + e.getMessage());
      return null;
    }
    BasicFileAttributes again = stat(path);
    if (again == null || !attrs.fileKey().equals(again.fileKey())) {
      closeChannel(ch); // replaced while opening: try again next round
      return null;
    }
    remember(attrs.fileKey(), new FileState(attrs));
    return new Tracked(ch, attrs.fileKey());
  }

  /** Reads t to its end, closes it, and remembers it as it is now. */
  private void retire(Iterator<Tracked> it, Tracked t, LineSink sink) {
    readAvailable(t, sink, false);
    t.splitter.flush(sink);
    for (Sibling s : siblings()) {
      if (s.key.equals(t.key)) {
        remember(s.key, s.state);
      }
    }
    closeChannel(t.ch);
    it.remove();
  }

  /** Drops the directory's watch while a burst is read; {@link #await} sets it again. */
  private void dropWatch() {
    WatchKey k = watchKey;
    if (k == null) {
      return;
    }
    watchKey = null;
    try {
      k.cancel();
    } catch (ClosedWatchServiceException e) {
      // closed meanwhile: run() ends
    }
  }

  /** How many rounds of reading the follower has taken: its wake-ups. */
  long steps() {
    return steps;
  }

  /** How many bursts it has read. */
  long bursts() {
    return bursts;
  }

  /**
   * Waits for a change in the directory, at most the poll interval; returns at once after setting
   * the watch, so that what was written before it is read first. During a burst, only pauses.
   */
  private void await() throws InterruptedException {
    if (bursting) {
      Thread.sleep(BURST_PAUSE_MS);
      return;
    }
    WatchService w = watcher;
    if (w == null) {
      Thread.sleep(POLL_MS);
      return;
    }
    try {
      if (watchKey == null || !watchKey.isValid()) {
        try {
          watchKey = dir.register(w, StandardWatchEventKinds.ENTRY_CREATE,
              StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
          return; // what was written before the watch: read it first
        } catch (IOException e) {
          watchKey = null; // directory missing: poll
        }
      }
      WatchKey k = w.poll(POLL_MS, TimeUnit.MILLISECONDS);
      while (k != null) {
        for (WatchEvent<?> ignored : k.pollEvents()) {
          // any change in the directory means: look again
        }
        k.reset();
        k = w.poll();
      }
    } catch (ClosedWatchServiceException e) {
      // closed: run() ends
    }
  }

  /** A rotated file next to ours. */
  private record Sibling(Path path, Object key, FileState state) {}

  /** A file's size and modification time, to tell a file from a later one with its inode. */
  private record FileState(long size, FileTime modified) {
    FileState(BasicFileAttributes a) {
      this(a.size(), a.lastModifiedTime());
    }
  }

  /**
   * Files named FILE.* or FILE-* beside FILE, not compressed. A rotation that renames files while
   * they are listed can hide one from the listing (its name is looked at before the rename, its
   * new name after), so the listing is taken again until two in a row agree; should they keep
   * changing, every file any of them saw.
   */
  private List<Sibling> siblings() {
    Map<Object, Sibling> union = new LinkedHashMap<>();
    Set<Sibling> previous = null;
    for (int i = 0; i < MAX_LISTINGS; i++) {
      List<Sibling> now = listSiblings();
      if (previous != null && previous.equals(new HashSet<>(now))) {
        return now;
      }
      now.forEach(s -> union.put(s.key, s));
      previous = new HashSet<>(now);
    }
    return new ArrayList<>(union.values());
  }

  /** One listing of the rotated files: each name, then its file key and state. */
  private List<Sibling> listSiblings() {
    List<Sibling> found = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, this::isRotatedName)) {
      for (Path p : ds) {
        BasicFileAttributes a = stat(p);
        if (a != null && a.isRegularFile() && a.fileKey() != null) {
          found.add(new Sibling(p, a.fileKey(), new FileState(a)));
        }
      }
    } catch (IOException | RuntimeException e) {
      // directory gone or unreadable: no siblings to use
    }
    return found;
  }

  private boolean isRotatedName(Path p) {
    String n = p.getFileName().toString();
    if (n.length() <= base.length() + 1 || !n.startsWith(base)) {
      return false;
    }
    char sep = n.charAt(base.length());
    if (sep != '.' && sep != '-') {
      return false;
    }
    for (String ext : COMPRESSED) {
      if (n.endsWith(ext)) {
        return false;
      }
    }
    return true;
  }

  private void remember(Object key, FileState state) {
    if (key == null) {
      return;
    }
    seen.remove(key);
    seen.put(key, state);
    if (seen.size() > MAX_SEEN) {
      Iterator<Object> it = seen.keySet().iterator();
      it.next();
      it.remove();
    }
  }

  private boolean isSeen(Sibling s) {
    return s.state.equals(seen.get(s.key));
  }

  private void problem(String reason) {
    if (!lost) {
      lost = true;
      listener.lost(name(), reason);
    }
  }

  private void recovered() {
    if (lost) {
      lost = false;
      listener.recovered(name());
    }
  }

  /** The file's attributes, or null when it is missing (or cannot even be looked at). */
  private static BasicFileAttributes stat(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (IOException e) {
      return null;
    }
  }

  /** Reads ch from {@code from} into buf until buf is full or the file ends; returns buf. */
  private static ByteBuffer fill(FileChannel ch, ByteBuffer buf, long from) throws IOException {
    while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
      // fill
    }
    return buf;
  }

  /** Where the last line starts: size if the file ends with '\n' (or is empty). */
  private static long startOfLastLine(FileChannel ch, long size) throws IOException {
    long from = Math.max(0, size - LineSplitter.MAX_LINE);
    ByteBuffer buf = fill(ch, ByteBuffer.allocate((int) (size - from)), from);
    for (int i = buf.position() - 1; i >= 0; i--) {
      if (buf.get(i) == '\n') {
        return from + i + 1;
      }
    }
    return from;
  }

  private void closeQuietly() {
    for (Tracked t : retired) {
      closeChannel(t.ch);
    }
    retired.clear();
    if (current != null) {
      closeChannel(current.ch);
      current = null;
    }
    close();
  }

  private static void closeChannel(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // nothing to do
    }
  }
}
