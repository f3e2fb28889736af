package org.knock.client;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code ~/.knock/knockrc}: a {@code [default]} stanza and one stanza per host, like
 * fwknop's ~/.fwknoprc. Each line is {@code NAME = VALUE} or {@code NAME VALUE} (names: key,
 * ports, random-ports, cipher, mapping, allow, allow-prefix, source, delay; any case); '#' starts a
 * comment line. A relative key path is taken relative to {@code baseDir}, {@code ~/} to the home
 * directory. A leading byte order mark is skipped. Errors are reported as {@code FILE:LINE: ...},
 * and a knock range that only later proves wrong for the mapping keeps its {@code FILE:LINE} in
 * {@link
 * KnockSettings#portsOrigin}. Parsing does no I/O: the caller passes the text.
 */
final class RcFile {
  private final Map<String, KnockSettings> stanzas = new HashMap<>();

  private RcFile() {}

  /** An rc file with no stanzas, for when there is no file. */
  static RcFile empty() {
    return new RcFile();
  }

  /**
   * Parses rc text.
   *
   * @param name the file name for error messages
   * @param baseDir the directory relative key paths are resolved against
   * @param home the home directory for {@code ~/}
   */
  static RcFile parse(String text, String name, String baseDir, String home)
      throws ClientException {
    RcFile rc = new RcFile();
    KnockSettings current = null;
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1); // a UTF-8 byte order mark, as some editors write
    }
    int lineNo = 0;
    int start = 0;
    while (start <= text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      String line = text.substring(start, end).trim();
      start = end + 1;
      lineNo++;
      if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';') {
        continue;
      }
      String where = name + ":" + lineNo + ": ";
      if (line.charAt(0) == '[') {
        if (line.charAt(line.length() - 1) != ']' || line.length() < 3) {
          throw ClientException.usage(where + "bad section header '" + line
              + "': use [default] or [HOSTNAME]");
        }
        String host = line.substring(1, line.length() - 1).trim().toLowerCase(Locale.ROOT);
        if (rc.stanzas.containsKey(host)) {
          throw ClientException.usage(where + "section [" + host + "] appears twice");
        }
        current = new KnockSettings();
        rc.stanzas.put(host, current);
        continue;
      }
      if (current == null) {
        throw ClientException.usage(where + "setting outside a section: start with [default] or "
            + "[HOSTNAME]");
      }
      int sep = 0;
      while (sep < line.length() && line.charAt(sep) != '=' && line.charAt(sep) != ' '
          && line.charAt(sep) != '\t') {
        sep++;
      }
      String key = line.substring(0, sep).toLowerCase(Locale.ROOT);
      String value = line.substring(sep).trim();
      if (value.startsWith("=")) {
        value = value.substring(1).trim();
      }
      try {
        set(current, key, value, baseDir, home);
        if ("ports".equals(key)) {
          current.portsOrigin = where + "ports";
        }
      } catch (ClientException e) {
        throw ClientException.usage(where + e.getMessage());
      }
    }
    return rc;
  }

  private static void set(KnockSettings s, String key, String value, String baseDir, String home)
      throws ClientException {
    if (value.isEmpty() && !"source".equals(key)) {
      throw ClientException.usage(key + ": missing value");
    }
    switch (key) {
      case "key":
        s.key = resolve(value, baseDir, home);
        break;
      case "user":
        s.user = KnockSettings.parseUser(value);
        break;
      case "passphrase-file":
        s.passphraseFile = resolve(value, baseDir, home);
        break;
      case "ports":
        s.ports = KnockSettings.parsePorts(value);
        break;
      case "random-ports":
        s.randomPorts = KnockSettings.parseRandomPorts(value);
        break;
      case "cipher":
        s.cipher = KnockSettings.parseCipher(value);
        break;
      case "mapping":
        s.mapping = KnockSettings.parseMapping(value);
        break;
      case "allow":
        s.grant = "auto".equalsIgnoreCase(value) ? KnockSettings.GRANT_AUTO
            : KnockSettings.parseAllow(value);
        break;
      case "allow-prefix":
        s.grant = KnockSettings.parseAllowPrefix(value);
        break;
      case "source":
        s.grant = value.isEmpty() || KnockSettings.parseBoolean("source", value)
            ? KnockSettings.GRANT_SOURCE : KnockSettings.GRANT_AUTO;
        break;
      case "delay":
        s.delay = KnockSettings.parseDelay(value);
        break;
      default:
        throw ClientException.usage("unknown setting '" + key
            + "': use key, user, passphrase-file, ports, random-ports, cipher, mapping, allow, "
            + "allow-prefix, "
            + "source or delay");
    }
  }

  private static String resolve(String path, String baseDir, String home) {
    if (path.startsWith("~/")) {
      return home + path.substring(1);
    }
    if (path.startsWith("/")) {
      return path;
    }
    return baseDir + "/" + path;
  }

  /**
   * The settings for a host: its stanza over the [default] stanza. The host is matched as typed
   * on the command line, ignoring case.
   */
  KnockSettings forHost(String host) {
    KnockSettings s = new KnockSettings();
    KnockSettings h = stanzas.get(host.toLowerCase(Locale.ROOT));
    if (h != null) {
      s.fillFrom(h);
    }
    KnockSettings d = stanzas.get("default");
    if (d != null) {
      s.fillFrom(d);
    }
    return s;
  }
}
