package org.knock.daemon.firewall;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.knock.core.Protocol;

/** The nft scripts the nftables backend feeds to {@code nft -f -}: pure functions of validated values. */
final class NftScripts {
  /** Element type of the grant set: source address, protocol, destination port. */
  static final String SET_TYPE = "ipv4_addr . inet_proto . inet_service";
  static final String SET_NAME = "granted";
  /** Element type of the IPv6 grant set, the twin of {@link #SET_TYPE}. */
  static final String SET_TYPE6 = "ipv6_addr . inet_proto . inet_service";
  static final String SET_NAME6 = "granted6";
  /** The set of IPv6 /64 grants: same type, with prefixes ({@code flags interval}). */
  static final String SET_NAME6NET = "granted6net";
  static final String CHAIN_NAME = "input";
  private static final String SYN_ONLY = "tcp flags & (fin|syn|rst|ack) == syn";

  private NftScripts() {}

  /** The set a managed table keeps its grants in. */
  static NftSetRef ownSet(FirewallSettings s) {
    return new NftSetRef("inet", s.name(), SET_NAME);
  }

  /** The set a managed table keeps its IPv6 grants in. */
  static NftSetRef ownSet6(FirewallSettings s) {
    return new NftSetRef("inet", s.name(), SET_NAME6);
  }

  /** The set a managed table keeps its IPv6 /64 grants in. */
  static NftSetRef ownSet6Net(FirewallSettings s) {
    return new NftSetRef("inet", s.name(), SET_NAME6NET);
  }

  /**
   * Creates the table, set and chain if missing and (re)writes the chain's rules, in one
   * transaction. Elements already in the set (grants of a killed run) are kept. Refused packets
   * get {@link FirewallSettings#nftVerdict}: the settings' reply must be resolved (not auto).
   */
  static String install(FirewallSettings s) {
    String t = "inet " + s.name();
    String c = t + " " + CHAIN_NAME;
    String log = " log prefix \"" + s.logPrefix() + "\" ";
    String tcpLog = log + s.nftVerdict(Protocol.TCP);
    String udpLog = log + s.nftVerdict(Protocol.UDP);
    StringBuilder b = new StringBuilder();
    b.append("add table ").append(t).append('\n');
    b.append("add set ").append(t).append(' ').append(SET_NAME).append(" { type ").append(SET_TYPE)
        .append("; flags timeout; }\n");
    b.append("add set ").append(t).append(' ').append(SET_NAME6).append(" { type ")
        .append(SET_TYPE6).append("; flags timeout; }\n");
    b.append("add set ").append(t).append(' ').append(SET_NAME6NET).append(" { type ")
        .append(SET_TYPE6).append("; flags interval, timeout; }\n");
    b.append("add chain ").append(c)
        .append(" { type filter hook input priority filter - 1; policy accept; }\n");
    b.append("flush chain ").append(c).append('\n');
    b.append("add rule ").append(c).append(" ct state established,related accept\n");
    b.append("add rule ").append(c).append(" ip saddr . meta l4proto . th dport @")
        .append(SET_NAME).append(" accept\n");
    b.append("add rule ").append(c).append(" ip6 saddr . meta l4proto . th dport @")
        .append(SET_NAME6).append(" accept\n");
    b.append("add rule ").append(c).append(" ip6 saddr . meta l4proto . th dport @")
        .append(SET_NAME6NET).append(" accept\n");
    for (Protocol p : Protocol.values()) {
      List<Integer> ports = FirewallSettings.portsOf(s.protect(), p);
      if (!ports.isEmpty()) {
        b.append("add rule ").append(c).append(' ').append(p.word()).append(" dport ")
            .append(set(ports)).append(' ').append(s.nftVerdict(p)).append('\n');
      }
    }
    String range = s.knockStart() == s.knockEnd()
        ? Integer.toString(s.knockStart()) : s.knockStart() + "-" + s.knockEnd();
    b.append("add rule ").append(c).append(" tcp dport ").append(range).append(' ')
        .append(SYN_ONLY).append(tcpLog).append('\n');
    if (s.udpKnocks()) {
      b.append("add rule ").append(c).append(" udp dport ").append(range).append(udpLog)
          .append('\n');
    }
    List<Integer> tcp = FirewallSettings.portsOf(s.extraLogged(), Protocol.TCP);
    if (!tcp.isEmpty()) {
      b.append("add rule ").append(c).append(" tcp dport ").append(set(tcp)).append(' ')
          .append(SYN_ONLY).append(tcpLog).append('\n');
    }
    List<Integer> udp = FirewallSettings.portsOf(s.extraLogged(), Protocol.UDP);
    if (!udp.isEmpty()) {
      b.append("add rule ").append(c).append(" udp dport ").append(set(udp)).append(udpLog)
          .append('\n');
    }
    return b.toString();
  }

  /** Deletes any table of that name first, then installs: for a leftover that cannot be adopted. */
  static String reinstall(FirewallSettings s) {
    return uninstall(s) + install(s);
  }

  /** Deletes the table whether it exists or not. */
  static String uninstall(FirewallSettings s) {
    String t = "inet " + s.name();
    return "add table " + t + "\ndelete table " + t + "\n";
  }

  /**
   * Grants (or re-grants) access with a kernel timeout. Add-delete-add in one transaction: the
   * element ends up with exactly this timeout whether it existed or not, with no gap.
   */
  static String grant(NftSetRef set, Access a, Duration d) {
    String e = element(a);
    return "add element " + set + " { " + e + " }\n"
        + "delete element " + set + " { " + e + " }\n"
        + addWithTimeout(set, a, d) + "\n";
  }

  /** E.g. {@code add element inet knockd granted { 192.0.2.1 . tcp . 22 timeout 30m }}. */
  static String addWithTimeout(NftSetRef set, Access a, Duration d) {
    return "add element " + set + " { " + element(a) + " timeout " + timeout(d) + " }";
  }

  /** Removes the elements whether they exist or not (add then delete, in one transaction). */
  static String revoke(NftSetRef set, List<Access> accesses) {
    StringBuilder b = new StringBuilder();
    for (Access a : accesses) {
      b.append("add element ").append(set).append(" { ").append(element(a)).append(" }\n");
      b.append("delete element ").append(set).append(" { ").append(element(a)).append(" }\n");
    }
    return b.toString();
  }

  /** E.g. {@code 192.0.2.1 . tcp . 22}. */
  static String element(Access a) {
    return a.ip() + " . " + a.protocol().word() + " . " + a.port();
  }

  /**
   * A timeout nft 1.0 accepts, rounded up to whole seconds, e.g. {@code 30m}, {@code 1d2h3m4s}.
   * (nft refuses a large count of a single small unit, such as {@code 1415491200s}.)
   */
  static String timeout(Duration d) {
    long total = d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
    long[] units = {86400, 3600, 60, 1};
    String letters = "dhms";
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < units.length; i++) {
      long n = total / units[i];
      total %= units[i];
      if (n > 0) {
        b.append(n).append(letters.charAt(i));
      }
    }
    return b.toString();
  }

  private static String set(List<Integer> ports) {
    return ports.size() == 1 ? ports.get(0).toString()
        : ports.stream().map(String::valueOf).collect(Collectors.joining(", ", "{ ", " }"));
  }
}
