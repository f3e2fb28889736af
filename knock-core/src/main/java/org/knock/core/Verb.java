package org.knock.core;

import java.util.Locale;

/** What a knock asks for. The code is the 2-bit value carried in the payload header. */
public enum Verb {
  OPEN(0, "open"),
  CLOSE(1, "close"),
  DENY_FURTHER(2, "deny-further"),
  RUN(3, "run");

  private final int code;
  private final String word;

  Verb(int code, String word) {
    this.code = code;
    this.word = word;
  }

  public int code() {
    return code;
  }

  /** The word used on the command line and in configs, e.g. {@code deny-further}. */
  public String word() {
    return word;
  }

  public static Verb ofCode(int code) {
    for (Verb v : values()) {
      if (v.code == code) {
        return v;
      }
    }
    throw new IllegalArgumentException("no verb with code " + code);
  }

  /** The verb for a word, or null. */
  public static Verb ofWord(String word) {
    String w = word.toLowerCase(Locale.ROOT);
    for (Verb v : values()) {
      if (v.word.equals(w)) {
        return v;
      }
    }
    return null;
  }
}
