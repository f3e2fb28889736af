package org.knock.daemon.config;

import java.util.Objects;
import org.knock.core.Ports;
import org.knock.core.Protocol;
import org.knock.core.KnockException;

/**
 * A port and its protocol, written {@code 22}, {@code 22/tcp} or {@code 53/udp} (TCP when not
 * given). Static door sequences also accept knockd's {@code 8000:udp}.
 *
 * @param port 1-65535
 * @param protocol TCP or UDP
 */
public record PortSpec(int port, Protocol protocol) {
  public PortSpec {
    Objects.requireNonNull(protocol, "protocol");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** Parses {@code PORT[/tcp|/udp]}, or with {@code separator ':'} knockd's {@code PORT[:udp]}. */
  static PortSpec parse(String key, String text, char separator) throws BadValue {
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

  @Override
  public String toString() {
    return port + "/" + protocol.word();
  }
}
