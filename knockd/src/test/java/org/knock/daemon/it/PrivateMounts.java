package org.knock.daemon.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private mount namespace, held by a sleeping process, with an empty tmpfs over each of some
 * host directories (e.g. knockd's default /var/lib/knockd and /var/log/knockd), so that a daemon
 * run on its defaults leaves the host's directories alone. Open it after the network namespaces
 * it will use (it must see their /run/netns mounts). The mounts vanish with the holder, which
 * {@link #close} kills by PID; mount points it had to create on the host are removed again.
 */
final class PrivateMounts implements AutoCloseable {
  private final Process holder;
  private final List<Path> created = new ArrayList<>();

  private PrivateMounts(Process holder) {
    this.holder = holder;
  }

  /** @param owner user (and group) that owns the tmpfs roots, or null for root */
  static PrivateMounts over(List<String> dirs, String owner)
      throws IOException, InterruptedException {
    Process h = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sleep", "300")
        .redirectErrorStream(true).start();
    PrivateMounts m = new PrivateMounts(h);
    try {
      Thread.sleep(200);
      for (String d : dirs) {
        if (!Files.exists(Path.of(d))) {
          Files.createDirectories(Path.of(d));
          m.created.add(Path.of(d));
        }
        Netns.run(m.inside("sh", "-c", "mount -t tmpfs -o mode=0750 knockit "
            + "\"$0\" && chown \"$1:$1\" \"$0\"", d, owner == null ? "root" : owner), 30).ok();
      }
      return m;
    } catch (IOException | RuntimeException | Error e) {
      m.close();
      throw e;
    }
  }

  /** The command, run in this mount namespace. */
  List<String> inside(String... cmd) {
    List<String> all = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holder.pid()),
        "-m", "--"));
    all.addAll(List.of(cmd));
    return all;
  }

  /** A file's text as seen in here ("" if it does not exist). */
  String read(String file) {
    return Netns.run(inside("sh", "-c", "cat \"$0\" 2>/dev/null || true", file), 30).out();
  }

  @Override
  public void close() {
    holder.destroyForcibly();
    try {
      holder.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Path d : created) {
      try {
        Files.deleteIfExists(d); // empty on the host: what was written went to the tmpfs
      } catch (IOException e) {
        // not empty after all: leave it
      }
    }
  }
}
