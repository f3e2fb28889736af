package org.knock.client;

import org.knock.core.CipherSuite;
import org.knock.core.PortMapping;

/**
 * The settings a knockrc stanza or the command line may give: key file, knock range, cipher,
 * mapping, the address to grant, and the delay between knocks. Each is null until set; {@link
 * #fillFrom} takes the unset ones from a weaker source. The value parsers here are shared by the
 * command line and the rc file and report problems as "NAME: ..." without the source's prefix.
 */
final class KnockSettings {
  /** Grant the knock's own source address (payload address 0). */
  static final String GRANT_SOURCE = "source";
  /** Grant this machine's outgoing address toward the host. */
  static final String GRANT_AUTO = "auto";
  /** Grant the knock's source /64 (IPv6 only; address mode 1). */
  static final String GRANT_PREFIX_64 = "prefix 64";

  String key;
  /** The user name a passphrase is salted with: the server's {@code [user NAME]}. */
  String user;
  /** A file holding the passphrase (for cron), instead of a key file. */
  String passphraseFile;
  int[] ports;
  /** Where {@link #ports} was given, for errors: "-p", "--ports" or "FILE:LINE: ports". */
  String portsOrigin;
  /** The server's RandomPorts, START and END, for {@code open PORT random}. */
  int[] randomPorts;
  CipherSuite cipher;
  PortMapping mapping;
  /** {@link #GRANT_SOURCE}, {@link #GRANT_AUTO}, {@link #GRANT_PREFIX_64}, an IPv4 or IPv6. */
  String grant;
  Integer delay;

  /** Fills every unset field from {@code weaker}. */
  void fillFrom(KnockSettings weaker) {
    if (key == null) {
      key = weaker.key;
    }
    if (user == null) {
      user = weaker.user;
    }
    if (passphraseFile == null) {
      passphraseFile = weaker.passphraseFile;
    }
    if (ports == null) {
      ports = weaker.ports;
      portsOrigin = weaker.portsOrigin;
    }
    if (randomPorts == null) {
      randomPorts = weaker.randomPorts;
    }
    if (cipher == null) {
      cipher = weaker.cipher;
    }
    if (mapping == null) {
      mapping = weaker.mapping;
    }
    if (grant == null) {
      grant = weaker.grant;
    }
    if (delay == null) {
      delay = weaker.delay;
    }
  }

  /** Parses {@code START-END}; both 1-65535, START at most END. */
  /** A user name as knockd.conf's {@code [user NAME]} takes it: letters, digits, '.', '_', '-'. */
  static String parseUser(String s) throws ClientException {
    if (!s.matches("[A-Za-z0-9._-]{1,64}")) {
      throw ClientException.usage("user: bad name '" + SafeText.of(s) + "': use letters, digits, "
          + "'.', '_' and '-'");
    }
    return s;
  }

  /** Parses the server's RandomPorts, {@code START-END}. */
  static int[] parseRandomPorts(String s) throws ClientException {
    try {
      return parsePorts(s);
    } catch (ClientException e) {
      throw ClientException.usage("random-ports: bad range '" + SafeText.of(s)
          + "': use START-END, e.g. 40000-49999 (the server's RandomPorts)");
    }
  }

  static int[] parsePorts(String s) throws ClientException {
    int dash = s.indexOf('-');
    if (dash > 0) {
      int start = number(s.substring(0, dash));
      int end = number(s.substring(dash + 1));
      if (start >= 1 && end <= 65535 && start <= end) {
        return new int[] {start, end};
      }
    }
    throw ClientException.usage("ports: bad range '" + s + "': use START-END, e.g. 20000-25119");
  }

  static CipherSuite parseCipher(String s) throws ClientException {
    CipherSuite c = CipherSuite.ofWord(s);
    if (c == null) {
      throw ClientException.usage("cipher: unknown cipher '" + s + "': use twofish or blowfish");
    }
    return c;
  }

  static PortMapping parseMapping(String s) throws ClientException {
    PortMapping m = PortMapping.ofWord(s);
    if (m == null) {
      throw ClientException.usage("mapping: unknown mapping '" + s + "': use indexed or classic");
    }
    return m;
  }

  /** Parses a delay in milliseconds, 0-60000. */
  static int parseDelay(String s) throws ClientException {
    int d = number(s);
    if (d < 0 || d > 60000) {
      throw ClientException.usage("delay: bad delay '" + s + "': use milliseconds 0-60000");
    }
    return d;
  }

  /** Checks a dotted IPv4 or an IPv6 address to grant and returns it unchanged. */
  static String parseAllow(String s) throws ClientException {
    if (s.indexOf(':') >= 0 && Ipv4.parse6(s) != null) {
      return s;
    }
    long a = Ipv4.parse(s);
    if (a < 0) {
      throw ClientException.usage("allow: bad address '" + SafeText.of(s) + "': use an IPv4 "
          + "address such as 192.0.2.7, an IPv6 address such as 2001:db8::7, or --source");
    }
    if (a == 0) {
      throw ClientException.usage("allow: 0.0.0.0 cannot be granted: use --source to grant the "
          + "knock's own source address");
    }
    return s;
  }

  /** Checks an {@code --allow-prefix} length: 64 (the knock's source /64) is the one there is. */
  static String parseAllowPrefix(String s) throws ClientException {
    if (!"64".equals(s)) {
      throw ClientException.usage("allow-prefix: '" + SafeText.of(s) + "': use 64 (grant the "
          + "knock's IPv6 source /64)");
    }
    return GRANT_PREFIX_64;
  }

  /** Parses yes/no, true/false, on/off, 1/0. */
  static boolean parseBoolean(String name, String s) throws ClientException {
    switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "yes":
      case "true":
      case "on":
      case "1":
        return true;
      case "no":
      case "false":
      case "off":
      case "0":
        return false;
      default:
        throw ClientException.usage(name + ": '" + s + "' is not yes or no");
    }
  }

  /** A non-negative decimal number of at most 9 digits, or -1. */
  static int number(String s) {
    if (s.isEmpty() || s.length() > 9) {
      return -1;
    }
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }
}
