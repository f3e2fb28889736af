package org.knock.client;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@code knock [options] HOST COMMAND...}, parsed getopt-style: short flags
 * may be clustered ({@code -uv}), a short option's value may follow it directly ({@code -d20}),
 * long options take {@code --name VALUE} or {@code --name=VALUE}, and {@code --} ends the options.
 * Options and operands may be mixed. Parsing touches no file, host or clock.
 */
final class ClientOptions {
  /** Settings given on the command line; they override the rc file. */
  final KnockSettings settings = new KnockSettings();
  boolean help;
  boolean version;
  boolean print;
  /** --passphrase: ask for the passphrase on the terminal, without echo. */
  boolean passphrase;
  boolean udp;
  boolean verbose;
  /** 4 or 6 when forced, else 0. */
  int family;
  /** Unix seconds to stamp instead of now, or null. */
  Long timestamp;
  /** Protocol version: 2 (bound to the server's address) or 1. */
  int protocol = 2;
  /** Seconds to wait for the opened port, or null for no waiting. */
  Integer waitSeconds;
  /** How many more times to knock (--retries), or null when not given. */
  Integer retries;
  /** How the address to grant was given ("-a", "--allow", "--source"), or null. */
  private String grantOption;
  /** HOST then the words of the command or the static sequence. */
  final List<String> operands = new ArrayList<>();

  /** Default seconds for a bare {@code --wait}. */
  static final int DEFAULT_WAIT_SECONDS = 10;
  /** The most {@code --retries} allowed. */
  static final int MAX_RETRIES = 10;

  private ClientOptions() {}

  static ClientOptions parse(String[] args) throws ClientException {
    ClientOptions o = new ClientOptions();
    int i = 0;
    while (i < args.length) {
      String a = args[i++];
      if ("--".equals(a)) {
        while (i < args.length) {
          o.operands.add(args[i++]);
        }
      } else if (a.startsWith("--")) {
        i = o.longOption(a, args, i);
      } else if (a.length() > 1 && a.charAt(0) == '-') {
        i = o.shortOptions(a, args, i);
      } else {
        o.operands.add(a);
      }
    }
    return o;
  }

  /** Handles one {@code --name[=value]}; returns the index of the next argument. */
  private int longOption(String a, String[] args, int next) throws ClientException {
    int eq = a.indexOf('=');
    String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
    String inline = eq < 0 ? null : a.substring(eq + 1);
    if ("wait".equals(name)) {
      if (inline != null) {
        waitSeconds = waitValue(inline);
      } else if (next < args.length && allDigits(args[next])) {
        waitSeconds = waitValue(args[next++]);
      } else {
        waitSeconds = DEFAULT_WAIT_SECONDS;
      }
      return next;
    }
    if (takesValue(name)) {
      String value = inline;
      if (value == null) {
        if (next >= args.length) {
          throw ClientException.usage("--" + name + " needs a value");
        }
        value = args[next++];
      }
      apply(name, "--" + name, value);
      return next;
    }
    if (inline != null) {
      if (isFlag(name)) {
        throw ClientException.usage("--" + name + " takes no value");
      }
      throw unknown("--" + name);
    }
    flag(name, "--" + name);
    return next;
  }

  /** Handles a cluster such as {@code -uv} or {@code -kFILE}; returns the next argument's index. */
  private int shortOptions(String a, String[] args, int next) throws ClientException {
    for (int p = 1; p < a.length(); p++) {
      char c = a.charAt(p);
      String name = longName(c);
      if (name == null) {
        throw unknown("-" + c);
      }
      if (takesValue(name)) {
        String value;
        if (p + 1 < a.length()) {
          value = a.substring(p + 1);
        } else if (next < args.length) {
          value = args[next++];
        } else {
          throw ClientException.usage("-" + c + " needs a value");
        }
        apply(name, "-" + c, value);
        return next;
      }
      flag(name, "-" + c);
    }
    return next;
  }

  private static String longName(char c) {
    switch (c) {
      case 'k':
        return "key";
      case 'U':
        return "user";
      case 'a':
        return "allow";
      case 'p':
        return "ports";
      case 'd':
        return "delay";
      case 'u':
        return "udp";
      case 'v':
        return "verbose";
      case 'h':
        return "help";
      case 'V':
        return "version";
      case '4':
        return "ipv4";
      case '6':
        return "ipv6";
      default:
        return null;
    }
  }

  private static boolean takesValue(String name) {
    switch (name) {
      case "key":
      case "user":
      case "passphrase-file":
      case "allow":
      case "allow-prefix":
      case "ports":
      case "random-ports":
      case "cipher":
      case "mapping":
      case "delay":
      case "timestamp":
      case "protocol":
      case "retries":
        return true;
      default:
        return false;
    }
  }

  private static boolean isFlag(String name) {
    switch (name) {
      case "source":
      case "passphrase":
      case "print":
      case "udp":
      case "verbose":
      case "help":
      case "version":
      case "ipv4":
      case "ipv6":
        return true;
      default:
        return false;
    }
  }

  private void apply(String name, String shown, String value) throws ClientException {
    if ("allow".equals(name) || "allow-prefix".equals(name)) {
      grantGivenBy(shown);
    }
    try {
      switch (name) {
        case "key":
          if (value.isEmpty()) {
            throw ClientException.usage("key: empty file name");
          }
          settings.key = value;
          break;
        case "user":
          settings.user = KnockSettings.parseUser(value);
          break;
        case "passphrase-file":
          if (value.isEmpty()) {
            throw ClientException.usage("passphrase-file: empty file name");
          }
          settings.passphraseFile = value;
          break;
        case "allow":
          settings.grant = KnockSettings.parseAllow(value);
          break;
        case "allow-prefix":
          settings.grant = KnockSettings.parseAllowPrefix(value);
          break;
        case "ports":
          settings.ports = KnockSettings.parsePorts(value);
          settings.portsOrigin = shown;
          break;
        case "random-ports":
          settings.randomPorts = KnockSettings.parseRandomPorts(value);
          break;
        case "cipher":
          settings.cipher = KnockSettings.parseCipher(value);
          break;
        case "mapping":
          settings.mapping = KnockSettings.parseMapping(value);
          break;
        case "delay":
          settings.delay = KnockSettings.parseDelay(value);
          break;
        case "timestamp":
          timestamp = timestampValue(value);
          break;
        case "protocol":
          if (!value.equals("1") && !value.equals("2")) {
            throw ClientException.usage("protocol: '" + value + "': use 2 (the default: bound to "
                + "the server's address) or 1 (for servers that accept version 1)");
          }
          protocol = Integer.parseInt(value);
          break;
        case "retries":
          retries = retriesValue(value);
          break;
        default:
          throw new AssertionError(name);
      }
    } catch (ClientException e) {
      // "allow: bad address ..." becomes "-a: bad address ..."
      String m = e.getMessage();
      int colon = m.indexOf(": ");
      throw ClientException.usage(shown + m.substring(colon < 0 ? 0 : colon));
    }
  }

  private void flag(String name, String shown) throws ClientException {
    switch (name) {
      case "passphrase":
        passphrase = true;
        break;
      case "source":
        settings.grant = KnockSettings.GRANT_SOURCE;
        grantGivenBy(shown);
        break;
      case "print":
        print = true;
        break;
      case "udp":
        udp = true;
        break;
      case "verbose":
        verbose = true;
        break;
      case "help":
        help = true;
        break;
      case "version":
        version = true;
        break;
      case "ipv4":
      case "ipv6":
        int f = "ipv4".equals(name) ? 4 : 6;
        if (family != 0 && family != f) {
          throw ClientException.usage("-4 and -6 exclude each other");
        }
        family = f;
        break;
      default:
        throw unknown(shown);
    }
  }

  /**
   * --allow, --source and --allow-prefix name the address to grant in three ways: only one may be
   * given.
   */
  private void grantGivenBy(String shown) throws ClientException {
    if (grantOption != null && !grantKind(grantOption).equals(grantKind(shown))) {
      throw ClientException.usage(grantOption + " and " + shown + " exclude each other: grant "
          + "either a given address, the knock's source or its source /64");
    }
    grantOption = shown;
  }

  private static String grantKind(String shown) {
    return "--source".equals(shown) || "--allow-prefix".equals(shown) ? shown : "--allow";
  }

  private static ClientException unknown(String shown) {
    return ClientException.usage("unknown option " + shown + " (see knock --help)");
  }

  private static int waitValue(String s) throws ClientException {
    int n = KnockSettings.number(s);
    if (n < 1 || n > 3600) {
      throw ClientException.usage("--wait: " + (allDigits(s) ? s + " seconds is out of range"
          : "bad number of seconds '" + s + "'") + ": use 1-3600");
    }
    return n;
  }

  private static int retriesValue(String s) throws ClientException {
    int n = KnockSettings.number(s);
    if (n < 0 || n > MAX_RETRIES) {
      throw ClientException.usage("retries: " + (allDigits(s) ? s + " is out of range"
          : "bad number '" + s + "'") + ": use 0-" + MAX_RETRIES);
    }
    return n;
  }

  /** True for a non-empty string of ASCII digits, however long. */
  static boolean allDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static long timestampValue(String s) throws ClientException {
    if (s.isEmpty() || s.length() > 10) {
      throw ClientException.usage("timestamp: bad time '" + s + "': use Unix seconds");
    }
    long t = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw ClientException.usage("timestamp: bad time '" + s + "': use Unix seconds");
      }
      t = t * 10 + (c - '0');
    }
    if (t > 0xFFFFFFFFL) {
      throw ClientException.usage("timestamp: " + s + " is beyond 2106 (the payload holds 32 bits)");
    }
    return t;
  }
}
