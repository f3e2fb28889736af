package org.knock.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * The plaintext of a knock: 16 bytes, laid out in docs/PROTOCOL.md.
 *
 * <pre>
 *  0..3   timestamp  u32, Unix seconds
 *  4..6   nonce      u24, random
 *  7      header     version(3) | verb(2) | udp(1) | v1: reserved(2) = 0;
 *                    v2: random port(1) | address extension(1)
 *  8..9   port       u16; for run: the action id
 * 10..11  duration   u16, unit(2) | count(14); 0 = server default
 * 12..15  address    IPv4 to grant; 0.0.0.0 = the knock's own source;
 *                    with the extension bit: byte 12 = address mode, bytes 13..15 = 0
 * 16..31  address6   address mode 2 only: the IPv6 address to grant (a 32-byte plaintext)
 * </pre>
 *
 * @param verb the command
 * @param protocol the port's protocol
 * @param port the port (open, close) or the action id (run), 0-65535
 * @param duration how long (open, deny-further); zero = server default
 * @param address the IPv4 address to grant as a 32-bit int; 0 = the knock's source address
 * @param timestamp Unix seconds when the knock was made, 0 to 2^32-1
 * @param nonce 24 random bits
 * @param version 1 or 2 (docs/PROTOCOL.md: version 2 is bound to its server, §10)
 * @param randomPort version 2: open a random service port derived from the knock (§10)
 * @param addressMode version 2: {@link #ADDRESS_IPV4} (the address field is an IPv4 address, no
 *     extension bit), {@link #ADDRESS_SOURCE_64} (the knock's source /64) or {@link
 *     #ADDRESS_IPV6} (the IPv6 address {@code address6}); with a mode, {@code address} is 0
 * @param address6 mode {@link #ADDRESS_IPV6}: the IPv6 address to grant (16 bytes), else null
 */
public record Payload(
    Verb verb,
    Protocol protocol,
    int port,
    Duration duration,
    int address,
    long timestamp,
    int nonce,
    int version,
    boolean randomPort,
    int addressMode,
    byte[] address6) {

  /** Size of the plaintext in bytes. */
  public static final int SIZE = 16;
  /** Size of the plaintext that carries an IPv6 address (address mode 2). */
  public static final int LONG_SIZE = 32;
  /** The first protocol version: unbound. */
  public static final int VERSION = 1;
  /** The current protocol version: bound to the server's address (docs/PROTOCOL.md §10). */
  public static final int VERSION_2 = 2;
  /** Address mode 0: the address field holds an IPv4 address (0 = the knock's own source). */
  public static final int ADDRESS_IPV4 = 0;
  /** Address mode 1 (version 2, extension bit): grant the knock's source /64 (§10). */
  public static final int ADDRESS_SOURCE_64 = 1;
  /** Address mode 2 (version 2, extension bit): grant the IPv6 address in bytes 16..31 (§10). */
  public static final int ADDRESS_IPV6 = 2;

  /** A payload without an address extension. */
  public Payload(Verb verb, Protocol protocol, int port, Duration duration, int address,
      long timestamp, int nonce, int version, boolean randomPort) {
    this(verb, protocol, port, duration, address, timestamp, nonce, version, randomPort,
        ADDRESS_IPV4, null);
  }

  /** A version-1 payload. */
  public Payload(Verb verb, Protocol protocol, int port, Duration duration, int address,
      long timestamp, int nonce) {
    this(verb, protocol, port, duration, address, timestamp, nonce, VERSION, false, ADDRESS_IPV4,
        null);
  }

  public Payload {
    Objects.requireNonNull(verb, "verb");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(duration, "duration");
    if (port < 0 || port > 0xFFFF) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (timestamp < 0 || timestamp > 0xFFFFFFFFL) {
      throw new IllegalArgumentException("timestamp out of range: " + timestamp);
    }
    if (nonce < 0 || nonce > 0xFFFFFF) {
      throw new IllegalArgumentException("nonce out of range: " + nonce);
    }
    Durations.encode(duration); // throws if not carried exactly
    if (version != VERSION && version != VERSION_2) {
      throw new IllegalArgumentException("no protocol version " + version);
    }
    if (randomPort && version == VERSION) {
      throw new IllegalArgumentException("a random port needs protocol version 2");
    }
    if (addressMode < ADDRESS_IPV4 || addressMode > ADDRESS_IPV6) {
      throw new IllegalArgumentException("no address mode " + addressMode);
    }
    if (addressMode != ADDRESS_IPV4 && (version == VERSION || address != 0)) {
      throw new IllegalArgumentException("an address mode needs version 2 and address 0");
    }
    if ((addressMode == ADDRESS_IPV6) != (address6 != null)
        || (address6 != null && address6.length != 16)) {
      throw new IllegalArgumentException("address mode 2 and only it carries 16 bytes of IPv6");
    }
    address6 = address6 == null ? null : address6.clone();
  }

  /** The IPv6 address to grant (mode {@link #ADDRESS_IPV6}; a copy), else null. */
  @Override
  public byte[] address6() {
    return address6 == null ? null : address6.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Payload p && verb == p.verb && protocol == p.protocol && port == p.port
        && duration.equals(p.duration) && address == p.address && timestamp == p.timestamp
        && nonce == p.nonce && version == p.version && randomPort == p.randomPort
        && addressMode == p.addressMode && java.util.Arrays.equals(address6, p.address6);
  }

  @Override
  public int hashCode() {
    return Objects.hash(verb, protocol, port, duration, address, timestamp, nonce, version,
        randomPort, addressMode) * 31 + java.util.Arrays.hashCode(address6);
  }

  @Override
  public String toString() {
    return "Payload[" + verb + " " + protocol + " " + port + " " + duration + " address="
        + address + " mode=" + addressMode + (address6 == null ? "" : " address6="
        + java.util.HexFormat.of().formatHex(address6)) + " t=" + timestamp + " nonce=" + nonce
        + " v" + version + (randomPort ? " random" : "") + "]";
  }

  /** This payload in another protocol version. */
  public Payload withVersion(int v) {
    return new Payload(verb, protocol, port, duration, address, timestamp, nonce, v, randomPort,
        addressMode, address6);
  }

  /** This payload with address mode 0 or 1 (version 2; address 0). */
  public Payload withAddressMode(int mode) {
    return new Payload(verb, protocol, port, duration, address, timestamp, nonce, version,
        randomPort, mode, null);
  }

  /** This payload granting an IPv6 address (address mode 2; version 2, address 0). */
  public Payload withAddress6(byte[] v6) {
    return new Payload(verb, protocol, port, duration, address, timestamp, nonce, version,
        randomPort, ADDRESS_IPV6, v6);
  }

  /** The payload for a command. */
  public static Payload of(Command c, int address, long timestamp, int nonce) {
    int port = c.verb() == Verb.RUN ? actionId(c.action())
        : c.forward() ? forwardId(c.action()) : c.port();
    return new Payload(c.verb(), c.protocol(), port, c.duration(), address, timestamp, nonce,
        c.random() ? VERSION_2 : VERSION, c.random());
  }

  /**
   * The 16-bit id under which {@code open NAME} (a forward) travels in the port field: the first
   * two bytes of SHA-256("knock forward " + NAME). knockd refuses a config in which it equals a
   * port the same user may open, or another forward's id.
   */
  public static int forwardId(String name) {
    return id("knock forward " + name);
  }

  /**
   * The 16-bit id under which {@code run NAME} travels: the first two bytes of
   * SHA-256("knock action " + NAME). The daemon refuses configs where two actions share an id.
   */
  public static int actionId(String name) {
    return id("knock action " + name);
  }

  private static int id(String label) {
    org.bouncycastle.crypto.digests.SHA256Digest d =
        new org.bouncycastle.crypto.digests.SHA256Digest();
    byte[] in = label.getBytes(StandardCharsets.UTF_8);
    d.update(in, 0, in.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return ((out[0] & 0xFF) << 8) | (out[1] & 0xFF);
  }

  /** True if the payload asks to grant the knock's own source address. */
  public boolean grantsSource() {
    return address == 0 && addressMode == ADDRESS_IPV4;
  }

  /** True if the payload asks to grant the knock's source /64 (an IPv6 source only). */
  public boolean grantsSource64() {
    return addressMode == ADDRESS_SOURCE_64;
  }

  /** The plaintext: 16 bytes, or 32 in address mode 2. */
  public byte[] toBytes() {
    byte[] b = new byte[address6 == null ? SIZE : LONG_SIZE];
    putInt(b, 0, (int) timestamp);
    b[4] = (byte) (nonce >>> 16);
    b[5] = (byte) (nonce >>> 8);
    b[6] = (byte) nonce;
    b[7] = (byte) ((version << 5) | (verb.code() << 3) | (protocol == Protocol.UDP ? 4 : 0)
        | (randomPort ? 2 : 0) | (addressMode != ADDRESS_IPV4 ? 1 : 0));
    b[8] = (byte) (port >>> 8);
    b[9] = (byte) port;
    int d = Durations.encode(duration);
    b[10] = (byte) (d >>> 8);
    b[11] = (byte) d;
    putInt(b, 12, addressMode != ADDRESS_IPV4 ? addressMode << 24 : address);
    if (address6 != null) {
      System.arraycopy(address6, 0, b, SIZE, 16);
    }
    return b;
  }

  /**
   * Reads a plaintext: 16 bytes, or 32 in address mode 2 (and only then).
   *
   * @throws KnockException if the length, version, reserved bits or address mode are wrong
   */
  public static Payload fromBytes(byte[] b) throws KnockException {
    if (b.length != SIZE && b.length != LONG_SIZE) {
      throw new KnockException("payload must be " + SIZE + " bytes, not " + b.length);
    }
    int header = b[7] & 0xFF;
    int version = header >>> 5;
    if (version != VERSION && version != VERSION_2) {
      throw new KnockException("unsupported payload version " + version);
    }
    if (version == VERSION && (header & 3) != 0) {
      throw new KnockException("reserved header bits set");
    }
    int mode = ADDRESS_IPV4;
    if ((header & 1) != 0) { // version 2's address extension (§10): byte 12 says the mode
      mode = b[12] & 0xFF;
      if ((b[13] | b[14] | b[15]) != 0) {
        throw new KnockException("address extension with bytes 13-15 not zero");
      }
      if (mode != ADDRESS_SOURCE_64 && mode != ADDRESS_IPV6) {
        throw new KnockException("address mode " + mode + " not supported");
      }
    }
    if ((mode == ADDRESS_IPV6) != (b.length == LONG_SIZE)) {
      throw new KnockException(b.length == LONG_SIZE ? "a 32-byte payload needs address mode 2"
          : "address mode 2 needs a 32-byte payload");
    }
    long ts = timestampOf(b);
    int nonce = nonceOf(b);
    Verb verb = Verb.ofCode((header >>> 3) & 3);
    Protocol proto = (header & 4) != 0 ? Protocol.UDP : Protocol.TCP;
    int port = ((b[8] & 0xFF) << 8) | (b[9] & 0xFF);
    Duration d = Durations.decode(((b[10] & 0xFF) << 8) | (b[11] & 0xFF));
    int address = mode == ADDRESS_IPV4 ? getInt(b, 12) : 0;
    return new Payload(verb, proto, port, d, address, ts, nonce, version, (header & 2) != 0,
        mode, mode == ADDRESS_IPV6 ? java.util.Arrays.copyOfRange(b, SIZE, LONG_SIZE) : null);
  }

  /** The timestamp of a plaintext, read whatever its header says (bytes 0-3). */
  static long timestampOf(byte[] plain) {
    return getInt(plain, 0) & 0xFFFFFFFFL;
  }

  /** The nonce of a plaintext, read whatever its header says (bytes 4-6). */
  static int nonceOf(byte[] plain) {
    return ((plain[4] & 0xFF) << 16) | ((plain[5] & 0xFF) << 8) | (plain[6] & 0xFF);
  }

  static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }
}
