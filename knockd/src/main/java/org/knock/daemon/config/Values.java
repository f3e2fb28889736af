package org.knock.daemon.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knock.core.Durations;
import org.knock.core.KnockException;
import org.knock.core.Ports;
import org.knock.core.Protocol;
import org.knock.daemon.exec.CommandTemplate;
import org.knock.daemon.firewall.PortSpec;

/** Parsers for the value types settings share; each message starts with the key's name. */
final class Values {
  private Values() {}

  static Duration duration(String key, String value) throws BadValue {
    try {
      return Durations.parse(value);
    } catch (KnockException e) {
      throw new BadValue(key + ": " + e.getMessage());
    }
  }

  /** A time in milliseconds, "1ms" or "0.5ms" (down to µs), from {@code min} to {@code max}. */
  static Duration millis(String key, String value, Duration min, Duration max) throws BadValue {
    String v = value.strip().toLowerCase(Locale.ROOT);
    String use = key + ": use off or a time in ms from " + ms(min) + " to " + ms(max)
        + ", e.g. 1ms, not '" + value + "'";
    if (!v.matches("[0-9]{1,6}(\\.[0-9]{1,3})?ms")) {
      throw new BadValue(use);
    }
    Duration d = Duration.ofNanos(new java.math.BigDecimal(v.substring(0, v.length() - 2))
        .movePointRight(6).longValueExact());
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new BadValue(use);
    }
    return d;
  }

  /** "0.5ms", "100ms". */
  static String ms(Duration d) {
    return java.math.BigDecimal.valueOf(d.toNanos()).movePointLeft(6).stripTrailingZeros()
        .toPlainString() + "ms";
  }

  static boolean yesNo(String key, String value) throws BadValue {
    switch (value.toLowerCase(Locale.ROOT)) {
      case "yes":
        return true;
      case "no":
        return false;
      default:
        throw new BadValue(key + ": use yes or no, not '" + value + "'");
    }
  }

  static int count(String key, String value, int max) throws BadValue {
    // up to 10 digits: a max above 999,999,999 (MaxTagChecks: 2^30) must be reachable
    if (!value.matches("[0-9]{1,10}") || Long.parseLong(value) < 1
        || Long.parseLong(value) > max) {
      throw new BadValue(key + ": use a whole number from 1 to " + max + ", not '" + value + "'");
    }
    return Integer.parseInt(value);
  }

  /** A path; a relative one is resolved against the config file's directory. */
  static Path path(String key, String value, Path baseDir) throws BadValue {
    try {
      return baseDir.resolve(Path.of(value)).normalize();
    } catch (InvalidPathException e) {
      throw new BadValue(key + ": bad path '" + value + "'");
    }
  }

  /** One of some words, any case; the message lists them. */
  static String word(String key, String value, String what, List<String> words)
      throws BadValue {
    String w = value.toLowerCase(Locale.ROOT);
    if (!words.contains(w)) {
      throw new BadValue(key + ": unknown " + what + " '" + value + "': use "
          + orList(words));
    }
    return w;
  }

  static String orList(List<String> words) {
    if (words.size() == 1) {
      return words.get(0);
    }
    return String.join(", ", words.subList(0, words.size() - 1)) + " or "
        + words.get(words.size() - 1);
  }

  /** A comma-separated list of IP address literals (IPv4 dotted quad or IPv6), no names. */
  static List<java.net.InetAddress> addresses(String key, String value) throws BadValue {
    List<java.net.InetAddress> out = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      String a = part.strip();
      if (a.isEmpty()) {
        throw new BadValue(key + ": empty item in '" + value + "'");
      }
      java.net.InetAddress addr = addressLiteral(a);
      if (addr == null) {
        throw new BadValue(key + ": '" + a + "' is not an IPv4 or IPv6 address (names are not "
            + "resolved)");
      }
      if (out.contains(addr)) {
        throw new BadValue(key + ": " + a + " is listed twice");
      }
      out.add(addr);
    }
    return out;
  }

  private static java.net.InetAddress addressLiteral(String a) {
    if (a.contains(":")) {
      if (!a.matches("[0-9A-Fa-f:.]+")) {
        return null;
      }
    } else if (!a.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
        + "(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")) {
      return null;
    }
    try {
      return java.net.InetAddress.getByName(a); // a literal: no name lookup
    } catch (java.net.UnknownHostException e) {
      return null;
    }
  }

  /** A comma-separated list of ports with separator '/' (settings) or ':' (knockd sequences). */
  static List<PortSpec> ports(String key, String value, char separator, boolean unique)
      throws BadValue {
    List<PortSpec> out = new ArrayList<>();
    Set<PortSpec> seen = new LinkedHashSet<>();
    for (String part : value.split(",", -1)) {
      if (part.isBlank()) {
        throw new BadValue(key + ": empty item in '" + value + "'");
      }
      PortSpec p = port(key, part, separator);
      if (!seen.add(p) && unique) {
        throw new BadValue(key + ": " + p + " is listed twice");
      }
      out.add(p);
    }
    return out;
  }

  /** One port: {@code 22}, {@code 22/tcp} (separator '/') or {@code 8000:udp} (separator ':'). */
  static PortSpec port(String key, String text, char separator) throws BadValue {
    String t = text.strip();
    Protocol proto = Protocol.TCP;
    int sep = t.indexOf(separator);
    if (sep >= 0) {
      proto = Protocol.ofWord(t.substring(sep + 1).strip());
      if (proto == null) {
        throw new BadValue(key + ": bad protocol in '" + t + "': use " + separator + "tcp or "
            + separator + "udp");
      }
      t = t.substring(0, sep).strip();
    }
    try {
      return new PortSpec(Ports.parse(t, key), proto);
    } catch (KnockException e) {
      throw new BadValue(e.getMessage());
    }
  }

  private static final Pattern PLACEHOLDER = Pattern.compile("%[A-Z][A-Z0-9_]*%");

  /**
   * A command run without a shell: an absolute program path and arguments in which only the
   * given placeholders may appear.
   */
  static CommandTemplate command(String key, String text, Set<String> placeholders)
      throws BadValue {
    CommandTemplate t;
    try {
      t = CommandTemplate.parse(text);
    } catch (IllegalArgumentException e) {
      throw new BadValue(key + ": " + e.getMessage());
    }
    if (!t.program().startsWith("/")) {
      throw new BadValue(key + ": the program must be an absolute path, not '" + t.program()
          + "'");
    }
    Matcher m = PLACEHOLDER.matcher(text);
    while (m.find()) {
      if (!placeholders.contains(m.group())) {
        throw new BadValue(key + ": unknown placeholder " + m.group() + ": use "
            + String.join(", ", new TreeSet<>(placeholders)));
      }
    }
    return t;
  }
}
