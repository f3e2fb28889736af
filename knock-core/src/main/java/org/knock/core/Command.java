package org.knock.core;

import java.time.Duration;
import java.util.Objects;

/**
 * A knock command as people type it: {@code open 22/tcp 30m}, {@code close 22},
 * {@code deny-further 1h}, {@code run backup}. Immutable; {@link #toString()} gives the canonical
 * form that {@link #parse} reads back.
 *
 * @param verb what to do
 * @param port the port for open and close (1-65535), else 0
 * @param protocol the port's protocol (TCP unless /udp is given)
 * @param duration for open and deny-further: how long; {@link Duration#ZERO} means the server's
 *     default
 * @param action for run: the action's name, else null
 */
public record Command(Verb verb, int port, Protocol protocol, Duration duration, String action) {

  /** Longest action name. */
  public static final int MAX_ACTION_LENGTH = 64;

  public Command {
    Objects.requireNonNull(verb, "verb");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(duration, "duration");
  }

  public static Command open(int port, Protocol protocol, Duration duration) {
    return new Command(Verb.OPEN, port, protocol, duration, null);
  }

  public static Command close(int port, Protocol protocol) {
    return new Command(Verb.CLOSE, port, protocol, Duration.ZERO, null);
  }

  public static Command denyFurther(Duration duration) {
    return new Command(Verb.DENY_FURTHER, 0, Protocol.TCP, duration, null);
  }

  public static Command run(String action) {
    return new Command(Verb.RUN, 0, Protocol.TCP, Duration.ZERO, action);
  }

  /**
   * Parses the command grammar shared by client and daemon.
   *
   * @throws KnockException with a one-line message naming the problem
   */
  public static Command parse(String text) throws KnockException {
    return CommandParser.parse(text);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(verb.word());
    switch (verb) {
      case OPEN:
      case CLOSE:
        b.append(' ').append(port).append('/').append(protocol.word());
        break;
      case RUN:
        b.append(' ').append(action);
        break;
      default:
        break;
    }
    if (!duration.isZero()) {
      b.append(' ').append(Durations.format(duration));
    }
    return b.toString();
  }
}
