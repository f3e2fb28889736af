package org.knock.client;

import java.util.List;

/**
 * A knockd-compatible static sequence: {@code PORT[:tcp|:udp]...}, as Debian's knock client takes
 * it. A list of words is a static sequence when every word starts with a digit.
 */
final class StaticSequence {
  final int[] ports;
  final boolean[] udp;

  private StaticSequence(int[] ports, boolean[] udp) {
    this.ports = ports;
    this.udp = udp;
  }

  /** True if every word starts with a digit, so they are meant as ports. */
  static boolean looksStatic(List<String> words) {
    if (words.isEmpty()) {
      return false;
    }
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (w.isEmpty() || w.charAt(0) < '0' || w.charAt(0) > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses the words.
   *
   * @param udpDefault the protocol of a port without a suffix: UDP with {@code -u}
   */
  static StaticSequence parse(List<String> words, boolean udpDefault) throws ClientException {
    int[] ports = new int[words.size()];
    boolean[] udp = new boolean[words.size()];
    for (int i = 0; i < ports.length; i++) {
      String w = words.get(i);
      int colon = w.indexOf(':');
      String num = colon < 0 ? w : w.substring(0, colon);
      udp[i] = udpDefault;
      if (colon >= 0) {
        String proto = w.substring(colon + 1);
        if ("udp".equalsIgnoreCase(proto)) {
          udp[i] = true;
        } else if ("tcp".equalsIgnoreCase(proto)) {
          udp[i] = false;
        } else {
          throw ClientException.usage("bad protocol in '" + w + "': use PORT, PORT:tcp or PORT:udp");
        }
      }
      int p = KnockSettings.number(num);
      if (p < 1 || p > 65535) {
        throw ClientException.usage("bad port '" + w + "': use a number 1-65535");
      }
      ports[i] = p;
    }
    return new StaticSequence(ports, udp);
  }
}
