package org.knock.daemon.firewall;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two backends as one: IPv4 grants go to one, IPv6 grants to the other (the iptables backend's
 * iptables and ip6tables halves), and both install, reconfigure, expire, remove and close
 * together, IPv4 first. A reconfigure that fails in the IPv6 half puts the IPv4 half back on the
 * old settings, so both keep one set of rules. Thread-safe.
 */
final class DualStackFirewall implements Firewall {
  private final Firewall v4;
  private final Firewall v6;
  private FirewallSettings settings;

  DualStackFirewall(Firewall v4, Firewall v6, FirewallSettings settings) {
    this.v4 = v4;
    this.v6 = v6;
    this.settings = settings;
  }

  private Firewall of(Access a) {
    return a.ipv6() ? v6 : v4;
  }

  @Override
  public String describe() {
    return v4.describe() + "\n" + v6.describe();
  }

  @Override
  public synchronized void install() throws FirewallException {
    v4.install();
    v6.install();
  }

  @Override
  public synchronized void reconfigure(FirewallSettings next) throws FirewallException {
    v4.reconfigure(next);
    try {
      v6.reconfigure(next);
    } catch (FirewallException e) {
      try {
        v4.reconfigure(settings);
      } catch (FirewallException again) {
        throw new FirewallException(e.getMessage() + "; and the IPv4 rules could not be put "
            + "back: " + again.getMessage());
      }
      throw e;
    }
    settings = next;
  }

  @Override
  public void grant(Access access, Duration duration) throws FirewallException {
    of(access).grant(access, duration);
  }

  @Override
  public void revoke(Access access) throws FirewallException {
    of(access).revoke(access);
  }

  /** Both halves' grants. */
  @Override
  public Map<Access, Instant> grants() {
    Map<Access, Instant> all = new LinkedHashMap<>(v4.grants());
    all.putAll(v6.grants());
    return all;
  }

  @Override
  public boolean knowsEveryGrant() {
    return v4.knowsEveryGrant() && v6.knowsEveryGrant();
  }

  /** Both halves' due grants; a failure in one is thrown after the other ran, listing both. */
  @Override
  public synchronized List<Access> expire(Instant now) throws FirewallException {
    List<Access> done = new ArrayList<>();
    FirewallException failed = null;
    for (Firewall f : List.of(v4, v6)) {
      try {
        done.addAll(f.expire(now));
      } catch (FirewallException e) {
        done.addAll(e.expired());
        failed = failed == null ? e : failed;
      }
    }
    if (failed != null) {
      throw new FirewallException(failed.getMessage(), done);
    }
    return done;
  }

  /** Removes both halves (the second is tried when the first fails). */
  @Override
  public synchronized String remove() throws FirewallException {
    List<String> removed = new ArrayList<>();
    FirewallException failed = null;
    for (Firewall f : List.of(v4, v6)) {
      try {
        removed.add(f.remove());
      } catch (FirewallException e) {
        failed = failed == null ? e : failed;
      }
    }
    if (failed != null) {
      throw failed;
    }
    if (removed.stream().allMatch(r -> r.startsWith("nothing (") && r.endsWith(")"))) {
      return "nothing (" + String.join(", ", removed.stream()
          .map(r -> r.substring("nothing (".length(), r.length() - 1)).toList()) + ")";
    }
    return String.join("; ", removed);
  }

  @Override
  public void close() {
    stop();
  }

  /** What each half's install ended, IPv4 first, as one. */
  @Override
  public Ended endedAtInstall() {
    Ended a = v4.endedAtInstall();
    Ended b = v6.endedAtInstall();
    if (!b.any()) {
      return a;
    }
    if (!a.any()) {
      return b;
    }
    List<Access> grants = new ArrayList<>(a.grants());
    grants.addAll(b.grants());
    int others = a.others() < 0 || b.others() < 0 ? -1 : a.others() + b.others();
    return new Ended(List.copyOf(grants), others, a.what() + " and " + b.what());
  }

  /** Both halves' {@link Firewall#stop}, IPv4 first. */
  @Override
  public List<Access> stop() {
    List<Access> ended = new ArrayList<>(v4.stop());
    ended.addAll(v6.stop());
    return List.copyOf(ended);
  }
}
