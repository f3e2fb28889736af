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
  /**
   * Map of random-port grants (IPv4): source address, protocol, external port → the local port
   * the nat chain redirects to.
   */
  static final String MAP_NAME = "redirects";
  static final String MAP_TYPE = SET_TYPE + " : inet_service";
  /** The filter side of each redirect: source, protocol, external port, local port. */
  static final String REDIRECTED_NAME = "redirected";
  static final String REDIRECTED_TYPE = SET_TYPE + " . inet_service";
  /** The IPv6 twins of {@link #MAP_NAME} and {@link #REDIRECTED_NAME}: one IPv6 address each. */
  static final String MAP_NAME6 = "redirects6";
  static final String MAP_TYPE6 = SET_TYPE6 + " : inet_service";
  static final String REDIRECTED_NAME6 = "redirected6";
  static final String REDIRECTED_TYPE6 = SET_TYPE6 + " . inet_service";
  static final String NAT_CHAIN = "prerouting";
  /** Map of forwards: source, protocol, external port → inner address . port (DNAT). */
  static final String FORWARDS = "forwards";
  static final String FORWARDS_TYPE = SET_TYPE + " : ipv4_addr . inet_service";
  /** Forwarded flows the forward chain accepts, and those masqueraded: source . proto . external. */
  static final String FORWARDED = "forwarded";
  static final String MASQUERADED = "masqueraded";
  /**
   * The protocol . external port of every forward granted in this table (no timeout): a bare SYN
   * that conntrack re-opens on a DNATed flow of such a port is dropped unless its grant holds.
   */
  static final String FORWARD_PORTS = "forwardports";
  private static final String SYN_ONLY = "tcp flags & (fin|syn|rst|ack) == syn";
  /** The states of a flow let in before, from either side. */
  private static final String ESTABLISHED = "ct state established,related";

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
    String log = s.nftLog();
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
    b.append("add map ").append(t).append(' ').append(MAP_NAME).append(" { type ")
        .append(MAP_TYPE).append("; flags timeout; }\n");
    b.append("add set ").append(t).append(' ').append(REDIRECTED_NAME).append(" { type ")
        .append(REDIRECTED_TYPE).append("; flags timeout; }\n");
    b.append("add map ").append(t).append(' ').append(MAP_NAME6).append(" { type ")
        .append(MAP_TYPE6).append("; flags timeout; }\n");
    b.append("add set ").append(t).append(' ').append(REDIRECTED_NAME6).append(" { type ")
        .append(REDIRECTED_TYPE6).append("; flags timeout; }\n");
    String nat = t + " " + NAT_CHAIN;
    b.append("add chain ").append(nat)
        .append(" { type nat hook prerouting priority dstnat; policy accept; }\n");
    b.append("flush chain ").append(nat).append('\n');
    b.append("add rule ").append(nat).append(" meta l4proto { tcp, udp } redirect to ip saddr")
        .append(" . meta l4proto . th dport map @").append(MAP_NAME).append('\n');
    b.append("add rule ").append(nat).append(" meta l4proto { tcp, udp } redirect to ip6 saddr")
        .append(" . meta l4proto . th dport map @").append(MAP_NAME6).append('\n');
    forwardPart(b, t, s.nftVerdict(Protocol.TCP));
    b.append("add chain ").append(c)
        .append(" { type filter hook input priority filter - 1; policy accept; }\n");
    b.append("flush chain ").append(c).append('\n');
    // Sessions already let in outlive their grant, but a bare TCP SYN never passes as one:
    // conntrack takes a SYN on the 4-tuple of a connection the server ended with a reset as
    // "established" (for nf_conntrack_tcp_timeout_close, 10 s), which let that address and port
    // back in after its grant was closed or had expired.
    b.append("add rule ").append(c).append(" meta l4proto != tcp ").append(ESTABLISHED)
        .append(" accept\n");
    b.append("add rule ").append(c).append(" tcp flags & (syn | ack) != syn ").append(ESTABLISHED)
        .append(" accept\n");
    b.append("add rule ").append(c).append(" ip saddr . meta l4proto . th dport @")
        .append(SET_NAME).append(" accept\n");
    b.append("add rule ").append(c).append(" ip6 saddr . meta l4proto . th dport @")
        .append(SET_NAME6).append(" accept\n");
    b.append("add rule ").append(c).append(" ip6 saddr . meta l4proto . th dport @")
        .append(SET_NAME6NET).append(" accept\n");
    // a redirected flow, per family: to the port its grant redirects to
    for (String[] family : new String[][] {{"ip", REDIRECTED_NAME}, {"ip6", REDIRECTED_NAME6}}) {
      for (Protocol p : Protocol.values()) {
        b.append("add rule ").append(c).append(" meta l4proto ").append(p.word())
            .append(" ct status dnat ").append(family[0])
            .append(" saddr . meta l4proto . ct original proto-dst . ").append(p.word())
            .append(" dport @").append(family[1]).append(" accept\n");
      }
    }
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

  /**
   * The forwards' part of the table: the DNAT map (looked up in the prerouting chain written
   * just before), the sets of accepted and of masqueraded flows, and the forward and postrouting
   * chains that use them ({@code ct original proto-dst}: the external port before DNAT), and the
   * set of forwarded ports whose re-opened flows the forward chain refuses with {@code refuse}
   * (the verdict of a protected port).
   */
  private static void forwardPart(StringBuilder b, String t, String refuse) {
    b.append("add map ").append(t).append(' ').append(FORWARDS).append(" { type ")
        .append(FORWARDS_TYPE).append("; flags timeout; }\n");
    for (String set : List.of(FORWARDED, MASQUERADED)) {
      b.append("add set ").append(t).append(' ').append(set).append(" { type ").append(SET_TYPE)
          .append("; flags timeout; }\n");
    }
    b.append("add set ").append(t).append(' ').append(FORWARD_PORTS)
        .append(" { type inet_proto . inet_service; }\n");
    b.append("add rule ").append(t).append(' ').append(NAT_CHAIN).append(" meta l4proto { tcp, ")
        .append("udp } dnat ip addr . port to ip saddr . meta l4proto . th dport map @")
        .append(FORWARDS).append('\n');
    String[][] chains = {{"forward", "type filter hook forward priority filter - 1", FORWARDED,
        "accept"}, {"postrouting", "type nat hook postrouting priority srcnat", MASQUERADED,
        "masquerade"}};
    for (String[] c : chains) {
      String chain = t + " " + c[0];
      b.append("add chain ").append(chain).append(" { ").append(c[1])
          .append("; policy accept; }\n");
      b.append("flush chain ").append(chain).append('\n');
      for (Protocol p : Protocol.values()) {
        b.append("add rule ").append(chain).append(" meta l4proto ").append(p.word())
            .append(" ct status dnat ip saddr . meta l4proto . ct original proto-dst @")
            .append(c[2]).append(' ').append(c[3]).append('\n');
      }
    }
    // after the accepts: a forward's flow the server reset, re-opened by a bare SYN from the
    // same port after its grant ended, would reach the inner host (its DNAT is in the entry);
    // refused as a protected port is (KnockReply), so it looks like any closed port
    b.append("add rule ").append(t).append(" forward tcp flags & (syn | ack) == syn ")
        .append("ct state established ct status dnat meta l4proto . ct original proto-dst @")
        .append(FORWARD_PORTS).append(' ').append(refuse).append('\n');
  }

  /**
   * Grants (or re-grants) a forward: the DNAT map's element (source . protocol . external port →
   * inner address . port), the forward chain's, and with {@code masquerade} the postrouting
   * chain's, all with the kernel timeout, in one transaction, add-delete-add; and its protocol .
   * external port in {@link #FORWARD_PORTS}, for good.
   */
  static String grantForward(String table, Access a, Duration d, boolean masquerade) {
    String key = redirectKey(a);
    String value = a.to().getHostAddress() + " . " + a.port();
    String t = " timeout " + timeout(d);
    StringBuilder b = new StringBuilder();
    b.append(replace(table + " " + FORWARDS, key + " : " + value, key,
        key + t + " : " + value));
    b.append(replace(table + " " + FORWARDED, key, key, key + t));
    b.append("add element ").append(table).append(' ').append(FORWARD_PORTS).append(" { ")
        .append(a.protocol().word()).append(" . ").append(a.external()).append(" }\n");
    if (masquerade) {
      b.append(replace(table + " " + MASQUERADED, key, key, key + t));
    }
    return b.toString();
  }

  /** Removes a forward's elements whether they exist or not. */
  static String revokeForward(String table, Access a) {
    String key = redirectKey(a);
    String value = a.to().getHostAddress() + " . " + a.port();
    return "add element " + table + " " + FORWARDS + " { " + key + " : " + value + " }\n"
        + "delete element " + table + " " + FORWARDS + " { " + key + " }\n"
        + addDelete(table + " " + FORWARDED, key) + addDelete(table + " " + MASQUERADED, key);
  }

  /** add then delete: the element is gone whether it was there or not. */
  private static String addDelete(String set, String element) {
    return "add element " + set + " { " + element + " }\n"
        + "delete element " + set + " { " + element + " }\n";
  }

  /** add (any), delete, add (with its timeout): one element replaced atomically. */
  private static String replace(String set, String plain, String key, String timed) {
    return "add element " + set + " { " + plain + " }\n"
        + "delete element " + set + " { " + key + " }\n"
        + "add element " + set + " { " + timed + " }\n";
  }

  /**
   * Grants (or re-grants) a redirected access: the nat map's element (source . protocol .
   * external port → port) and the filter set's element, both with the kernel timeout, in one
   * transaction, add-delete-add as {@link #grant}.
   */
  static String grantRedirect(String table, Access a, Duration d) {
    String key = redirectKey(a);
    String t = " timeout " + timeout(d);
    String flow = key + " . " + a.port();
    String map = table + " " + (a.ipv6() ? MAP_NAME6 : MAP_NAME);
    return replace(map, key + " : " + a.port(), key, key + t + " : " + a.port())
        + replace(table + " " + redirected(a), flow, flow, flow + t);
  }

  /** Removes a redirected access's two elements whether they exist or not. */
  static String revokeRedirect(String table, Access a) {
    String key = redirectKey(a);
    String map = table + " " + (a.ipv6() ? MAP_NAME6 : MAP_NAME);
    return "add element " + map + " { " + key + " : " + a.port() + " }\n"
        + "delete element " + map + " { " + key + " }\n"
        + addDelete(table + " " + redirected(a), key + " . " + a.port());
  }

  /** The set of redirected flows for an access's family: {@code redirected} or {@code redirected6}. */
  private static String redirected(Access a) {
    return a.ipv6() ? REDIRECTED_NAME6 : REDIRECTED_NAME;
  }

  /** E.g. {@code 192.0.2.1 . tcp . 41369} (IPv6: {@code 2001:db8::1 . tcp . 41369}): the key. */
  private static String redirectKey(Access a) {
    return a.ip() + " . " + a.protocol().word() + " . " + a.external();
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
