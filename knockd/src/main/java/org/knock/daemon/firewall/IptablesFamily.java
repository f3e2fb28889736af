package org.knock.daemon.firewall;

import java.util.List;

/**
 * The two halves of the iptables backend: iptables for IPv4, ip6tables for IPv6. Each names its
 * programs and the ICMP reply its REJECT rules use for UDP.
 */
enum IptablesFamily {
  V4("iptables", "icmp-port-unreachable", "IPv4"),
  V6("ip6tables", "icmp6-port-unreachable", "IPv6");

  private final String program;
  private final String portUnreachable;
  private final String ip;

  IptablesFamily(String program, String portUnreachable, String ip) {
    this.program = program;
    this.portUnreachable = portUnreachable;
    this.ip = ip;
  }

  /** {@code iptables} or {@code ip6tables}. */
  String program() {
    return program;
  }

  /** {@code iptables-restore} or {@code ip6tables-restore}. */
  String restoreProgram() {
    return program + "-restore";
  }

  /** "IPv4" or "IPv6". */
  String ip() {
    return ip;
  }

  /** The family of an access's address. */
  static IptablesFamily of(Access a) {
    return a.ipv6() ? V6 : V4;
  }

  /** A REJECT target's arguments in this family (ip6tables names its ICMP reply icmp6-...). */
  List<String> target(List<String> v4Target) {
    return this == V4 ? v4Target : v4Target.stream()
        .map(t -> t.equals(V4.portUnreachable) ? portUnreachable : t).toList();
  }
}
