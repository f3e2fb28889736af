package org.knock.daemon.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knock.core.CipherSuite;
import org.knock.core.PortMapping;
import org.knock.core.KnockException;
import org.knock.core.Ports;
import org.knock.daemon.firewall.KnockReply;
import org.knock.daemon.firewall.PortSpec;
import org.knock.daemon.exec.CommandTemplate;

/** Reads {@code [options]}. */
final class OptionsSection {
  static final List<String> KEYS = List.of("FirewallLog", "KnockPorts", "Cipher", "Mapping",
      "Firewall", "Protect", "LogPrefix", "AuditLog", "AuditFormat", "StateDir", "TimeWindow",
      "SequenceTimeout", "DefaultDuration", "MaxCombinations", "MaxTagChecks", "MaxSources",
      "UdpKnocks", "NftSet", "OpenCommand", "CloseCommand", "CommandTimeout", "AllowRoot",
      "KnockReply", "ServerAddress", "SelfTest",
      "OnExit", "RandomPorts", "KmsgPoll");
  private static final int MAX_COMBINATIONS = 1 << 20;
  private static final int MAX_SOURCES = 1 << 24;
  private static final int MAX_TAG_CHECKS = 1 << 30;

  private OptionsSection() {}

  /** The options, or null if any is bad (the problems are reported). */
  static Options parse(Ini.Section section, Path baseDir, List<String> notices,
      Problems problems) {
    int before = problems.count();
    SectionKeys k = new SectionKeys(section, "[options]", KEYS, Map.of(),
        SectionKeys.KNOCKD_OPTIONS, notices, problems);
    Options d = Options.defaults();
    FirewallLog firewallLog = k.value("FirewallLog", (key, v) -> firewallLog(key, v, baseDir),
        null);
    KnockRange range = k.value("KnockPorts", OptionsSection::range, d.knockPorts());
    CipherSuite cipher = k.value("Cipher", (key, v) -> CipherSuite.ofWord(
        Values.word(key, v, "cipher", List.of("twofish", "blowfish"))), d.cipher());
    PortMapping mapping = k.value("Mapping", (key, v) -> PortMapping.ofWord(
        Values.word(key, v, "mapping", List.of("indexed", "classic"))), d.mapping());
    FirewallType firewall = k.value("Firewall", (key, v) -> FirewallType.valueOf(
        Values.word(key, v, "firewall", List.of("nftables", "iptables", "command", "none"))
            .toUpperCase(Locale.ROOT)), d.firewall());
    List<PortSpec> protect = k.value("Protect", (key, v) -> v.equalsIgnoreCase("none")
        ? List.of() : Values.ports(key, v, '/', true), d.protect());
    String logPrefix = k.value("LogPrefix", OptionsSection::logPrefix, d.logPrefix());
    Path auditLog = k.value("AuditLog",
        (key, v) -> v.equals("-") ? null : Values.path(key, v, baseDir), d.auditLog());
    AuditFormat auditFormat = k.value("AuditFormat", (key, v) -> AuditFormat.valueOf(
        Values.word(key, v, "format", List.of("text", "json")).toUpperCase(Locale.ROOT)),
        d.auditFormat());
    Path stateDir = k.value("StateDir", (key, v) -> Values.path(key, v, baseDir), d.stateDir());
    Duration timeWindow = k.value("TimeWindow", Values::duration, d.timeWindow());
    Duration sequenceTimeout = k.value("SequenceTimeout", Values::duration, d.sequenceTimeout());
    Duration defaultDuration = k.value("DefaultDuration", Values::duration, d.defaultDuration());
    Integer maxCombinations = k.value("MaxCombinations",
        (key, v) -> Values.count(key, v, MAX_COMBINATIONS), d.maxCombinations());
    Integer maxTagChecks = k.value("MaxTagChecks",
        (key, v) -> Values.count(key, v, MAX_TAG_CHECKS), d.maxTagChecks());
    List<java.net.InetAddress> serverAddresses =
        k.value("ServerAddress", Values::addresses, d.serverAddresses());
    Integer maxSources = k.value("MaxSources", (key, v) -> Values.count(key, v, MAX_SOURCES),
        d.maxSources());
    Boolean udpKnocks = k.value("UdpKnocks", Values::yesNo, d.udpKnocks());
    NftSet nftSet = k.value("NftSet", (key, v) -> v.equalsIgnoreCase("none") ? null
        : NftSet.parse(key, v), null);
    CommandTemplate open = k.value("OpenCommand", (key, v) ->
        Values.command(key, v, Options.FIREWALL_PLACEHOLDERS), null);
    CommandTemplate close = k.value("CloseCommand", (key, v) ->
        Values.command(key, v, Options.FIREWALL_PLACEHOLDERS), null);
    Duration commandTimeout = k.value("CommandTimeout", Values::duration, d.commandTimeout());
    Boolean allowRoot = k.value("AllowRoot", Values::yesNo, d.allowRoot());
    KnockReply knockReply = k.value("KnockReply", (key, v) -> KnockReply.valueOf(
        Values.word(key, v, "reply", List.of("drop", "reset", "auto")).toUpperCase(Locale.ROOT)),
        d.knockReply());
    Boolean selfTest = k.value("SelfTest", Values::yesNo, d.selfTest());
    OnExit onExit = k.value("OnExit", (key, v) -> OnExit.valueOf(
        Values.word(key, v, "value", List.of("keep", "remove")).toUpperCase(Locale.ROOT)),
        d.onExit());
    KnockRange randomPorts = k.value("RandomPorts", (key, v) -> v.equalsIgnoreCase("none")
        ? null : range(key, v), d.randomPorts());
    Duration kmsgPoll = k.value("KmsgPoll", (key, v) -> v.equalsIgnoreCase("off") ? null
        : Values.millis(key, v, Options.MIN_KMSG_POLL, Options.MAX_KMSG_POLL), null);

    if (range != null && mapping != null && range.size() < mapping.rangeSize()) {
      int need = mapping.rangeSize();
      String example = range.start() + need - 1 <= 65535
          ? " (e.g. " + range.start() + "-" + (range.start() + need - 1) + ")" : "";
      k.problem("KnockPorts", "KnockPorts: " + range + " has " + range.size() + " ports; the "
          + mapping.word() + " mapping needs at least " + need + example);
    }
    if (range != null && protect != null) {
      for (PortSpec p : protect) {
        if (range.contains(p.port())) {
          k.problem("Protect", "Protect: " + p + " lies inside KnockPorts " + range
              + ": knocks go to closed ports only");
          break;
        }
      }
    }
    if (kmsgPoll != null && firewallLog != null && firewallLog.kind() != FirewallLog.Kind.KMSG) {
      k.problem("KmsgPoll", "KmsgPoll is only used with FirewallLog = kmsg");
    }
    if (randomPorts != null) {
      randomPortsOverlap(k, randomPorts, range, protect);
    }
    if (firewall != null) {
      if (firewall == FirewallType.COMMAND) {
        if (!k.has("OpenCommand") || !k.has("CloseCommand")) {
          k.problem("Firewall", "Firewall = command needs OpenCommand and CloseCommand");
        }
      } else {
        for (String c : List.of("OpenCommand", "CloseCommand")) {
          if (k.has(c)) {
            k.problem(c, c + " is only used with Firewall = command");
          }
        }
      }
      if (firewall != FirewallType.NFTABLES && k.has("NftSet")) {
        k.problem("NftSet", "NftSet is only used with Firewall = nftables");
      }
      if (k.has("KnockReply") && (firewall == FirewallType.COMMAND
          || firewall == FirewallType.NONE || nftSet != null)) {
        k.problem("KnockReply", "KnockReply is only used when knockd writes the rules itself "
            + "(Firewall = nftables without NftSet, or iptables)");
      }
    }
    if (problems.count() > before) {
      return null;
    }
    return new Options(firewallLog, range, cipher, mapping, firewall, protect, logPrefix,
        auditLog, auditFormat, stateDir, timeWindow, sequenceTimeout, defaultDuration,
        maxCombinations, maxSources, udpKnocks, nftSet,
        firewall == FirewallType.COMMAND ? open : null,
        firewall == FirewallType.COMMAND ? close : null, commandTimeout, allowRoot,
        knockReply, maxTagChecks, serverAddresses, selfTest,
        onExit, randomPorts, kmsgPoll);
  }

  /** RandomPorts must share no port with KnockPorts or Protect (one problem, at its line). */
  private static void randomPortsOverlap(SectionKeys k, KnockRange random, KnockRange knock,
      List<PortSpec> protect) {
    if (knock != null && random.start() <= knock.end() && knock.start() <= random.end()) {
      k.problem("RandomPorts", "RandomPorts: " + random + " overlaps KnockPorts " + knock
          + ": use ports outside the knock range");
      return;
    }
    if (protect != null) {
      for (PortSpec p : protect) {
        if (random.contains(p.port())) {
          k.problem("RandomPorts", "RandomPorts: " + random + " holds the protected port " + p
              + ": use ports outside Protect");
          return;
        }
      }
    }
  }

  private static FirewallLog firewallLog(String key, String v, Path baseDir) throws BadValue {
    switch (v.toLowerCase(Locale.ROOT)) {
      case "auto":
        return null;
      case "kmsg":
        return new FirewallLog(FirewallLog.Kind.KMSG, null);
      case "journal":
        return new FirewallLog(FirewallLog.Kind.JOURNAL, null);
      case "-":
        return new FirewallLog(FirewallLog.Kind.STDIN, null);
      default:
        if (v.regionMatches(true, 0, "nflog:", 0, 6)) {
          return nflog(key, v.substring(6).strip());
        }
        if (!v.contains("/")) {
          throw new BadValue(key + ": unknown source '" + v + "': use a file path (with a '/'), "
              + "kmsg, journal, nflog:GROUP, - (standard input) or auto");
        }
        return new FirewallLog(FirewallLog.Kind.FILE, Values.path(key, v, baseDir));
    }
  }

  private static FirewallLog nflog(String key, String group) throws BadValue {
    if (!group.matches("[0-9]{1,5}") || Integer.parseInt(group) > FirewallLog.MAX_GROUP) {
      throw new BadValue(key + ": nflog:GROUP needs a group 0-" + FirewallLog.MAX_GROUP
          + ", not '" + group + "'");
    }
    return FirewallLog.nflog(Integer.parseInt(group));
  }

  private static KnockRange range(String key, String v) throws BadValue {
    String[] p = v.split("-", -1);
    if (p.length != 2) {
      throw new BadValue(key + ": use START-END, e.g. 20000-25119, not '" + v + "'");
    }
    try {
      int start = Ports.parse(p[0].strip(), key);
      int end = Ports.parse(p[1].strip(), key);
      if (end < start) {
        throw new BadValue(key + ": " + v + " ends before it starts");
      }
      return new KnockRange(start, end);
    } catch (KnockException e) {
      throw new BadValue(e.getMessage());
    }
  }

  private static String logPrefix(String key, String v) throws BadValue {
    if (v.length() > Options.MAX_LOG_PREFIX) {
      throw new BadValue(key + ": at most " + Options.MAX_LOG_PREFIX
          + " characters (iptables' limit), not " + v.length());
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\'' || c == '\\') {
        throw new BadValue(key + ": use printable ASCII without quotes or backslashes");
      }
    }
    return v;
  }
}
