package org.knock.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.random.RandomGenerator;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * One user's secret: 256 random bits, from which separate 256-bit encryption and MAC keys are
 * derived with HKDF-SHA256. {@link #toString()} never shows key material.
 */
public final class KnockKey {
  /** Size of the secret in bytes. */
  public static final int SIZE = 32;
  private static final byte[] SALT = "knock-v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PASSPHRASE_SALT =
      "knock-v1 passphrase".getBytes(StandardCharsets.US_ASCII);
  /** scrypt cost: N = 2^15, r = 8, p = 1 (about 0.2 s and 32 MiB). */
  static final int SCRYPT_N = 1 << 15;

  private final byte[] secret;
  private final byte[] encKey;
  private final byte[] macKey;

  private KnockKey(byte[] secret) {
    if (secret.length != SIZE) {
      throw new IllegalArgumentException("a key is " + SIZE + " bytes");
    }
    this.secret = secret.clone();
    this.encKey = hkdf(secret, "knock enc");
    this.macKey = hkdf(secret, "knock mac");
  }

  /** A key from its 32 secret bytes. */
  public static KnockKey of(byte[] secret) {
    return new KnockKey(secret);
  }

  /** A new random key. */
  public static KnockKey generate(RandomGenerator random) {
    byte[] s = new byte[SIZE];
    random.nextBytes(s);
    return new KnockKey(s);
  }

  /**
   * The key from a passphrase, stretched with scrypt (N=2^15, r=8, p=1) under a fixed salt, so
   * client and daemon derive the same key from the same passphrase.
   */
  public static KnockKey fromPassphrase(char[] passphrase) throws KnockException {
    if (passphrase.length < 12) {
      throw new KnockException("passphrase too short: use at least 12 characters");
    }
    byte[] pw = new String(passphrase).getBytes(StandardCharsets.UTF_8);
    try {
      return new KnockKey(SCrypt.generate(pw, PASSPHRASE_SALT, SCRYPT_N, 8, 1, SIZE));
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /**
   * Reads the text of a key file: one line of base64 (44 characters) holding 32 bytes; blank lines
   * and lines starting with '#' are ignored.
   *
   * @throws KnockException naming the problem, without echoing the content
   */
  public static KnockKey parse(String keyFileText) throws KnockException {
    String found = null;
    for (String line : keyFileText.split("\n", -1)) {
      String l = line.trim();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      if (found != null) {
        throw new KnockException("key file has more than one key line");
      }
      found = l;
    }
    if (found == null) {
      throw new KnockException("key file holds no key");
    }
    byte[] b;
    try {
      b = Base64.getDecoder().decode(found);
    } catch (IllegalArgumentException e) {
      throw new KnockException("key file is not base64");
    }
    if (b.length != SIZE) {
      throw new KnockException("key must be " + SIZE + " bytes (" + SIZE * 8 + " bits), not "
          + b.length);
    }
    return new KnockKey(b);
  }

  /** The secret as base64, for a key file. */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(secret);
  }

  byte[] encKey() {
    return encKey;
  }

  byte[] macKey() {
    return macKey;
  }

  private static byte[] hkdf(byte[] ikm, String info) {
    HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
    g.init(new HKDFParameters(ikm, SALT, info.getBytes(StandardCharsets.US_ASCII)));
    byte[] out = new byte[32];
    g.generateBytes(out, 0, out.length);
    return out;
  }

  @Override
  public String toString() {
    return "KnockKey[hidden]";
  }
}
