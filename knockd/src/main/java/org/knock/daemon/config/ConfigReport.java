package org.knock.daemon.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.knock.core.Durations;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.FirewallSettings;
import org.knock.daemon.firewall.PortSpec;

/**
 * What {@code knockd --check} prints: the effective configuration, every default filled in, as a
 * config file that parses back to the same settings (a user with a Passphrase shows it only as a
 * comment). Key material and passphrases are never printed.
 */
public final class ConfigReport {
  private ConfigReport() {}

  public static String render(Config c) {
    StringBuilder b = new StringBuilder();
    b.append("# ").append(c.file()).append(": valid. Effective settings, defaults included.\n");
    for (String n : c.notices()) {
      b.append("# notice: ").append(n).append('\n');
    }
    Options o = c.options();
    b.append("\n[options]\n");
    if (o.firewallLog() == null) {
      b.append("# automatic: the daemon picks a source it can read\n");
    }
    line(b, "FirewallLog", o.firewallLog() == null ? "auto" : o.firewallLog().toString());
    b.append("# 36-port knocks (knock --allow ADDR6): ").append(o.longKnocks() ? "decoded\n"
        : "not decoded (need Mapping = indexed, KnockPorts of 9216 ports)\n");
    line(b, "KnockPorts", o.knockPorts().toString());
    line(b, "Cipher", o.cipher().word());
    line(b, "Mapping", o.mapping().word());
    line(b, "Firewall", o.firewall().word());
    line(b, "Protect", o.protect().isEmpty() ? "none"
        : o.protect().stream().map(PortSpec::toString).collect(Collectors.joining(", ")));
    b.append("# over IPv4: ").append(family(o, false)).append('\n');
    b.append("# over IPv6: ").append(family(o, true)).append('\n');
    line(b, "LogPrefix", "\"" + o.logPrefix() + "\"");
    line(b, "AuditLog", o.auditToStdout() ? "-" : o.auditLog().toString());
    line(b, "AuditFormat", o.auditFormat().word());
    line(b, "StateDir", o.stateDir().toString());
    line(b, "TimeWindow", fmt(o.timeWindow()));
    line(b, "SequenceTimeout", fmt(o.sequenceTimeout()));
    line(b, "DefaultDuration", fmt(o.defaultDuration()));
    line(b, "MaxCombinations", String.valueOf(o.maxCombinations()));
    line(b, "MaxTagChecks", String.valueOf(o.maxTagChecks()));
    if (!o.serverAddresses().isEmpty()) {
      line(b, "ServerAddress", o.serverAddresses().stream().map(a -> a.getHostAddress())
          .collect(Collectors.joining(", ")));
    }
    line(b, "MaxSources", String.valueOf(o.maxSources()));
    line(b, "UdpKnocks", yes(o.udpKnocks()));
    if (o.firewall() == FirewallType.NFTABLES) {
      line(b, "NftSet", o.nftSet() == null ? "none" : o.nftSet().toString());
    }
    if (o.firewall() == FirewallType.COMMAND) {
      line(b, "OpenCommand", o.openCommand().toString());
      line(b, "CloseCommand", o.closeCommand().toString());
    }
    if ((o.firewall() == FirewallType.NFTABLES && o.nftSet() == null)
        || o.firewall() == FirewallType.IPTABLES) {
      line(b, "KnockReply", o.knockReply().word());
    }
    line(b, "CommandTimeout", fmt(o.commandTimeout()));
    line(b, "AllowRoot", yes(o.allowRoot()));
    line(b, "SelfTest", yes(o.selfTest()));
    line(b, "OnExit", o.onExit().word());
    if (o.randomPorts() != null) {
      line(b, "RandomPorts", o.randomPorts().toString());
    }
    if (o.kmsgPoll() != null) {
      line(b, "KmsgPoll", Values.ms(o.kmsgPoll()));
    }

    for (UserConfig u : c.users()) {
      b.append("\n[user ").append(u.name()).append("]\n");
      b.append("# may: ").append(String.join("; ", may(u, o))).append('\n');
      if (u.keySource().equals("passphrase")) {
        b.append("# Passphrase = (hidden)\n");
      } else {
        line(b, "Key", u.keySource().substring("key file ".length()));
      }
      line(b, "Allow", allow(u));
      line(b, "MaxDuration", fmt(u.maxDuration()));
      line(b, "AllowOtherAddress", yes(u.allowOtherAddress()));
      line(b, "AcceptVersion1", yes(u.acceptVersion1()));
      if (u.uncheckedKeyFile()) {
        line(b, KeyFileCheck.ALLOW_KEY, "yes");
      }
    }
    for (ActionConfig a : c.actions()) {
      b.append("\n[action ").append(a.name()).append("]\n");
      b.append(String.format("# travels as id 0x%04x\n", a.id()));
      line(b, "Command", a.command().toString());
      line(b, "Timeout", fmt(a.timeout()));
    }
    for (ForwardConfig f : c.forwards()) {
      b.append("\n[forward ").append(f.name()).append("]\n");
      b.append(String.format("# %s; open %s travels as port %d\n", f.describe(), f.name(),
          f.id()));
      line(b, "To", f.to().getHostAddress() + ":" + f.toPort() + "/" + f.protocol().word());
      line(b, "Port", f.random() ? "random" : Integer.toString(f.port()));
      line(b, "Masquerade", yes(f.masquerade()));
    }
    for (DoorConfig d : c.doors()) {
      b.append("\n[").append(d.name()).append("]\n");
      if (d.oneTimeSequencesFile() == null) {
        line(b, "Sequence", d.sequence().stream().map(p -> p.port() + ":" + p.protocol().word())
            .collect(Collectors.joining(",")));
      } else {
        b.append("# unused sequences: ").append(d.oneTimeSequences().size()).append('\n');
        line(b, "One_Time_Sequences", d.oneTimeSequencesFile().toString());
      }
      line(b, "Seq_Timeout", fmt(d.seqTimeout()));
      if (!d.tcpFlags().equals(TcpFlags.ANY)) {
        line(b, "TCPFlags", d.tcpFlags().toString());
      }
      line(b, "Start_Command", d.startCommand());
      if (d.stopCommand() != null) {
        line(b, "Stop_Command", d.stopCommand());
      }
      line(b, "Cmd_Timeout", fmt(d.cmdTimeout()));
    }
    return b.toString();
  }

  /** What the firewall backend protects and how it grants, over IPv4 or IPv6: one line. */
  static String family(Options o, boolean six) {
    String protect = o.protect().isEmpty() ? "no port protected"
        : o.protect().stream().map(PortSpec::toString).collect(Collectors.joining(", "))
            + " closed";
    String what = protect + ", knocks logged";
    String table = FirewallSettings.DEFAULT_NAME;
    switch (o.firewall()) {
      case NFTABLES:
        if (o.nftSet() != null) {
          return "as your ruleset says (NftSet); grants: elements of set " + o.nftSet()
              + (six ? org.knock.daemon.firewall.FirewallOptions.SET6_SUFFIX + " and (/64) "
                  + o.nftSet() + org.knock.daemon.firewall.FirewallOptions.SET6NET_SUFFIX
                  + " if your ruleset has them, else IPv6 grants are refused" : "");
        }
        return what + " by nftables table inet " + table + "; grants: "
            + (six ? "elements of sets granted6 and granted6net (/64)" : "elements of set granted")
            + " (kernel timeouts)";
      case IPTABLES:
        return what + " by " + (six ? "ip6tables" : "iptables") + " chain "
            + table.toUpperCase(java.util.Locale.ROOT) + "; grants: its rules with a time match";
      case COMMAND:
        return "as OpenCommand and CloseCommand do, for %IP% of " + (six ? "IPv6" : "IPv4")
            + " addresses too (knockd installs nothing)";
      default:
        return "nothing (Firewall = none)";
    }
  }

  private static List<String> may(UserConfig u, Options o) {
    List<String> out = new ArrayList<>();
    String ports = allowOpen(u).replace("*/", "any port/").replace("*", "any port")
        .replace(" ", ", ");
    if (!ports.isEmpty()) {
      Duration dflt = u.maxDuration().compareTo(o.defaultDuration()) < 0
          ? u.maxDuration() : o.defaultDuration();
      out.add("open " + ports + " for up to " + fmt(u.maxDuration()) + " (" + fmt(dflt)
          + " if no duration is given)");
    }
    if (u.mayClose()) {
      out.add("close " + (ports.isEmpty() ? "nothing (it may open nothing)" : "those ports"));
    }
    if (u.mayDenyFurther()) {
      out.add("have its own address ignored for up to " + fmt(u.maxDuration()));
    }
    if (!u.actions().isEmpty()) {
      out.add("run " + String.join(", ", u.actions()));
    }
    if (!u.forwards().isEmpty()) {
      out.add("open the forward" + (u.forwards().size() > 1 ? "s " : " ")
          + String.join(", ", u.forwards()));
    }
    out.add(u.allowOtherAddress() ? "grant other addresses than its own"
        : "grant only its own address");
    return out;
  }

  private static String allowOpen(UserConfig u) {
    List<String> p = new ArrayList<>();
    if (u.openAnyPort().size() == Protocol.values().length) {
      p.add("*");
    } else {
      u.openAnyPort().stream().sorted().forEach(proto -> p.add("*/" + proto.word()));
    }
    u.openPorts().stream()
        .filter(s -> !u.openAnyPort().contains(s.protocol()))
        .sorted((a, b) -> a.port() != b.port() ? Integer.compare(a.port(), b.port())
            : a.protocol().compareTo(b.protocol()))
        .forEach(s -> p.add(s.toString()));
    return String.join(" ", p);
  }

  private static String allow(UserConfig u) {
    List<String> items = new ArrayList<>();
    String ports = allowOpen(u);
    if (!ports.isEmpty()) {
      for (String p : ports.split(" ")) {
        items.add("open " + p);
      }
    }
    if (u.mayClose()) {
      items.add("close");
    }
    if (u.mayDenyFurther()) {
      items.add("deny-further");
    }
    u.actions().forEach(a -> items.add("run " + a));
    u.forwards().forEach(f -> items.add("open " + f));
    return String.join(", ", items);
  }

  private static void line(StringBuilder b, String key, String value) {
    b.append(String.format("%-18s = %s\n", key, value));
  }

  private static String fmt(Duration d) {
    return Durations.format(d);
  }

  private static String yes(boolean b) {
    return b ? "yes" : "no";
  }
}
