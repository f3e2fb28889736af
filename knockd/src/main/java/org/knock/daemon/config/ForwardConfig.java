package org.knock.daemon.config;

import java.net.Inet4Address;
import java.util.Objects;
import org.knock.core.Payload;
import org.knock.core.Protocol;

/**
 * A {@code [forward NAME]} section: a door to a service on a host behind this gateway that a
 * knock ({@code open NAME}) opens for the knocker's address alone, by destination NAT.
 *
 * @param name the forward's name, as in {@code open NAME}
 * @param id the 16-bit id a knock carries for it ({@link Payload#forwardId}); unique in a config
 * @param to the inner host's IPv4 address
 * @param toPort the inner host's port, 1-65535
 * @param protocol the service's protocol
 * @param port the external port on this host, 1-65535; 0: drawn from RandomPorts per knock
 * @param masquerade whether the forwarded flow leaves with this host's address (for an inner host
 *     with no route back to the knocker)
 */
public record ForwardConfig(String name, int id, Inet4Address to, int toPort, Protocol protocol,
    int port, boolean masquerade) {
  public ForwardConfig {
    Objects.requireNonNull(name);
    Objects.requireNonNull(to);
    Objects.requireNonNull(protocol);
    if (id != Payload.forwardId(name)) {
      throw new IllegalArgumentException("id must be Payload.forwardId(name)");
    }
    if (toPort < 1 || toPort > 65535 || port < 0 || port > 65535) {
      throw new IllegalArgumentException("bad port");
    }
  }

  /** True if the external port is drawn per knock ({@code Port = random}). */
  public boolean random() {
    return port == 0;
  }

  /** E.g. {@code db: 8443/tcp -> 10.0.0.5:5432, masquerade}. */
  public String describe() {
    return name + ": " + (random() ? "random" : Integer.toString(port)) + "/" + protocol.word()
        + " -> " + to.getHostAddress() + ":" + toPort + (masquerade ? ", masquerade" : "");
  }
}
