package org.knock.daemon.firewall;

import java.util.Objects;
import org.knock.core.Protocol;

/**
 * A port and its protocol, written {@code 22/tcp}. Guarantees a port in 1-65535 and a protocol.
 *
 * @param port 1-65535
 * @param protocol TCP or UDP
 */
public record PortSpec(int port, Protocol protocol) {
  public PortSpec {
    Objects.requireNonNull(protocol, "protocol");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("bad port " + port + ": use 1-65535");
    }
  }

  /**
   * Parses {@code 22/tcp}, {@code 8000/udp} or a bare {@code 22} (TCP).
   *
   * @throws IllegalArgumentException with a one-line message
   */
  public static PortSpec parse(String text) {
    String t = text.strip();
    int slash = t.indexOf('/');
    String number = slash < 0 ? t : t.substring(0, slash);
    Protocol protocol = slash < 0 ? Protocol.TCP : Protocol.ofWord(t.substring(slash + 1));
    if (protocol == null || !number.matches("[1-9]\\d{0,4}")
        || Integer.parseInt(number) > 65535) {
      throw new IllegalArgumentException(
          "bad port '" + text + "': use a number 1-65535, optionally /tcp or /udp");
    }
    return new PortSpec(Integer.parseInt(number), protocol);
  }

  @Override
  public String toString() {
    return port + "/" + protocol.word();
  }
}
