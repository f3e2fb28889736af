package org.knock.daemon.config;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * knockd's {@code TCPFlags}: flags a door's packets must carry ({@code syn}) and must not carry
 * ({@code !ack}). Packets that do not match are ignored by the door, as in knockd.
 *
 * @param set flags that must be present, lower case
 * @param unset flags that must be absent, lower case
 */
public record TcpFlags(Set<String> set, Set<String> unset) {
  /** The flags knockd knows. */
  public static final List<String> NAMES = List.of("fin", "syn", "rst", "psh", "ack", "urg");
  /** No condition: every packet counts. */
  public static final TcpFlags ANY = new TcpFlags(Set.of(), Set.of());

  public TcpFlags {
    set = Set.copyOf(set);
    unset = Set.copyOf(unset);
  }

  /** True if a packet with these flags (any case, e.g. "SYN" from a LOG line) counts. */
  public boolean matches(Collection<String> present) {
    Set<String> p = present.stream().map(s -> s.toLowerCase(Locale.ROOT))
        .collect(Collectors.toSet());
    return p.containsAll(set) && unset.stream().noneMatch(p::contains);
  }

  static TcpFlags parse(String key, String value) throws BadValue {
    Set<String> set = new LinkedHashSet<>();
    Set<String> unset = new LinkedHashSet<>();
    for (String part : value.split(",")) {
      String f = part.strip().toLowerCase(Locale.ROOT);
      boolean not = f.startsWith("!");
      String name = not ? f.substring(1).strip() : f;
      if (!NAMES.contains(name)) {
        throw new BadValue(key + ": unknown flag '" + part.strip() + "': use "
            + String.join(", ", NAMES) + ", each optionally with '!'");
      }
      if (set.contains(name) || unset.contains(name)) {
        throw new BadValue(key + ": flag " + name + " is named twice");
      }
      (not ? unset : set).add(name);
    }
    return new TcpFlags(set, unset);
  }

  @Override
  public String toString() {
    if (set.isEmpty() && unset.isEmpty()) {
      return "any";
    }
    return NAMES.stream()
        .filter(n -> set.contains(n) || unset.contains(n))
        .map(n -> unset.contains(n) ? "!" + n : n)
        .collect(Collectors.joining(","));
  }
}
