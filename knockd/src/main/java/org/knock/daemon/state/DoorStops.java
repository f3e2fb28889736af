package org.knock.daemon.state;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The door Stop_Commands knockd owes, kept in {@code StateDir/door-stops} so that a knockd that
 * dies before a door's Cmd_Timeout (kill -9, a crash, power loss) runs them at its next start: a
 * door opened by its Start_Command does not stay open for good. One line per event, appended and
 * forced to disk: {@code open ID DUE_MILLIS SOURCE DOOR} once a Start_Command is run,
 * {@code done ID} once its Stop_Command ran. A line cut short by a crash, or one that does not
 * read, is skipped. At open the file is read and rewritten with what is still owed. What is run
 * is the door's Stop_Command in the config of the knockd that runs it, never a command from this
 * file. Thread-safe.
 */
public final class DoorStops implements Closeable {
  /** The file's name in StateDir. */
  public static final String FILE = "door-stops";

  /** A Stop_Command owed: door {@code door} opened for {@code source}, to close at {@code due}. */
  public record Owed(long id, long dueMillis, String source, String door) {}

  private final Path file;
  private final FileChannel out;
  private final List<Owed> earlier;
  private long nextId;

  private DoorStops(Path file, FileChannel out, List<Owed> earlier, long nextId) {
    this.file = file;
    this.out = out;
    this.earlier = earlier;
    this.nextId = nextId;
  }

  /** Reads what an earlier run owes, rewrites the file with just that, and opens it to append. */
  public static DoorStops open(Path stateDir) throws IOException {
    Path file = stateDir.resolve(FILE);
    Map<Long, Owed> owed = new LinkedHashMap<>();
    long maxId = 0;
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String[] f = line.split(" ", 5);
        try {
          if (f.length == 5 && f[0].equals("open") && !f[4].isBlank()) {
            long id = Long.parseLong(f[1]);
            owed.put(id, new Owed(id, Long.parseLong(f[2]), f[3], f[4]));
            maxId = Math.max(maxId, id);
          } else if (f.length == 2 && f[0].equals("done")) {
            long id = Long.parseLong(f[1]);
            owed.remove(id);
            maxId = Math.max(maxId, id);
          }
        } catch (NumberFormatException e) {
          // a line cut short or not ours: skipped
        }
      }
    }
    List<Owed> earlier = List.copyOf(owed.values());
    Path tmp = stateDir.resolve(FILE + ".new");
    StringBuilder b = new StringBuilder();
    for (Owed o : earlier) {
      b.append(line(o));
    }
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8)));
      c.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    return new DoorStops(file, out, earlier, maxId + 1);
  }

  private static String line(Owed o) {
    return "open " + o.id() + " " + o.dueMillis() + " " + o.source() + " " + o.door() + "\n";
  }

  /** What the earlier run owed when this one opened the file, in the order it was owed. */
  public List<Owed> earlier() {
    return earlier;
  }

  /**
   * Records that door {@code door} was opened for {@code source} and is to close at
   * {@code dueMillis}; returns its id for {@link #done}.
   */
  public synchronized Owed opened(String door, String source, long dueMillis)
      throws IOException {
    if (door.indexOf('\n') >= 0 || source.indexOf(' ') >= 0 || source.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("door name or source that a line cannot hold");
    }
    Owed o = new Owed(nextId++, dueMillis, source, door);
    write(line(o));
    return o;
  }

  /** Records that the Stop_Command of {@code owed} ran. */
  public synchronized void done(Owed owed) throws IOException {
    write("done " + owed.id() + "\n");
  }

  private void write(String line) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      out.write(b);
    }
    out.force(false);
  }

  /** The file. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
