package org.knock.daemon.log;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads one field of a journalctl {@code -o json} line: a flat JSON object whose values are
 * strings, numbers, null, or (for binary fields) arrays of byte values.
 */
final class JournalJson {
  private JournalJson() {}

  /** The value of field as text (byte arrays decoded as UTF-8), or null if absent or malformed. */
  static String field(String json, String field) {
    int n = json.length();
    int i = skipSpace(json, 0);
    if (i >= n || json.charAt(i) != '{') {
      return null;
    }
    i++;
    StringBuilder key = new StringBuilder();
    while (true) {
      i = skipSpace(json, i);
      if (i >= n || json.charAt(i) != '"') {
        return null;
      }
      key.setLength(0);
      i = readString(json, i, key);
      i = skipSpace(json, i);
      if (i < 0 || i >= n || json.charAt(i) != ':') {
        return null;
      }
      i = skipSpace(json, i + 1);
      if (i >= n) {
        return null;
      }
      boolean wanted = key.toString().equals(field);
      char c = json.charAt(i);
      if (c == '"') {
        StringBuilder value = new StringBuilder();
        i = readString(json, i, value);
        if (i < 0) {
          return null;
        }
        if (wanted) {
          return value.toString();
        }
      } else if (c == '[') {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        i = readByteArray(json, i, bytes);
        if (i < 0) {
          return null;
        }
        if (wanted) {
          return bytes.toString(StandardCharsets.UTF_8);
        }
      } else {
        int start = i;
        while (i < n && json.charAt(i) != ',' && json.charAt(i) != '}') {
          i++;
        }
        if (wanted) {
          String raw = json.substring(start, i).trim();
          return raw.equals("null") ? null : raw;
        }
      }
      i = skipSpace(json, i);
      if (i >= n) {
        return null;
      }
      if (json.charAt(i) == '}') {
        return null;
      }
      if (json.charAt(i) != ',') {
        return null;
      }
      i++;
    }
  }

  /** Reads the string starting at the quote at i into out; index after it, or -1. */
  private static int readString(String s, int i, StringBuilder out) {
    int n = s.length();
    i++;
    while (i < n) {
      char c = s.charAt(i++);
      if (c == '"') {
        return i;
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (i >= n) {
        return -1;
      }
      char e = s.charAt(i++);
      switch (e) {
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'u' -> {
          if (i + 4 > n) {
            return -1;
          }
          try {
            out.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          } catch (NumberFormatException x) {
            return -1;
          }
          i += 4;
        }
        default -> out.append(e); // \" \\ \/
      }
    }
    return -1;
  }

  private static int readByteArray(String s, int i, ByteArrayOutputStream out) {
    int n = s.length();
    i++;
    int value = -1;
    while (i < n) {
      char c = s.charAt(i++);
      if (c >= '0' && c <= '9') {
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        if (value > 255) {
          return -1;
        }
      } else if (c == ',' || c == ']') {
        if (value >= 0) {
          out.write(value);
        }
        value = -1;
        if (c == ']') {
          return i;
        }
      } else if (c != ' ') {
        return -1;
      }
    }
    return -1;
  }

  private static int skipSpace(String s, int i) {
    if (i < 0) {
      return s.length();
    }
    while (i < s.length() && s.charAt(i) == ' ') {
      i++;
    }
    return i;
  }
}
