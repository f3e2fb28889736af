package org.knock.core;

import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * Turns a command into the destination ports of one knock. The client's half of the protocol;
 * time and randomness are passed in.
 */
public final class KnockEncoder {
  private final Sealer sealer;
  private final PortMapping mapping;
  private final int basePort;

  public KnockEncoder(KnockKey key, CipherSuite suite, PortMapping mapping, int basePort) {
    mapping.checkBase(basePort);
    this.sealer = new Sealer(key, suite);
    this.mapping = mapping;
    this.basePort = basePort;
  }

  /**
   * The ports for a command.
   *
   * @param grant the IPv4 address to grant as a 32-bit int, or 0 for "the knock's own source"
   * @param now the time to stamp into the knock
   * @param random source of the 24-bit nonce
   */
  public int[] encode(Command command, int grant, Instant now, RandomGenerator random) {
    return mapping.toPorts(seal(command, grant, now, random.nextInt(1 << 24)), basePort);
  }

  /** The 20-byte sealed message for a command with a given nonce (for test vectors). */
  public byte[] seal(Command command, int grant, Instant now, int nonce) {
    return sealer.seal(Payload.of(command, grant, now.getEpochSecond(), nonce).toBytes());
  }

  public int[] ports(byte[] message) {
    return mapping.toPorts(message, basePort);
  }
}
