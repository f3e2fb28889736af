package org.knock.core;

import java.time.Duration;

/** The grammar: {@code open PORT[/tcp|/udp] [DURATION] [random]}, {@code open NAME [DURATION]
 * [random]} (a forward of the server's), {@code close PORT[/tcp|/udp]}, {@code close NAME},
 * {@code deny-further [DURATION]}, {@code run ACTION}. */
final class CommandParser {
  /** The word after {@code open}'s port and duration that asks for a random service port. */
  static final String RANDOM = "random";

  private CommandParser() {}

  static Command parse(String text) throws KnockException {
    if (text == null || text.isBlank()) {
      throw new KnockException(
          "empty command: use open PORT [DURATION], close PORT, deny-further [DURATION] or run ACTION");
    }
    String[] w = words(text);
    Verb verb = Verb.ofWord(w[0]);
    if (verb == null) {
      throw new KnockException("unknown command '" + w[0]
          + "': use open, close, deny-further or run");
    }
    switch (verb) {
      case OPEN: {
        if (w.length < 2) {
          throw new KnockException("open: missing port, e.g. open 22 30m");
        }
        boolean random = w.length > 2 && w[w.length - 1].equalsIgnoreCase(RANDOM);
        int n = random ? w.length - 1 : w.length;
        if (n > 3) {
          throw new KnockException("open: unexpected '" + w[3]
              + "': use open PORT[/tcp|/udp] [DURATION] [random]");
        }
        Duration d = n == 3 ? duration(w[2], "open") : Duration.ZERO;
        if (isForwardName(w[1])) {
          return Command.openForward(w[1], d, random);
        }
        PortSpec p = port(w[1], "open");
        return random ? Command.openRandom(p.port, p.protocol, d)
            : Command.open(p.port, p.protocol, d);
      }
      case CLOSE: {
        if (w.length < 2) {
          throw new KnockException("close: missing port, e.g. close 22");
        }
        expectAtMost(w, 2, "close PORT[/tcp|/udp] or close NAME");
        if (isForwardName(w[1])) {
          return Command.closeForward(w[1]);
        }
        PortSpec p = port(w[1], "close");
        return Command.close(p.port, p.protocol);
      }
      case DENY_FURTHER: {
        expectAtMost(w, 2, "deny-further [DURATION]");
        Duration d = w.length == 2 ? duration(w[1], "deny-further") : Duration.ZERO;
        return Command.denyFurther(d);
      }
      case RUN: {
        if (w.length < 2) {
          throw new KnockException("run: missing action name, e.g. run backup");
        }
        expectAtMost(w, 2, "run ACTION");
        String a = w[1];
        if (!isActionName(a)) {
          throw new KnockException("run: bad action name '" + a
              + "': use letters, digits, '-', '_' or '.', at most " + Command.MAX_ACTION_LENGTH);
        }
        return Command.run(a);
      }
      default:
        throw new AssertionError(verb);
    }
  }

  /** Splits on white space without a regex (the client's start-up path loads no regex). */
  static String[] words(String text) {
    java.util.List<String> out = new java.util.ArrayList<>(4);
    int i = 0;
    int n = text.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && !Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      if (i > start) {
        out.add(text.substring(start, i));
      }
    }
    return out.toArray(new String[0]);
  }

  /**
   * True for the name of a forward: an action name that starts with a letter and is not
   * {@code random} (a port starts with a digit).
   */
  static boolean isForwardName(String w) {
    char c = w.isEmpty() ? '0' : w.charAt(0);
    return (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && isActionName(w)
        && !w.equalsIgnoreCase(RANDOM);
  }

  /** True for a name an action may have: [A-Za-z0-9._-], 1-64 characters. */
  static boolean isActionName(String a) {
    if (a.isEmpty() || a.length() > Command.MAX_ACTION_LENGTH) {
      return false;
    }
    for (int i = 0; i < a.length(); i++) {
      char c = a.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || c == '-' || c == '_' || c == '.')) {
        return false;
      }
    }
    return true;
  }

  private static void expectAtMost(String[] w, int n, String usage) throws KnockException {
    if (w.length > n) {
      throw new KnockException(w[0] + ": unexpected '" + w[n] + "': use " + usage);
    }
  }

  private record PortSpec(int port, Protocol protocol) {}

  private static PortSpec port(String s, String verb) throws KnockException {
    Protocol proto = Protocol.TCP;
    String num = s;
    int slash = s.indexOf('/');
    if (slash >= 0) {
      proto = Protocol.ofWord(s.substring(slash + 1));
      if (proto == null) {
        throw new KnockException(verb + ": bad protocol in '" + s + "': use /tcp or /udp");
      }
      num = s.substring(0, slash);
    }
    int port = Ports.parse(num, verb);
    return new PortSpec(port, proto);
  }

  private static Duration duration(String s, String verb) throws KnockException {
    try {
      return Durations.parse(s);
    } catch (KnockException e) {
      throw new KnockException(verb + ": " + e.getMessage(), e);
    }
  }
}
