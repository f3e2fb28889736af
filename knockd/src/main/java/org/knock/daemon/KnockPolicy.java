package org.knock.daemon;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.knock.core.Durations;
import org.knock.core.Knock;
import org.knock.core.Payload;
import org.knock.core.Protocol;
import org.knock.core.Verb;

/**
 * The access check after a knock decoded: may this user do this ({@code Allow}), for how long
 * ({@code DefaultDuration}, clamped to {@code MaxDuration}), and which action does a run id name.
 * Pure: no I/O, no clock.
 */
final class KnockPolicy {
  /** A port and protocol, as in {@code open 22/tcp}. */
  record Port(int port, Protocol protocol) {
    @Override
    public String toString() {
      return port + "/" + protocol.word();
    }
  }

  /**
   * What one user may do.
   *
   * @param openPorts ports the user may open (and, with {@code close}, close)
   * @param openAny whether any port may be opened ({@code open *})
   */
  record UserRules(String name, Set<Port> openPorts, boolean openAny, boolean close,
      boolean denyFurther, Set<String> actions, Duration maxDuration) {
    boolean mayOpen(Port p) {
      return openAny || openPorts.contains(p);
    }
  }

  /** What to do, or why not. Exactly one of {@code refusal} and the rest is set. */
  record Decision(Verb verb, Port port, Duration duration, boolean clamped, String action,
      String refusal, String detail) {
    static Decision refuse(String refusal, String detail) {
      return new Decision(null, null, null, false, null, refusal, detail);
    }

    boolean allowed() {
      return refusal == null;
    }
  }

  private final Map<String, UserRules> users;
  private final Duration defaultDuration;
  private final Map<Integer, String> actionsById;

  /**
   * @param actionsById every configured action by {@link Payload#actionId}
   */
  KnockPolicy(Map<String, UserRules> users, Duration defaultDuration,
      Map<Integer, String> actionsById) {
    this.users = Map.copyOf(users);
    this.defaultDuration = defaultDuration;
    this.actionsById = Map.copyOf(actionsById);
  }

  Decision decide(Knock k) {
    UserRules u = users.get(k.user());
    if (u == null) {
      return Decision.refuse("not-allowed", "unknown user " + k.user());
    }
    Payload p = k.payload();
    switch (p.verb()) {
      case OPEN: {
        Port port = new Port(p.port(), p.protocol());
        if (port.port() == 0 || !u.mayOpen(port)) {
          return Decision.refuse("not-allowed", "open " + port);
        }
        Duration asked = p.duration().isZero() ? defaultDuration : p.duration();
        return within(u, Verb.OPEN, port, asked, null);
      }
      case CLOSE: {
        Port port = new Port(p.port(), p.protocol());
        if (!u.close() || port.port() == 0 || !u.mayOpen(port)) {
          return Decision.refuse("not-allowed", "close " + port);
        }
        return new Decision(Verb.CLOSE, port, Duration.ZERO, false, null, null, null);
      }
      case DENY_FURTHER: {
        if (!u.denyFurther()) {
          return Decision.refuse("not-allowed", "deny-further");
        }
        Duration asked = p.duration().isZero() ? defaultDuration : p.duration();
        return within(u, Verb.DENY_FURTHER, null, asked, null);
      }
      case RUN: {
        String action = actionsById.get(p.port());
        if (action == null) {
          return Decision.refuse("unknown-action", "action id " + p.port());
        }
        if (!u.actions().contains(action)) {
          return Decision.refuse("not-allowed", "run " + action);
        }
        return new Decision(Verb.RUN, null, Duration.ZERO, false, action, null, null);
      }
      default:
        throw new AssertionError(p.verb());
    }
  }

  private static Decision within(UserRules u, Verb verb, Port port, Duration asked,
      String action) {
    boolean clamped = asked.compareTo(u.maxDuration()) > 0;
    Duration d = clamped ? u.maxDuration() : asked;
    return new Decision(verb, port, d, clamped, action, null, null);
  }

  /** The duration as the audit log writes it. */
  static String format(Duration d) {
    return Durations.format(d);
  }
}
