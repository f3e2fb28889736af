package org.knock.core;

import java.util.Locale;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.engines.BlowfishEngine;
import org.bouncycastle.crypto.engines.TwofishEngine;

/** The block ciphers a knock can be sealed with. The id is bound into the tag. */
public enum CipherSuite {
  /** Twofish, 256-bit key, one 16-byte block. The default. */
  TWOFISH(1),
  /** Blowfish, 256-bit key, two 8-byte blocks in CBC. Krzywinski's classic. */
  BLOWFISH(2);

  private final int id;

  CipherSuite(int id) {
    this.id = id;
  }

  int id() {
    return id;
  }

  BlockCipher newEngine() {
    return this == TWOFISH ? new TwofishEngine() : new BlowfishEngine();
  }

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The suite for "twofish" or "blowfish" (any case), or null. */
  public static CipherSuite ofWord(String w) {
    for (CipherSuite s : values()) {
      if (s.word().equalsIgnoreCase(w.trim())) {
        return s;
      }
    }
    return null;
  }
}
