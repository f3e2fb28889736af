package org.knock.client;

/**
 * Makes text from outside (host names, paths, rc lines, system messages) safe to print on a
 * terminal: control characters (C0, DEL, C1), format characters such as the bidi overrides
 * U+202A-U+202E and U+2066-U+2069, line and paragraph separators, private-use and unassigned
 * code points and lone surrogates become hex escapes (backslash, then x and 2 digits, u and 4,
 * or U and 8); everything else, including ordinary non-ASCII letters, is kept. The result never
 * holds a character that moves the cursor, changes colours or reorders text.
 */
final class SafeText {
  private SafeText() {}

  static String of(String s) {
    if (s == null) {
      return "null";
    }
    int i = 0;
    while (i < s.length() && !unsafe(s.codePointAt(i))) {
      i += Character.charCount(s.codePointAt(i));
    }
    if (i == s.length()) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
    while (i < s.length()) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      if (!unsafe(c)) {
        b.appendCodePoint(c);
      } else if (c <= 0xFF) {
        b.append("\\x").append(hex(c, 2));
      } else if (c <= 0xFFFF) {
        b.append("\\u").append(hex(c, 4));
      } else {
        b.append("\\U").append(hex(c, 8));
      }
    }
    return b.toString();
  }

  private static boolean unsafe(int c) {
    if (c >= 0x20 && c < 0x7F) {
      return false;
    }
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
      return true;
    }
    switch (Character.getType(c)) {
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
      case Character.SURROGATE:
      case Character.PRIVATE_USE:
      case Character.UNASSIGNED:
        return true;
      default:
        return false;
    }
  }

  private static String hex(int c, int digits) {
    String h = Integer.toHexString(c);
    StringBuilder b = new StringBuilder(digits);
    for (int i = h.length(); i < digits; i++) {
      b.append('0');
    }
    return b.append(h).toString();
  }
}
