package org.knock.daemon.firewall;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.logging.log4j.layout.template.json.util.JsonReader;
import org.knock.core.Protocol;

/**
 * The grants an earlier run left in knockd's own nft table, read from {@code nft -j list set|map
 * inet NAME SET} output: plain grants (sets {@value NftScripts#SET_NAME}, {@value
 * NftScripts#SET_NAME6}, {@value NftScripts#SET_NAME6NET}), random-port redirects (maps {@value
 * NftScripts#MAP_NAME} and {@value NftScripts#MAP_NAME6}) and forwards (map {@value NftScripts#FORWARDS}, masqueraded if set
 * {@value NftScripts#MASQUERADED} holds the same key), each with the time its kernel timeout has
 * left. Guarantees: never throws; an element of a shape knockd never writes (no timeout, a bad
 * address, port or protocol, another structure) is only named in {@link Leftovers#odd}; an element
 * with nothing left is skipped; a listing that is not JSON of that form is named in {@link
 * Leftovers#errors} and the others are still read.
 */
final class NftLeftovers {
  /** What each listing holds: set or map, and its name; in the order a backend reads them. */
  static final List<List<String>> LISTED = List.of(List.of("set", NftScripts.SET_NAME),
      List.of("set", NftScripts.SET_NAME6), List.of("set", NftScripts.SET_NAME6NET),
      List.of("map", NftScripts.MAP_NAME), List.of("map", NftScripts.MAP_NAME6),
      List.of("map", NftScripts.FORWARDS), List.of("set", NftScripts.MASQUERADED));
  /** The sets and maps whose elements are grants. */
  private static final Set<String> GRANTS = Set.of(NftScripts.SET_NAME, NftScripts.SET_NAME6,
      NftScripts.SET_NAME6NET, NftScripts.MAP_NAME, NftScripts.MAP_NAME6, NftScripts.FORWARDS);
  private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9a-fA-F:]*:[0-9a-fA-F:.]*");

  /**
   * @param live each grant found and the time it has left (more than zero)
   * @param odd the elements left alone, each as e.g. {@code redirects 10.99.0.4 . tcp . 41000 :
   *     22 (no timeout)}
   * @param errors one line per listing that could not be read
   */
  record Leftovers(Map<Access, Duration> live, List<String> odd, List<String> errors) {}

  /** One element as nft lists it: key, mapped value (null in a set), timeout and expires (s). */
  private record Element(Object key, Object value, Number timeout, Number expires) {}

  private NftLeftovers() {}

  /**
   * Reads the listings: for each what it lists (e.g. {@code map redirects}), the {@code nft -j
   * list} output.
   */
  static Leftovers read(Map<String, String> listings) {
    Map<String, List<Element>> byName = new LinkedHashMap<>();
    List<String> odd = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    listings.forEach((what, json) -> {
      try {
        elements(json, byName, odd);
      } catch (RuntimeException e) { // JsonReader's IllegalArgumentException, or a wrong type
        errors.add(what + ": not nft's JSON (" + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
      }
    });
    Set<String> masqueraded = new HashSet<>();
    for (Element e : byName.getOrDefault(NftScripts.MASQUERADED, List.of())) {
      masqueraded.add(part(e.key()));
    }
    Map<Access, Duration> live = new LinkedHashMap<>();
    byName.forEach((name, elements) -> {
      if (!GRANTS.contains(name)) { // masqueraded only marks forwards; other sets are not read
        return;
      }
      for (Element e : elements) {
        String text = name + " " + text(e);
        if (e.timeout() == null) {
          odd.add(text + " (no timeout)");
          continue;
        }
        Access a;
        try {
          a = access(name, e, masqueraded);
        } catch (RuntimeException bad) {
          a = null;
        }
        if (a == null) {
          odd.add(text);
        } else if (e.expires() != null && e.expires().longValue() > 0) {
          live.put(a, Duration.ofSeconds(e.expires().longValue()));
        }
      }
    });
    return new Leftovers(live, odd, errors);
  }

  /** Adds the elements of each set or map in one listing to {@code byName}. */
  private static void elements(String json, Map<String, List<Element>> byName, List<String> odd) {
    Object root = JsonReader.read(json);
    for (Object item : (List<?>) ((Map<?, ?>) root).get("nftables")) {
      Map<?, ?> m = (Map<?, ?>) item;
      for (String kind : List.of("set", "map")) {
        Map<?, ?> s = (Map<?, ?>) m.get(kind);
        if (s == null) {
          continue;
        }
        String name = (String) s.get("name");
        List<Element> out = byName.computeIfAbsent(name, k -> new ArrayList<>());
        Object elems = s.get("elem");
        for (Object e : elems == null ? List.of() : (List<?>) elems) {
          try {
            out.add(kind.equals("map") ? element(((List<?>) e).get(0), ((List<?>) e).get(1),
                ((List<?>) e).size()) : element(e, null, 2));
          } catch (RuntimeException bad) {
            odd.add(name + " " + e);
          }
        }
      }
    }
  }

  /**
   * A set's element or a map's {@code [key, value]} pair ({@code parts}: the pair's size); the key
   * either bare or {@code {"elem": {"val", "timeout", "expires"}}}.
   */
  private static Element element(Object key, Object value, int parts) {
    if (parts != 2) {
      throw new IllegalArgumentException("not a pair");
    }
    if (key instanceof Map<?, ?> k && k.get("elem") instanceof Map<?, ?> elem) {
      return new Element(elem.get("val"), value, (Number) elem.get("timeout"),
          (Number) elem.get("expires"));
    }
    return new Element(key, value, null, null);
  }

  /** The access an element of set or map {@code name} grants, or null if knockd never writes it. */
  private static Access access(String name, Element e, Set<String> masqueraded) {
    List<?> key = concat(e.key());
    if (key.size() != 3) {
      return null;
    }
    Protocol p = Protocol.ofWord((String) key.get(1));
    int port = port(key.get(2));
    if (p == null || port == 0) {
      return null;
    }
    switch (name) {
      case NftScripts.SET_NAME:
        return e.value() == null ? new Access(Access.ipv4((String) key.get(0)), port, p) : null;
      case NftScripts.SET_NAME6:
        return e.value() == null ? new Access(ipv6((String) key.get(0)), port, p) : null;
      case NftScripts.SET_NAME6NET: {
        Map<?, ?> prefix = (Map<?, ?>) ((Map<?, ?>) key.get(0)).get("prefix");
        return e.value() == null ? new Access(ipv6((String) prefix.get("addr")), port, p,
            ((Number) prefix.get("len")).intValue()) : null;
      }
      case NftScripts.MAP_NAME: {
        int to = port(e.value());
        return to == 0 ? null : Access.redirect(Access.ipv4((String) key.get(0)), to, p, port);
      }
      case NftScripts.MAP_NAME6: {
        int to = port(e.value());
        return to == 0 ? null : Access.redirect(ipv6((String) key.get(0)), to, p, port);
      }
      case NftScripts.FORWARDS: {
        List<?> target = concat(e.value());
        int to = target.size() == 2 ? port(target.get(1)) : 0;
        return to == 0 ? null : new Access(Access.ipv4((String) key.get(0)), to, p, port,
            Access.ipv4((String) target.get(0)), masqueraded.contains(part(e.key())));
      }
      default:
        return null;
    }
  }

  /** The parts of {@code {"concat": [...]}}. */
  private static List<?> concat(Object o) {
    return (List<?>) ((Map<?, ?>) o).get("concat");
  }

  /** A port 1-65535, or 0 for anything else. */
  private static int port(Object o) {
    if (!(o instanceof Number n) || n.doubleValue() != n.intValue()) {
      return 0;
    }
    int v = n.intValue();
    return v >= 1 && v <= 65535 ? v : 0;
  }

  /** An IPv6 literal, parsed, never looked up. */
  private static InetAddress ipv6(String literal) {
    if (!IPV6_LITERAL.matcher(literal).matches()) {
      throw new IllegalArgumentException("not an IPv6 literal");
    }
    try {
      InetAddress a = InetAddress.getByName(literal);
      if (a.getAddress().length != 16) {
        throw new IllegalArgumentException("not IPv6");
      }
      return a;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /** An element as nft would print it, e.g. {@code 10.99.0.4 . tcp . 41000 : 22}. */
  private static String text(Element e) {
    return part(e.key()) + (e.value() == null ? "" : " : " + part(e.value()));
  }

  private static String part(Object o) {
    if (o instanceof Map<?, ?> m && m.get("concat") instanceof List<?> parts) {
      List<String> out = new ArrayList<>();
      for (Object p : parts) {
        out.add(part(p));
      }
      return String.join(" . ", out);
    }
    if (o instanceof Map<?, ?> m && m.get("prefix") instanceof Map<?, ?> p) {
      return p.get("addr") + "/" + p.get("len");
    }
    return String.valueOf(o);
  }
}
