package org.knock.daemon.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A program and its arguments, run without a shell. Written as words separated by spaces; a word
 * in double quotes may hold spaces. The program is an absolute path. Arguments may hold
 * placeholders such as {@code %IP%}; only the ones the setting names are accepted, and
 * {@link #expand} replaces them inside the single argument they are in, so a value can never
 * become an extra argument.
 *
 * @param argv the program and its arguments, as written
 */
public record CommandTemplate(List<String> argv) {
  private static final Pattern PLACEHOLDER = Pattern.compile("%[A-Z][A-Z0-9_]*%");

  public CommandTemplate {
    argv = List.copyOf(argv);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
  }

  /** The absolute path of the program. */
  public String program() {
    return argv.get(0);
  }

  /** The argument vector with every placeholder replaced, e.g. {@code "%IP%" → "10.0.0.2"}. */
  public List<String> expand(Map<String, String> values) {
    List<String> out = new ArrayList<>(argv.size());
    for (String a : argv) {
      Matcher m = PLACEHOLDER.matcher(a);
      StringBuilder b = new StringBuilder();
      while (m.find()) {
        String v = values.get(m.group());
        m.appendReplacement(b, Matcher.quoteReplacement(v != null ? v : m.group()));
      }
      m.appendTail(b);
      out.add(b.toString());
    }
    return out;
  }

  static CommandTemplate parse(String key, String text, Set<String> placeholders)
      throws BadValue {
    List<String> words = new ArrayList<>();
    StringBuilder w = null;
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"') {
        quoted = !quoted;
        if (w == null) {
          w = new StringBuilder();
        }
      } else if (Character.isWhitespace(c) && !quoted) {
        if (w != null) {
          words.add(w.toString());
          w = null;
        }
      } else {
        if (w == null) {
          w = new StringBuilder();
        }
        w.append(c);
      }
    }
    if (quoted) {
      throw new BadValue(key + ": unterminated double quote");
    }
    if (w != null) {
      words.add(w.toString());
    }
    if (words.isEmpty()) {
      throw new BadValue(key + ": empty command");
    }
    if (!words.get(0).startsWith("/")) {
      throw new BadValue(key + ": the program must be an absolute path, not '" + words.get(0)
          + "'");
    }
    if (PLACEHOLDER.matcher(words.get(0)).find()) {
      throw new BadValue(key + ": the program must not contain a placeholder");
    }
    for (String a : words) {
      Matcher m = PLACEHOLDER.matcher(a);
      while (m.find()) {
        if (!placeholders.contains(m.group())) {
          throw new BadValue(key + ": unknown placeholder " + m.group() + ": use "
              + placeholders.stream().sorted().collect(Collectors.joining(", ")));
        }
      }
    }
    return new CommandTemplate(words);
  }

  @Override
  public String toString() {
    return argv.stream()
        .map(a -> a.isEmpty() || a.chars().anyMatch(Character::isWhitespace) ? "\"" + a + "\"" : a)
        .collect(Collectors.joining(" "));
  }
}
