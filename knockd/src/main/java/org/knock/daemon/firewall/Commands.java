package org.knock.daemon.firewall;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.knock.daemon.exec.CommandRunner;

/**
 * Runs a backend's programs behind an optional prefix (e.g. {@code ip netns exec NAME}) with one
 * timeout, turning failure into a one-line {@link FirewallException}.
 */
final class Commands {
  private final List<String> prefix;
  private final Duration timeout;
  private final Runner runner;

  Commands(List<String> prefix, Duration timeout, Runner runner) {
    this.prefix = List.copyOf(prefix);
    this.timeout = timeout;
    this.runner = runner;
  }

  /** Runs argv; returns its result whatever the exit code. */
  CommandRunner.Result attempt(List<String> argv, String stdin) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(argv);
    return runner.run(all, timeout, stdin);
  }

  /** Runs argv and requires exit 0 within the timeout. */
  CommandRunner.Result require(List<String> argv, String stdin) throws FirewallException {
    CommandRunner.Result r = attempt(argv, stdin);
    if (!r.succeeded()) {
      throw new FirewallException(failure(argv, r));
    }
    return r;
  }

  /** E.g. "nft -f - failed (exit 1): Error: No such file or directory". */
  String failure(List<String> argv, CommandRunner.Result r) {
    String what = String.join(" ", argv.subList(0, Math.min(argv.size(), 3)));
    if (r.timedOut()) {
      return what + " timed out after " + timeout.toMillis() + " ms";
    }
    String line = r.firstLine();
    return what + " failed (exit " + r.exit() + ")" + (line.isEmpty() ? "" : ": " + line);
  }
}
