package org.knock.daemon.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.knock.core.KnockException;
import org.knock.core.KnockKey;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.PortSpec;

/**
 * Reads {@code [user NAME]} sections and loads their keys. A key file must pass {@link
 * KeyFileCheck}; a config file holding a Passphrase must not be readable or writable by group or
 * others, as ssh demands of its keys.
 */
final class UserSection {
  static final List<String> KEYS =
      List.of("Key", "Passphrase", "CreateKey", "Allow", "MaxDuration", "AllowOtherAddress",
          "AcceptVersion1", KeyFileCheck.ALLOW_KEY);

  /** What one Allow line grants. */
  private record Allow(Set<PortSpec> ports, Set<Protocol> anyPort, boolean close,
      boolean denyFurther, List<String> actions, List<String> forwards) {}

  private UserSection() {}

  static List<UserConfig> parseAll(List<Ini.Section> sections, Set<String> actionNames,
      Set<String> forwardNames, Path baseDir, int configMode, ConfigFiles files, List<String> notices, Problems problems,
      List<java.net.InetAddress> serverAddresses) {
    List<UserConfig> out = new ArrayList<>();
    Map<String, UserConfig> byKey = new HashMap<>();
    Map<String, Integer> keyLines = new HashMap<>();
    for (Ini.Section s : sections) {
      String name = ConfigParser.nameOf(s);
      int before = problems.count();
      SectionKeys k = new SectionKeys(s, "[user " + name + "]", KEYS, Map.of(), problems);
      Allow allow = k.value("Allow", (key, v) -> allow(key, v, actionNames, forwardNames), null);
      if (!k.has("Allow")) {
        problems.add(s.line(), "user " + name + " may do nothing: add e.g. Allow = open 22/tcp");
      }
      Duration maxDuration =
          k.value("MaxDuration", Values::duration, UserConfig.DEFAULT_MAX_DURATION);
      Boolean other = k.value("AllowOtherAddress", Values::yesNo, false);
      Boolean version1 = k.value("AcceptVersion1", Values::yesNo, false);
      Boolean create = k.value("CreateKey", Values::yesNo, false);
      Boolean unchecked = k.value(KeyFileCheck.ALLOW_KEY, Values::yesNo, false);
      String keyName = k.has("Key") ? "Key" : "Passphrase";
      KnockKey key = null;
      String source = null;
      Map<org.knock.core.ServerBinding, KnockKey> passphraseKeys = new java.util.LinkedHashMap<>();
      if (k.has("Key") && k.has("Passphrase")) {
        k.problem("Passphrase", "give Key or Passphrase, not both");
      } else if (!k.has("Key") && !k.has("Passphrase")) {
        problems.add(s.line(), "user " + name + " has no Key: add Key = FILE");
      } else if (Boolean.TRUE.equals(create) && !k.has("Key")) {
        k.problem("CreateKey", "CreateKey needs Key = FILE");
      } else if (Boolean.TRUE.equals(unchecked) && !k.has("Key")) {
        k.problem(KeyFileCheck.ALLOW_KEY, KeyFileCheck.ALLOW_KEY + " needs Key = FILE");
      } else if (k.has("Key") && create != null && unchecked != null) {
        Path path = k.value("Key", (kk, v) -> Values.path(kk, v, baseDir), null);
        if (path != null) {
          try {
            key = keyFile(path, name, create, unchecked, files, notices);
            source = "key file " + path;
          } catch (BadValue b) {
            k.problem("Key", b.getMessage());
          }
        }
      } else if (k.has("Passphrase")) {
        if (configMode >= 0 && (configMode & 077) != 0) {
          k.problem("Passphrase", "Passphrase in a file " + exposure(configMode) + " (mode "
              + octal(configMode) + "): chmod 600 " + problems.file() + ", or use a Key file");
        } else if (serverAddresses.isEmpty()) {
          k.problem("Passphrase", "Passphrase needs [options] ServerAddress: the address(es) "
              + "clients knock, which the key is derived for");
        } else {
          try {
            char[] pass = k.entry("Passphrase").value().toCharArray();
            for (java.net.InetAddress a : serverAddresses) {
              org.knock.core.ServerBinding b = org.knock.core.ServerBinding.of(a.getAddress());
              KnockKey derived = KnockKey.fromPassphrase(pass, name, b);
              passphraseKeys.put(b, derived);
              if (key == null) {
                key = derived;
              }
            }
            source = "passphrase";
          } catch (KnockException e) {
            k.problem("Passphrase", "Passphrase: " + e.getMessage());
          }
        }
      }
      if (key != null) {
        UserConfig twin = byKey.get(key.toBase64());
        if (twin != null) {
          k.problem(keyName, "user " + name + " has the same key as user " + twin.name()
              + " (line " + keyLines.get(twin.name()) + ")");
        }
      }
      if (problems.count() > before) {
        continue;
      }
      UserConfig u = new UserConfig(name, key, source, allow.ports(), allow.anyPort(),
          allow.close(), allow.denyFurther(), allow.actions(), maxDuration, other, version1,
          passphraseKeys, Boolean.TRUE.equals(unchecked), allow.forwards());
      byKey.put(key.toBase64(), u);
      keyLines.put(name, k.entry(keyName).line());
      out.add(u);
    }
    return out;
  }

  private static KnockKey keyFile(Path path, String user, boolean create, boolean unchecked,
      ConfigFiles files, List<String> notices) throws BadValue {
    ConfigFiles.Content c;
    try {
      c = files.read(path);
    } catch (NoSuchFileException e) {
      if (!create) {
        throw new BadValue("key file " + path + " does not exist: make one with 'knock keygen'"
            + " (mode 600), or set CreateKey = yes");
      }
      try {
        c = files.createKey(path, user);
      } catch (FileAlreadyExistsException raced) {
        throw new BadValue("key file " + path + " appeared while it was being created");
      } catch (IOException io) {
        throw new BadValue("cannot create key file " + path + ": " + why(io));
      }
      notices.add("created key file " + path + " for user " + user
          + " (mode 600): give a copy to " + user + "'s client");
    } catch (IOException e) {
      throw new BadValue("cannot read key file " + path + ": " + why(e));
    }
    String refused = KeyFileCheck.problem(path, c, files.effectiveUid(), unchecked);
    if (refused != null) {
      throw new BadValue(refused);
    }
    try {
      return KnockKey.parse(c.text());
    } catch (KnockException e) {
      String m = e.getMessage();
      throw new BadValue(m.startsWith("key file ")
          ? "key file " + path + " " + m.substring("key file ".length())
          : "key file " + path + ": " + m);
    }
  }

  /** "readable by others", "writable by its group", ... for mode bits with some of 077 set. */
  static String exposure(int mode) {
    boolean others = (mode & 007) != 0;
    int bits = others ? mode & 007 : (mode >> 3) & 007;
    return ((bits & 4) != 0 ? "readable" : (bits & 2) != 0 ? "writable" : "usable")
        + " by " + (others ? "others" : "its group");
  }

  static String octal(int mode) {
    return String.format("%04o", mode);
  }

  /** A short reason for an I/O failure, without a stack trace. */
  static String why(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
      return ((FileSystemException) e).getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static Allow allow(String key, String value, Set<String> actionNames,
      Set<String> forwardNames) throws BadValue {
    List<String> forwards = new ArrayList<>();
    Set<PortSpec> ports = new LinkedHashSet<>();
    Set<Protocol> any = EnumSet.noneOf(Protocol.class);
    boolean close = false;
    boolean deny = false;
    List<String> actions = new ArrayList<>();
    for (String item : value.split(",", -1)) {
      String[] w = item.strip().split("\\s+");
      String verb = w[0].toLowerCase(Locale.ROOT);
      if (item.isBlank()) {
        throw new BadValue(key + ": empty item in '" + value + "'");
      } else if (verb.equals("open") && w.length == 2) {
        String p = w[1];
        if (p.equals("*")) {
          any.addAll(EnumSet.allOf(Protocol.class));
        } else if (p.startsWith("*/")) {
          Protocol proto = Protocol.ofWord(p.substring(2));
          if (proto == null) {
            throw new BadValue(key + ": bad protocol in '" + p + "': use /tcp or /udp");
          }
          any.add(proto);
        } else if (Character.isLetter(p.charAt(0))) {
          if (!forwardNames.contains(p)) {
            throw new BadValue(key + ": open " + p + ": there is no [forward " + p
                + "] section");
          }
          if (!forwards.contains(p)) {
            forwards.add(p);
          }
        } else {
          ports.add(Values.port(key, p, '/'));
        }
      } else if (verb.equals("close") && w.length == 1) {
        close = true;
      } else if (verb.equals("deny-further") && w.length == 1) {
        deny = true;
      } else if (verb.equals("run") && w.length == 2) {
        if (!actionNames.contains(w[1])) {
          throw new BadValue(key + ": run " + w[1] + ": there is no [action " + w[1]
              + "] section");
        }
        if (!actions.contains(w[1])) {
          actions.add(w[1]);
        }
      } else {
        throw new BadValue(key + ": cannot use '" + item.strip()
            + "': use open PORT[/PROTO], open *, open FORWARD, close, deny-further or run ACTION");
      }
    }
    return new Allow(ports, any, close, deny, actions, forwards);
  }
}
