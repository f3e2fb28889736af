package org.knock.core;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An accepted knock: who sent it, what it asks for, and the address to grant. An IPv4 knock has
 * null {@code source6}; an IPv6 knock has its 16-byte source in {@code source6}. The grant is in
 * {@code grant6} when it is IPv6 (the source's own address, or one the payload named, from either
 * family), else in {@code grant} (an IPv4 address). A knock in address mode "source /64" grants
 * the /64 of its IPv6 source: {@code grant6} is that prefix (the last 8 bytes zero), {@link
 * #grantPrefix} 64.
 *
 * @param user the name of the user whose key opened it
 * @param payload the decrypted payload
 * @param source the source address the packets came from (IPv4 as int; 0 for an IPv6 source)
 * @param grant the IPv4 address to grant (the payload's address, or the source if it asked for
 *     that), unless {@code grant6} is set
 * @param source6 the IPv6 source (16 bytes), or null
 * @param grant6 the IPv6 address (or, see {@link #grantPrefix}, network) to grant (16 bytes), or
 *     null
 * @param randomDraw for a knock that asks for a random service port: its {@link RandomPort#draw}
 *     (made with the key that opened it), else -1
 */
public record Knock(String user, Payload payload, int source, int grant, byte[] source6,
    byte[] grant6, long randomDraw) {
  /** An IPv4 knock. */
  public Knock(String user, Payload payload, int source, int grant) {
    this(user, payload, source, grant, null, null);
  }

  /** The length of the grant's prefix: 64 for a /64 grant, else 32 (IPv4) or 128 (IPv6). */
  public int grantPrefix() {
    return payload.grantsSource64() ? 64 : grant6 != null ? 128 : 32;
  }

  /** The /64 network of an IPv6 address: its first 8 bytes, then zeros. */
  static byte[] prefix64(byte[] v6) {
    byte[] n = new byte[16];
    System.arraycopy(v6, 0, n, 0, 8);
    return n;
  }

  /** A knock that asks for no random service port. */
  public Knock(String user, Payload payload, int source, int grant, byte[] source6,
      byte[] grant6) {
    this(user, payload, source, grant, source6, grant6, -1);
  }

  /** This knock with the random draw of {@code key} (if its payload asks for a random port). */
  Knock withDrawOf(KnockKey key) {
    return payload.randomPort()
        ? new Knock(user, payload, source, grant, source6, grant6,
            RandomPort.draw(key, payload.timestamp(), payload.nonce()))
        : this;
  }

  /** The external port this knock opens in {@code start-end}; -1 if it asks for none. */
  public int randomPort(int start, int end) {
    return randomDraw < 0 ? -1 : RandomPort.port(randomDraw, start, end);
  }

  /** The source address, IPv4 or IPv6. */
  public InetAddress sourceAddress() {
    return address(source6, source);
  }

  /** The address to grant, IPv4 or IPv6. */
  public InetAddress grantAddress() {
    return address(grant6, grant);
  }

  private static InetAddress address(byte[] v6, int v4) {
    byte[] b = v6 != null ? v6
        : new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are an address", e);
    }
  }
}
