package org.knock.daemon.firewall;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The "none" backend: knockd decides and audits but changes no firewall. It remembers grants so
 * {@link #expire} reports them when their time is up, as a real backend would.
 */
final class NoFirewall implements Firewall {
  private final Clock clock;
  private final GrantBook book = new GrantBook();

  NoFirewall(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String describe() {
    return "none: knockd decides and audits, but installs nothing and changes no firewall.";
  }

  @Override
  public void install() {
    // nothing to install
  }

  @Override
  public synchronized void grant(Access access, Duration duration) {
    book.put(access, clock.instant().plus(GrantBook.checked(duration)));
  }

  @Override
  public synchronized void revoke(Access access) {
    book.remove(access);
  }

  @Override
  public synchronized Map<Access, Instant> grants() {
    return book.all();
  }

  @Override
  public synchronized List<Access> expire(Instant now) {
    List<Access> due = book.due(now);
    due.forEach(book::remove);
    return due;
  }

  @Override
  public void reconfigure(FirewallSettings next) {
    // nothing installed
  }

  @Override
  public synchronized String remove() {
    book.clear();
    return "nothing (Firewall = none installs no rules)";
  }

  @Override
  public synchronized void close() {
    book.clear();
  }
}
