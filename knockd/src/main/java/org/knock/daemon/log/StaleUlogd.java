package org.knock.daemon.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Ends the ulogd a killed knockd left behind. A knockd that dies by SIGKILL cannot end its
 * ulogd child; the orphan keeps the NFLOG group bound, so the next knockd's ulogd could not bind
 * it and knocks would go unread until the orphan died writing to its broken pipe. Only a process
 * that is certainly such an orphan is ended: its command line is {@code … -c
 * DIR/ulogd.conf} with DIR a {@code knockd-ulogd-} directory (the one {@link NflogSource}
 * writes), it runs in knockd's own network namespace, and it has no parent left but init or
 * another non-Java process (its knockd is gone). Its directory is deleted too.
 */
final class StaleUlogd {
  private StaleUlogd() {}

  /** Whether ulogd's arguments are those NflogSource starts it with. */
  static boolean startedByKnockd(List<String> arguments) {
    if (arguments.size() != 2 || !arguments.get(0).equals("-c")) {
      return false;
    }
    Path conf = Path.of(arguments.get(1));
    Path dir = conf.getParent();
    return conf.getFileName() != null && conf.getFileName().toString().equals("ulogd.conf")
        && dir != null && dir.getFileName() != null
        && dir.getFileName().toString().startsWith("knockd-ulogd-");
  }

  /** Whether a process whose parent is {@code parent} has lost its knockd. */
  static boolean orphaned(Optional<ProcessHandle> parent) {
    if (parent.isEmpty() || parent.get().pid() == 1) {
      return true;
    }
    return !parent.get().info().command().map(c -> c.endsWith("/java")).orElse(false);
  }

  /** Ends (SIGTERM, then SIGKILL after 2 s) every orphaned ulogd of knockd; the PIDs ended. */
  static List<Long> end() {
    List<Long> ended = new ArrayList<>();
    Path ownNet = netns(ProcessHandle.current().pid());
    List<ProcessHandle> stale = ProcessHandle.allProcesses()
        .filter(p -> p.info().command().map(c -> c.endsWith("/ulogd")).orElse(false))
        .filter(p -> p.info().arguments().map(a -> startedByKnockd(List.of(a))).orElse(false))
        .filter(p -> orphaned(p.parent()))
        .filter(p -> ownNet != null && ownNet.equals(netns(p.pid())))
        .toList();
    for (ProcessHandle p : stale) {
      String conf = p.info().arguments().map(a -> a[1]).orElse(null);
      p.destroy();
      try {
        p.onExit().get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
      ended.add(p.pid());
      if (conf != null) {
        deleteDir(Path.of(conf).getParent());
      }
    }
    return ended;
  }

  private static Path netns(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "net"));
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /** Deletes a directory and what it holds; a failure leaves a leftover, nothing worse. */
  static void deleteDir(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      // a leftover in /tmp, nothing worse
    }
  }
}
