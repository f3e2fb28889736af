package org.knock.daemon.config;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.knock.core.Payload;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.Access;
import org.knock.daemon.firewall.PortSpec;

/**
 * Reads {@code [forward NAME]} sections ({@code To}, {@code Port}, {@code Masquerade}); refuses
 * two forwards whose ids or external ports collide, an external port inside KnockPorts,
 * RandomPorts or Protect, and {@code Port = random} without RandomPorts.
 */
final class ForwardSection {
  static final List<String> KEYS = List.of("To", "Port", "Masquerade");

  private ForwardSection() {}

  static List<ForwardConfig> parseAll(List<Ini.Section> sections, Options options,
      Problems problems) {
    List<ForwardConfig> out = new ArrayList<>();
    Map<Integer, Ini.Section> byId = new HashMap<>();
    Map<PortSpec, Ini.Section> byPort = new HashMap<>();
    for (Ini.Section s : sections) {
      String name = ConfigParser.nameOf(s);
      int before = problems.count();
      SectionKeys k = new SectionKeys(s, "[forward " + name + "]", KEYS, Map.of(), problems);
      Target to = k.value("To", ForwardSection::target, null);
      Integer port = k.value("Port", ForwardSection::external, null);
      boolean masquerade = Boolean.TRUE.equals(k.value("Masquerade", Values::yesNo, false));
      if (!k.has("To")) {
        problems.add(s.line(), "forward " + name + " has no To: add e.g. To = 10.0.0.5:5432");
      }
      if (!k.has("Port")) {
        problems.add(s.line(), "forward " + name + " has no Port: add Port = EXTERNAL or random");
      }
      if (!Character.isLetter(name.charAt(0)) || name.equalsIgnoreCase("random")) {
        problems.add(s.line(), "bad forward name '" + name + "': start with a letter (open NAME "
            + "must not read as a port), and not 'random'");
      }
      int id = Payload.forwardId(name);
      ConfigParser.uniqueId(byId, id, s, "forward", problems);
      if (port != null && to != null && options != null) {
        checkPort(k, port, to.protocol(), options, byPort, s);
      }
      if (problems.count() == before) {
        out.add(new ForwardConfig(name, id, to.address(), to.port(), to.protocol(), port,
            masquerade));
      }
    }
    return out;
  }

  private record Target(Inet4Address address, int port, Protocol protocol) {}

  /** {@code ADDR:PORT[/tcp|/udp]}, an IPv4 address. */
  private static Target target(String key, String v) throws BadValue {
    int colon = v.lastIndexOf(':');
    String usage = key + ": use ADDR:PORT[/tcp|/udp], e.g. 10.0.0.5:5432, not '" + v + "'";
    if (colon < 1) {
      throw new BadValue(usage);
    }
    Inet4Address a;
    try {
      a = Access.ipv4(v.substring(0, colon).strip());
    } catch (IllegalArgumentException e) {
      throw new BadValue(usage);
    }
    PortSpec p = Values.port(key, v.substring(colon + 1).strip(), '/');
    return new Target(a, p.port(), p.protocol());
  }

  /** {@code EXTERNAL} (1-65535) or {@code random} (0). */
  private static Integer external(String key, String v) throws BadValue {
    if (v.equalsIgnoreCase("random")) {
      return 0;
    }
    PortSpec p = Values.port(key, v, '/');
    if (v.contains("/")) {
      throw new BadValue(key + ": the protocol is To's: use Port = " + p.port());
    }
    return p.port();
  }

  private static void checkPort(SectionKeys k, int port, Protocol protocol, Options o,
      Map<PortSpec, Ini.Section> byPort, Ini.Section s) {
    if (port == 0) {
      if (o.randomPorts() == null) {
        k.problem("Port", "Port = random needs [options] RandomPorts");
      }
      return;
    }
    String where = o.knockPorts().contains(port) ? "KnockPorts " + o.knockPorts()
        : o.randomPorts() != null && o.randomPorts().contains(port)
            ? "RandomPorts " + o.randomPorts()
        : o.protect().contains(new PortSpec(port, protocol)) ? "Protect" : null;
    if (where != null) {
      k.problem("Port", "Port: " + port + " lies inside " + where + ": use another port");
      return;
    }
    Ini.Section twin = byPort.putIfAbsent(new PortSpec(port, protocol), s);
    if (twin != null) {
      k.problem("Port", "Port: " + port + "/" + protocol.word() + " is forward "
          + ConfigParser.nameOf(twin) + "'s too (line " + twin.line() + ")");
    }
  }
}
