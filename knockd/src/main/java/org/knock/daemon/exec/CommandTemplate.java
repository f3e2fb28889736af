package org.knock.daemon.exec;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A knockd-style command template such as
 * {@code /usr/sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT}, turned into an argv
 * without a shell. Words are split on blanks; {@code '...'} and {@code "..."} quote literally
 * (no escapes) and may be glued to other text ({@code --comment="knockd %IP%"} is one word).
 * Guarantees: the program name holds no variable; {@link #expand} substitutes only {@code %IP%},
 * {@code %USER%}, {@code %PORT%} and {@code %PROTO%}, and only with values it has validated (an
 * IP literal, a user name of {@code [A-Za-z0-9._-]} not starting with '-', a port 1-65535,
 * tcp|udp), so a value can neither split a word nor start an option. Other {@code %} text stays
 * literal. Immutable.
 */
public final class CommandTemplate {
  /** The variables a template may use. */
  public static final Set<String> VARIABLES = Set.of("IP", "USER", "PORT", "PROTO", "SECONDS");
  private static final Pattern VARIABLE = Pattern.compile("%(IP|USER|PORT|PROTO|SECONDS)%");
  private static final Pattern SECONDS = Pattern.compile("0|[1-9]\\d{0,9}");
  private static final Pattern IPV4 = Pattern.compile(
      "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._-]{0,63}");
  private static final Pattern PORT = Pattern.compile("[1-9]\\d{0,4}");

  private final String text;
  private final List<String> words;
  private final Set<String> variables;

  private CommandTemplate(String text, List<String> words, Set<String> variables) {
    this.text = text;
    this.words = words;
    this.variables = variables;
  }

  /**
   * Parses a template.
   *
   * @throws IllegalArgumentException with a one-line message: empty template, unterminated
   *     quote, control character, or a variable in the program name
   */
  public static CommandTemplate parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty command template");
    }
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\t' && Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "command template has a control character at position " + (i + 1));
      }
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (c == ' ' || c == '\t') {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unterminated " + quote + " quote in command template: "
          + text.strip());
    }
    if (inWord) {
      words.add(word.toString());
    }
    Matcher inProgram = VARIABLE.matcher(words.get(0));
    if (inProgram.find()) {
      throw new IllegalArgumentException("the program name of a command template cannot hold "
          + inProgram.group() + ": " + words.get(0));
    }
    Set<String> used = new LinkedHashSet<>();
    for (String w : words) {
      Matcher m = VARIABLE.matcher(w);
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    return new CommandTemplate(text, List.copyOf(words), Collections.unmodifiableSet(used));
  }

  /** The program: the first word, as written. */
  public String program() {
    return words.get(0);
  }

  /** The variables this template uses, without the percent signs, e.g. {@code [IP, PORT]}. */
  public Set<String> variables() {
    return variables;
  }

  /**
   * The argv with every variable replaced.
   *
   * @param vars values by variable name without percent signs ({@code "IP" -> "192.0.2.1"});
   *     every value given is validated, whether used or not
   * @throws IllegalArgumentException with a one-line message for an unknown variable, a bad
   *     value, or a variable the template uses but {@code vars} lacks
   */
  public List<String> expand(Map<String, String> vars) {
    for (Map.Entry<String, String> e : vars.entrySet()) {
      validate(e.getKey(), e.getValue());
    }
    for (String v : variables) {
      if (!vars.containsKey(v)) {
        throw new IllegalArgumentException("command template uses %" + v + "% but no value was "
            + "given: " + text.strip());
      }
    }
    List<String> argv = new ArrayList<>(words.size());
    for (String w : words) {
      argv.add(VARIABLE.matcher(w).replaceAll(m -> Matcher.quoteReplacement(vars.get(m.group(1)))));
    }
    return List.copyOf(argv);
  }

  private static void validate(String name, String value) {
    if (!VARIABLES.contains(name)) {
      throw new IllegalArgumentException("unknown command template variable %" + name + "%");
    }
    if (value == null) {
      throw new IllegalArgumentException("no value for %" + name + "%");
    }
    boolean ok;
    String rule;
    switch (name) {
      case "IP":
        ok = isIpLiteral(value);
        rule = "an IPv4 or IPv6 address literal";
        break;
      case "USER":
        ok = USER.matcher(value).matches();
        rule = "1-64 of A-Z a-z 0-9 . _ -, not starting with '-'";
        break;
      case "PORT":
        ok = PORT.matcher(value).matches() && Integer.parseInt(value) <= 65535;
        rule = "a port number 1-65535";
        break;
      case "SECONDS":
        ok = SECONDS.matcher(value).matches();
        rule = "a whole number of seconds";
        break;
      default:
        ok = value.equals("tcp") || value.equals("udp");
        rule = "tcp or udp";
        break;
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "bad value for %" + name + "%: '" + printable(value) + "' (expected " + rule + ")");
    }
  }

  /** Whether {@code s} is a literal IPv4 address or an IPv6 literal (no name resolution). */
  static boolean isIpLiteral(String s) {
    if (IPV4.matcher(s).matches()) {
      return true;
    }
    if (!IPV6_CHARS.matcher(s).matches() || s.indexOf(':') < 0) {
      return false;
    }
    try {
      // with a ':' and only hex digits, ':' and '.', this is parsed as a literal, never resolved
      InetAddress.getByName(s);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String printable(String s) {
    String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
    StringBuilder b = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
    return b.toString();
  }

  /** The template as written. */
  @Override
  public String toString() {
    return text;
  }

  /** Equal when the words are equal (however they were quoted). */
  @Override
  public boolean equals(Object o) {
    return o instanceof CommandTemplate && ((CommandTemplate) o).words.equals(words);
  }

  @Override
  public int hashCode() {
    return words.hashCode();
  }
}
