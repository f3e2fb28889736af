package org.knock.daemon.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.knock.core.Durations;
import org.knock.core.KnockException;

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
    if (!value.matches("[0-9]{1,9}") || Integer.parseInt(value) < 1
        || Integer.parseInt(value) > max) {
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

  /** A comma-separated list of ports with separator '/' (settings) or ':' (knockd sequences). */
  static List<PortSpec> ports(String key, String value, char separator, boolean unique)
      throws BadValue {
    List<PortSpec> out = new ArrayList<>();
    Set<PortSpec> seen = new LinkedHashSet<>();
    for (String part : value.split(",", -1)) {
      if (part.isBlank()) {
        throw new BadValue(key + ": empty item in '" + value + "'");
      }
      PortSpec p = PortSpec.parse(key, part, separator);
      if (!seen.add(p) && unique) {
        throw new BadValue(key + ": " + p + " is listed twice");
      }
      out.add(p);
    }
    return out;
  }
}
