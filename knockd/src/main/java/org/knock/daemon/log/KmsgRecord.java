package org.knock.daemon.log;

import java.nio.charset.StandardCharsets;

/**
 * One /dev/kmsg record, {@code prio,seq,usec,flags[,...];message\n[ KEY=value\n]...}: the
 * message is the text up to the first newline (the continuation lines with device properties
 * are dropped).
 *
 * @param message the message, or null when the filter did not want it (never decoded)
 * @param facility syslog facility (0 for the kernel's own messages)
 * @param seq the kernel's record sequence number (consecutive; a gap means records were lost)
 * @param usec the record's timestamp, microseconds since boot (printk clock)
 */
record KmsgRecord(int facility, long seq, long usec, String message) {

  /** Parses bytes[0, length); null if it is not a kmsg record. */
  static KmsgRecord parse(byte[] bytes, int length) {
    return parse(bytes, length, LineFilter.ALL);
  }

  /**
   * Parses bytes[0, length); null if it is not a kmsg record. The message is decoded only if the
   * filter wants it, else it is null (the header is parsed either way: sequence numbers count).
   */
  static KmsgRecord parse(byte[] bytes, int length, LineFilter filter) {
    long[] fields = new long[3];
    int f = 0;
    int i = 0;
    long value = 0;
    boolean digits = false;
    while (i < length && f < 3) {
      byte b = bytes[i++];
      if (b >= '0' && b <= '9' && value < Long.MAX_VALUE / 10) {
        value = value * 10 + (b - '0');
        digits = true;
      } else if ((b == ',' || b == ';') && digits) {
        fields[f++] = value;
        value = 0;
        digits = false;
        if (b == ';') {
          i--;
          break;
        }
      } else {
        return null;
      }
    }
    if (f < 3) {
      return null;
    }
    while (i < length && bytes[i] != ';') {
      i++; // flags and any later fields
    }
    if (i >= length) {
      return null;
    }
    int start = i + 1;
    int end = start;
    while (end < length && bytes[end] != '\n') {
      end++;
    }
    String message = filter.wants(bytes, start, end)
        ? new String(bytes, start, end - start, StandardCharsets.UTF_8) : null;
    return new KmsgRecord((int) (fields[0] >> 3), fields[1], fields[2], message);
  }
}
