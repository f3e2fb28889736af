package org.knock.core;

import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * Turns a command into the destination ports of one knock. The client's half of the protocol;
 * time and randomness are passed in. Version 2 (bound to the server's address) unless made for
 * version 1.
 */
public final class KnockEncoder {
  private final Sealer sealer;
  private final PortMapping mapping;
  private final int basePort;
  private final int version;

  /** A version-1 encoder (unbound: any server with the key accepts its knocks). */
  public KnockEncoder(KnockKey key, CipherSuite suite, PortMapping mapping, int basePort) {
    this(key, suite, mapping, basePort, null);
  }

  /** A version-2 encoder whose knocks are bound to {@code server}; null: version 1. */
  public KnockEncoder(KnockKey key, CipherSuite suite, PortMapping mapping, int basePort,
      ServerBinding server) {
    mapping.checkBase(basePort);
    this.sealer = new Sealer(key, suite, server);
    this.mapping = mapping;
    this.basePort = basePort;
    this.version = server == null ? Payload.VERSION : Payload.VERSION_2;
  }

  /**
   * The ports for a command.
   *
   * @param grant the IPv4 address to grant as a 32-bit int, or 0 for "the knock's own source"
   * @param now the time to stamp into the knock
   * @param random source of the 24-bit nonce
   */
  public int[] encode(Command command, int grant, Instant now, RandomGenerator random) {
    return encode(command, grant, Payload.ADDRESS_IPV4, now, random);
  }

  /**
   * The ports for a command with an address mode (version 2): {@link Payload#ADDRESS_SOURCE_64}
   * grants the knock's source /64 ({@code grant} must be 0), {@link Payload#ADDRESS_IPV4} is
   * {@link #encode(Command, int, Instant, RandomGenerator)}.
   */
  public int[] encode(Command command, int grant, int addressMode, Instant now,
      RandomGenerator random) {
    return mapping.toPorts(seal(command, grant, addressMode, now, random.nextInt(1 << 24)),
        basePort);
  }

  /** The 20-byte sealed message for a command with a given nonce (for test vectors). */
  public byte[] seal(Command command, int grant, Instant now, int nonce) {
    return seal(command, grant, Payload.ADDRESS_IPV4, now, nonce);
  }

  /**
   * The 36 ports of a knock that grants an IPv6 address (address mode 2, version 2; the indexed
   * mapping needs 9216 ports above the base).
   *
   * @param grant6 the IPv6 address to grant, 16 bytes
   */
  public int[] encode6(Command command, byte[] grant6, Instant now, RandomGenerator random) {
    return mapping.toPorts(seal6(command, grant6, now, random.nextInt(1 << 24)), basePort);
  }

  /** The 36-byte sealed message granting an IPv6 address, with a given nonce (test vectors). */
  public byte[] seal6(Command command, byte[] grant6, Instant now, int nonce) {
    if (version == Payload.VERSION) {
      throw new IllegalArgumentException("an IPv6 address to grant needs protocol version 2");
    }
    return sealer.seal(Payload.of(command, 0, now.getEpochSecond(), nonce)
        .withVersion(version).withAddress6(grant6).toBytes());
  }

  /** As {@link #seal(Command, int, Instant, int)} with an address mode (version 2 only). */
  public byte[] seal(Command command, int grant, int addressMode, Instant now, int nonce) {
    if (addressMode != Payload.ADDRESS_IPV4 && version == Payload.VERSION) {
      throw new IllegalArgumentException("an address mode needs protocol version 2");
    }
    return sealer.seal(Payload.of(command, grant, now.getEpochSecond(), nonce)
        .withVersion(version).withAddressMode(addressMode).toBytes());
  }

  public int[] ports(byte[] message) {
    return mapping.toPorts(message, basePort);
  }
}
