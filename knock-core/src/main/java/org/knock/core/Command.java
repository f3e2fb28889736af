package org.knock.core;

import java.time.Duration;
import java.util.Objects;

/**
 * A knock command as people type it: {@code open 22/tcp 30m}, {@code open 22 30m random},
 * {@code close 22}, {@code close db}, {@code deny-further 1h}, {@code run backup}. Immutable; {@link #toString()} gives the canonical
 * form that {@link #parse} reads back.
 *
 * @param verb what to do
 * @param port the port for open and close (1-65535), else 0
 * @param protocol the port's protocol (TCP unless /udp is given)
 * @param duration for open and deny-further: how long; {@link Duration#ZERO} means the server's
 *     default
 * @param action for run: the action's name; for open and close: the name of a
 *     {@code [forward NAME]} of the server's (then {@code port} is 0), else null
 * @param random for open: reach the port through an external port derived from the knock
 *     (docs/PROTOCOL.md §10), not at the port itself
 */
public record Command(Verb verb, int port, Protocol protocol, Duration duration, String action,
    boolean random) {

  /** Longest action name. */
  public static final int MAX_ACTION_LENGTH = 64;

  public Command {
    Objects.requireNonNull(verb, "verb");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(duration, "duration");
    if (random && verb != Verb.OPEN) {
      throw new IllegalArgumentException("only open takes 'random'");
    }
  }

  /** A command without a random port. */
  public Command(Verb verb, int port, Protocol protocol, Duration duration, String action) {
    this(verb, port, protocol, duration, action, false);
  }

  /** {@code open NAME [DURATION] [random]}: a forward of the server's, by name. */
  public static Command openForward(String name, Duration duration, boolean random) {
    return new Command(Verb.OPEN, 0, Protocol.TCP, duration, name, random);
  }

  /** {@code close NAME}: ends the knocker's grants of a forward of the server's, by name. */
  public static Command closeForward(String name) {
    return new Command(Verb.CLOSE, 0, Protocol.TCP, Duration.ZERO, name);
  }

  /**
   * True for {@code open NAME} and {@code close NAME}: a forward, addressed by
   * {@link Payload#forwardId}.
   */
  public boolean forward() {
    return (verb == Verb.OPEN || verb == Verb.CLOSE) && action != null;
  }

  /** {@code open PORT DURATION random}: the port is reached through a random external port. */
  public static Command openRandom(int port, Protocol protocol, Duration duration) {
    return new Command(Verb.OPEN, port, protocol, duration, null, true);
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
        if (action != null) {
          b.append(' ').append(action);
        } else {
          b.append(' ').append(port).append('/').append(protocol.word());
        }
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
    if (random) {
      b.append(" random");
    }
    return b.toString();
  }
}
