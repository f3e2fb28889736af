package org.knock.daemon.firewall;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.knock.daemon.exec.CommandTemplate;

/**
 * The knockd-style backend: runs an OpenCommand template when a grant starts and a CloseCommand
 * template when it ends (revoke, expiry, exit), with %IP%, %PORT% and %PROTO% filled from
 * validated values and no shell. knockd keeps the end times itself, and a grant still open when
 * knockd is killed stays open. A re-grant of an open access moves its end; when OpenCommand uses
 * %SECONDS% (e.g. {@code ipset -exist add knock %IP%,%PORT% timeout %SECONDS%}) it runs again with
 * the new length, so a timeout kept by the firewall itself is renewed too; otherwise it does not
 * run again (an {@code iptables -I} would add a second rule that CloseCommand never removes).
 */
final class CommandFirewall implements Firewall {
  private static final Logger LOG = LogManager.getLogger(CommandFirewall.class);
  private final CommandTemplate open;
  private final CommandTemplate close;
  private final Commands commands;
  private final Clock clock;
  private final GrantBook book = new GrantBook();

  /**
   * @throws IllegalArgumentException if a template uses %USER% (a grant has no user)
   */
  CommandFirewall(CommandTemplate open, CommandTemplate close, Commands commands, Clock clock) {
    for (CommandTemplate t : List.of(open, close)) {
      if (t.variables().contains("USER")) {
        throw new IllegalArgumentException("the command firewall knows %IP%, %PORT% and %PROTO% "
            + "but not %USER%: " + t);
      }
    }
    this.open = open;
    this.close = close;
    this.commands = commands;
    this.clock = clock;
  }

  @Override
  public String describe() {
    return "command: runs OpenCommand '" + open + "' when a grant starts and CloseCommand '"
        + close + "' when it ends (revoke, expiry, exit), without a shell; e.g. for "
        + Access.EXAMPLE + ":\n  " + String.join(" ", open.expand(vars(Access.EXAMPLE, Duration.ofMinutes(30))))
        + "\nknockd keeps the end times: a grant open when knockd is killed stays open.";
  }

  @Override
  public void install() {
    // nothing to install: the commands do everything
  }

  @Override
  public synchronized void grant(Access access, Duration duration) throws FirewallException {
    if (access.external() != 0) {
      throw new FirewallException("cannot grant " + access + ": OpenCommand has no external "
          + "port; random ports and forwards need Firewall = nftables or iptables");
    }
    Instant end = clock.instant().plus(GrantBook.checked(duration));
    if (book.end(access) == null || open.variables().contains("SECONDS")) {
      commands.require(open.expand(vars(access, duration)), null);
    }
    book.put(access, end);
  }

  @Override
  public synchronized void revoke(Access access) throws FirewallException {
    if (book.end(access) != null) {
      commands.require(close.expand(vars(access, Duration.ZERO)), null);
      book.remove(access);
    }
  }

  @Override
  public synchronized Map<Access, Instant> grants() {
    return book.all();
  }

  @Override
  public synchronized List<Access> expire(Instant now) throws FirewallException {
    return book.expire(now,
        (access, end) -> commands.require(close.expand(vars(access, Duration.ZERO)), null));
  }

  /**
   * Ends every open grant with CloseCommand, whatever OnExit says: nothing else would end them
   * (a restarted knockd does not know them), unless OpenCommand gave them a timeout of their own.
   */
  @Override
  public synchronized void close() {
    stop();
  }

  /** As {@link #close}; returns the grants whose CloseCommand succeeded. */
  @Override
  public synchronized List<Access> stop() {
    List<Access> ended = new java.util.ArrayList<>();
    for (Access access : book.all().keySet()) {
      try {
        commands.require(close.expand(vars(access, Duration.ZERO)), null);
        ended.add(access);
      } catch (FirewallException e) {
        LOG.error("cannot close {} on exit: {}", access, e.getMessage());
      }
    }
    book.clear();
    return List.copyOf(ended);
  }

  /** Nothing is installed; OpenCommand and CloseCommand stay as they were at start. */
  @Override
  public void reconfigure(FirewallSettings next) {
    // the commands do everything; a change of them needs a restart (see Daemon.reload)
  }

  /** Ends this run's grants with CloseCommand, as {@link #close} does. */
  @Override
  public synchronized String remove() throws FirewallException {
    int n = book.all().size();
    String failure = null;
    for (Access access : book.all().keySet()) {
      try {
        commands.require(close.expand(vars(access, Duration.ZERO)), null);
        book.remove(access);
      } catch (FirewallException e) {
        failure = failure == null ? e.getMessage() : failure;
      }
    }
    if (failure != null) {
      throw new FirewallException("cannot close a grant: " + failure);
    }
    return n + " grant(s) closed with CloseCommand (the command backend installs no rules)";
  }

  /** %SECONDS% is the grant's length (0 when closing), e.g. for {@code ipset ... timeout}. */
  private static Map<String, String> vars(Access a, Duration d) {
    return Map.of("IP", a.ip(), "PORT", Integer.toString(a.port()), "PROTO", a.protocol().word(),
        "SECONDS", Long.toString(d.getSeconds()));
  }
}
