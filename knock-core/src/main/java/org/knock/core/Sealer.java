package org.knock.core;

import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * Seals a 16-byte plaintext into a 20-byte knock message (a 32-byte one, address mode 2, into 36
 * bytes) and opens it again, for one key and one cipher suite: encrypt-then-MAC.
 *
 * <pre>
 * C   = CBC-Encrypt(encKey, IV = 0, P)            16 bytes (1 Twofish or 2 Blowfish blocks)
 * tag = HMAC-SHA256(macKey, "kn" | 1 | suite | C)[0..4)             version 1
 * tag = HMAC-SHA256(macKey, "kn" | 2 | suite | server | C)[0..4)    version 2, bound to a server
 * message = C | tag                               20 bytes (36 with a 32-byte plaintext)
 * </pre>
 *
 * The zero IV is safe because the first 8 plaintext bytes (timestamp and random nonce) never
 * repeat for one key. Tags are compared in constant time. Not thread-safe: one per thread.
 */
public final class Sealer {
  /** Length of the authentication tag in bytes (32 bits). */
  public static final int TAG_SIZE = 4;
  /** Length of a sealed message in bytes. */
  public static final int MESSAGE_SIZE = Payload.SIZE + TAG_SIZE;
  /** Length of a sealed message that carries an IPv6 address (address mode 2). */
  public static final int LONG_MESSAGE_SIZE = Payload.LONG_SIZE + TAG_SIZE;

  private final CipherSuite suite;
  private final BlockCipher encrypt;
  private final BlockCipher decrypt;
  private final HMac mac;
  private final byte[] macOut = new byte[32];
  private final byte[] prefix;

  /** A version-1 sealer (unbound). */
  public Sealer(KnockKey key, CipherSuite suite) {
    this(key, suite, null);
  }

  /** A version-2 sealer bound to {@code server}; null: version 1. */
  public Sealer(KnockKey key, CipherSuite suite, ServerBinding server) {
    this.suite = suite;
    this.encrypt = cbc(suite, key, true);
    this.decrypt = cbc(suite, key, false);
    this.mac = new HMac(new SHA256Digest());
    this.mac.init(new KeyParameter(key.macKey()));
    this.prefix = tagPrefix(suite, server);
  }

  /** What the tag covers before the ciphertext: "kn", the version, the suite, the server. */
  static byte[] tagPrefix(CipherSuite suite, ServerBinding server) {
    byte[] head = {'k', 'n', (byte) (server == null ? 1 : 2), (byte) suite.id()};
    if (server == null) {
      return head;
    }
    byte[] p = java.util.Arrays.copyOf(head, head.length + 16);
    System.arraycopy(server.bytes(), 0, p, head.length, 16);
    return p;
  }

  private static BlockCipher cbc(CipherSuite suite, KnockKey key, boolean forEncryption) {
    BlockCipher c = CBCBlockCipher.newInstance(suite.newEngine());
    c.init(forEncryption,
        new ParametersWithIV(new KeyParameter(key.encKey()), new byte[c.getBlockSize()]));
    return c;
  }

  public CipherSuite suite() {
    return suite;
  }

  /** Encrypts and tags a 16-byte (or 32-byte) plaintext. */
  public byte[] seal(byte[] plaintext) {
    int n = plaintext.length;
    if (n != Payload.SIZE && n != Payload.LONG_SIZE) {
      throw new IllegalArgumentException("plaintext must be " + Payload.SIZE + " or "
          + Payload.LONG_SIZE + " bytes");
    }
    byte[] m = new byte[n + TAG_SIZE];
    encrypt.reset();
    for (int off = 0; off < n; off += encrypt.getBlockSize()) {
      encrypt.processBlock(plaintext, off, m, off);
    }
    tag(m, macOut);
    System.arraycopy(macOut, 0, m, n, TAG_SIZE);
    return m;
  }

  /** True if the message's tag is right for this key (constant time in the tag). */
  public boolean verify(byte[] message) {
    if (message.length != MESSAGE_SIZE && message.length != LONG_MESSAGE_SIZE) {
      return false;
    }
    tag(message, macOut);
    int n = message.length - TAG_SIZE;
    int diff = 0;
    for (int i = 0; i < TAG_SIZE; i++) {
      diff |= macOut[i] ^ message[n + i];
    }
    return diff == 0;
  }

  /** Decrypts a message whose tag has been verified; returns the 16-byte (32-byte) plaintext. */
  public byte[] decrypt(byte[] message) {
    int n = message.length - TAG_SIZE;
    byte[] p = new byte[n];
    decrypt.reset();
    for (int off = 0; off < n; off += decrypt.getBlockSize()) {
      decrypt.processBlock(message, off, p, off);
    }
    return p;
  }

  /** Verifies and decrypts; null if the tag is wrong. */
  public byte[] open(byte[] message) {
    return verify(message) ? decrypt(message) : null;
  }

  private void tag(byte[] message, byte[] out) {
    mac.reset();
    mac.update(prefix, 0, prefix.length);
    mac.update(message, 0, message.length - TAG_SIZE);
    mac.doFinal(out, 0);
  }
}
