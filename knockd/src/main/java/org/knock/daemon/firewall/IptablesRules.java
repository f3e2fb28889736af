package org.knock.daemon.firewall;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knock.core.Protocol;

/**
 * The iptables argv and iptables-restore input of the iptables backend, and the parser of
 * {@code iptables -S} that finds a killed run's leftovers: pure functions of validated values, for
 * either {@link IptablesFamily} (the methods without one are IPv4's; a grant's family is its
 * address's). Rules are written exactly as {@code iptables -S} / {@code ip6tables -S} print them,
 * so a rule can be found in a listing.
 */
final class IptablesRules {
  static final String COMMENT = "knockd expires=";
  /** The latest end xt_time accepts (its dates are 32-bit seconds): 2038-01-19T03:14:07 UTC. */
  static final long MAX_DATESTOP = Integer.MAX_VALUE;
  private static final DateTimeFormatter DATESTOP =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** What {@code iptables -S} shows of a previous run. */
  record Leftovers(boolean chainExists, int jumps, Map<Access, Long> grants) {}

  private IptablesRules() {}

  static List<String> listAll() {
    return listAll(IptablesFamily.V4);
  }

  static List<String> listAll(IptablesFamily f) {
    return List.of(f.program(), "-w", "-S");
  }

  static List<String> restore() {
    return restore(IptablesFamily.V4);
  }

  static List<String> restore(IptablesFamily f) {
    return List.of(f.restoreProgram(), "-w", "--noflush");
  }

  /**
   * A grant rule's match and target, e.g. {@code -s 192.0.2.1/32 -p tcp ... -j ACCEPT}. The
   * {@code time} match ({@code --datestop}, UTC) makes the kernel stop accepting at the grant's
   * end even while knockd is not running (ends after 2038-01-19 stop at that date); the comment
   * lets a restarted knockd find the rule and delete it once it is due.
   */
  static List<String> grantSpec(Access a, long expiresEpoch) {
    String p = a.protocol().word();
    String source = Access.text(a.address()) + "/" + a.prefix(); // /32, /128, or a /64
    List<String> spec = new ArrayList<>(List.of("-s", source));
    if (a.forwarded()) {
      spec.addAll(List.of("-d", a.to().getHostAddress() + "/32"));
    }
    spec.addAll(List.of("-p", p, "-m", p, "--dport", Integer.toString(a.port())));
    if (a.external() != 0) { // only the flow the nat chain redirected from the external port
      spec.addAll(List.of("-m", "conntrack", "--ctstate", "DNAT", "--ctorigdstport",
          Integer.toString(a.external())));
    }
    spec.addAll(List.of("-m", "time", "--datestop", datestop(expiresEpoch),
        "-m", "comment", "--comment", comment(a, expiresEpoch), "-j", "ACCEPT"));
    return spec;
  }

  /** {@code knockd expires=EPOCH}, and for a masqueraded forward {@code  masquerade}. */
  private static String comment(Access a, long expiresEpoch) {
    return COMMENT + expiresEpoch + (a.masquerade() ? " " + MASQUERADE : "");
  }

  static final String MASQUERADE = "masquerade";

  /** The chain (in table filter, jumped from FORWARD; in table nat, from POSTROUTING) of forwards. */
  static String forwardChain(String chain) {
    return chain + "-FWD";
  }

  /** The filter chain a grant's accept goes in: knockd's, or its forward chain for a forward. */
  static String grantChain(String chain, Access a) {
    return a.forwarded() ? forwardChain(chain) : chain;
  }

  /** The masquerade rule of a masqueraded forward (table nat, the forward chain). */
  static List<String> masqueradeSpec(Access a, long expiresEpoch) {
    List<String> spec = new ArrayList<>(grantSpec(a, expiresEpoch));
    spec.set(spec.size() - 1, "MASQUERADE");
    return spec;
  }

  /**
   * The nat rule of a redirected grant (table nat, knockd's chain, jumped from PREROUTING):
   * {@code -s ADDR/32 -p tcp -m tcp --dport EXTERNAL} (IPv6: {@code ADDR/128}, in ip6tables)
   * with the grant's time match and comment, {@code -j REDIRECT --to-ports PORT}.
   */
  static List<String> natSpec(Access a, long expiresEpoch) {
    String p = a.protocol().word();
    String source = Access.text(a.address()) + "/" + a.prefix();
    List<String> spec = new ArrayList<>(List.of("-s", source, "-p", p, "-m", p,
        "--dport", Integer.toString(a.external()), "-m", "time", "--datestop",
        datestop(expiresEpoch), "-m", "comment", "--comment", COMMENT + expiresEpoch, "-j"));
    spec.addAll(a.forwarded()
        ? List.of("DNAT", "--to-destination", a.to().getHostAddress() + ":" + a.port())
        : List.of("REDIRECT", "--to-ports", Integer.toString(a.port())));
    return spec;
  }

  static List<String> insertMasquerade(String chain, Access a, long expiresEpoch) {
    List<String> argv = new ArrayList<>(
        List.of("iptables", "-w", "-t", "nat", "-I", forwardChain(chain), "1"));
    argv.addAll(masqueradeSpec(a, expiresEpoch));
    return argv;
  }

  static List<String> deleteMasquerade(String chain, Access a, long expiresEpoch) {
    List<String> argv = new ArrayList<>(
        List.of("iptables", "-w", "-t", "nat", "-D", forwardChain(chain)));
    argv.addAll(masqueradeSpec(a, expiresEpoch));
    return argv;
  }

  /** A masquerade rule as {@code iptables -t nat -S} prints it. */
  static String masqueradeLine(String chain, Access a, long expiresEpoch) {
    return line(forwardChain(chain), masqueradeSpec(a, expiresEpoch));
  }

  /** A nat rule as {@code iptables -t nat -S} prints it. */
  static String natLine(String chain, Access a, long expiresEpoch) {
    return line(chain, natSpec(a, expiresEpoch));
  }

  static List<String> insertNat(String chain, Access a, long expiresEpoch) {
    List<String> argv = new ArrayList<>(List.of(IptablesFamily.of(a).program(), "-w", "-t", "nat",
        "-I", chain, "1"));
    argv.addAll(natSpec(a, expiresEpoch));
    return argv;
  }

  static List<String> deleteNat(String chain, Access a, long expiresEpoch) {
    List<String> argv = new ArrayList<>(List.of(IptablesFamily.of(a).program(), "-w", "-t", "nat",
        "-D", chain));
    argv.addAll(natSpec(a, expiresEpoch));
    return argv;
  }

  static List<String> listNat() {
    return listNat(IptablesFamily.V4);
  }

  static List<String> listNat(IptablesFamily f) {
    return List.of(f.program(), "-w", "-t", "nat", "-S");
  }

  /**
   * The iptables-restore input that (re)writes knockd's nat chain (redirects and DNATs), for
   * {@link IptablesFamily#V4} its forward chains (filter: the accepts of forwarded flows and the
   * {@link #reopenChain} with a refusal of each port of the TCP forwards among {@code grants}
   * and of {@code reopenPorts}, those the listing had: {@link #reopenPorts}; nat: the
   * masquerades) with the rules of the redirected and forwarded grants among {@code grants}, and
   * adds the jumps (from PREROUTING, FORWARD, POSTROUTING) that {@code jumps} says are missing.
   * For ip6tables only the nat chain of redirects and its jump from PREROUTING (forwards are IPv4
   * only). {@code refuse}: the protected ports' TCP target
   * ({@link FirewallSettings#iptablesTarget}).
   */
  static String natScript(String chain, Map<Access, Long> grants, Jumps jumps, IptablesFamily f,
      Set<Integer> reopenPorts, List<String> refuse) {
    boolean v4 = f == IptablesFamily.V4; // forwards, and so their chains, are IPv4 only
    String fwd = forwardChain(chain);
    StringBuilder b = new StringBuilder();
    if (v4) {
      b.append("*filter\n");
      forwardFilter(b, chain, grants, reopenPorts, refuse, !jumps.forward());
      b.append("COMMIT\n");
    }
    b.append("*nat\n:").append(chain).append(" - [0:0]\n");
    if (v4) {
      b.append(':').append(fwd).append(" - [0:0]\n");
    }
    grants.forEach((a, epoch) -> {
      if (a.external() != 0) {
        b.append(line(chain, natSpec(a, epoch))).append('\n');
      }
      if (a.masquerade()) {
        b.append(masqueradeLine(chain, a, epoch)).append('\n');
      }
    });
    if (!jumps.prerouting()) {
      b.append("-I PREROUTING 1 -j ").append(chain).append('\n');
    }
    if (v4 && !jumps.postrouting()) {
      b.append("-I POSTROUTING 1 -j ").append(fwd).append('\n');
    }
    return b.append("COMMIT\n").toString();
  }

  /**
   * Appends, inside a {@code *filter} section, the lines that (re)write the filter forward chain
   * and its {@link #reopenChain} (declaring a chain flushes it): the accepts of the forwarded
   * grants among {@code grants}, the chain's one {@link #reopenJumpSpec}, then in the re-open
   * chain a {@link #reopenRefusalSpec} for each port of {@code reopenPorts} and of the TCP
   * forwards among {@code grants}; and the jump from FORWARD if {@code addJump}.
   */
  private static void forwardFilter(StringBuilder b, String chain, Map<Access, Long> grants,
      Set<Integer> reopenPorts, List<String> refuse, boolean addJump) {
    String fwd = forwardChain(chain);
    String re = reopenChain(chain);
    b.append(':').append(fwd).append(" - [0:0]\n:").append(re).append(" - [0:0]\n");
    Set<Integer> ports = new TreeSet<>(reopenPorts);
    grants.forEach((a, epoch) -> {
      if (a.forwarded()) {
        b.append(line(fwd, grantSpec(a, epoch))).append('\n');
        if (a.protocol() == Protocol.TCP) {
          ports.add(a.external());
        }
      }
    });
    b.append(line(fwd, reopenJumpSpec(chain))).append('\n');
    for (int port : ports) {
      b.append(line(re, reopenRefusalSpec(port, refuse))).append('\n');
    }
    if (addJump) {
      b.append("-I FORWARD 1 -j ").append(fwd).append('\n');
    }
  }

  /**
   * The filter chain of re-open refusals, {@code CHAIN-FWD-RE} (at most 28 characters, iptables'
   * limit, for a {@link FirewallSettings} name): entered from the forward chain, after its
   * accepts, by a bare SYN on a DNATed flow only ({@link #reopenJumpSpec}), so that the traffic of
   * established flows passes one rule of it, not one per port.
   */
  static String reopenChain(String chain) {
    return forwardChain(chain) + "-RE";
  }

  /**
   * The forward chain's jump, after its accepts, to its {@link #reopenChain}: a bare SYN on a
   * flow conntrack DNATed. Conntrack re-opens the entry of a flow the inner host reset when a SYN
   * comes from the same source port, DNAT and all, so after a forward's grant ended that SYN
   * would still reach the inner host; a flow whose grant holds is accepted before the jump.
   */
  static List<String> reopenJumpSpec(String chain) {
    return List.of("-p", "tcp", "-m", "tcp", "--tcp-flags", "SYN,ACK", "SYN", "-m", "conntrack",
        "--ctstate", "DNAT", "-j", reopenChain(chain));
  }

  /**
   * The {@link #reopenChain}'s refusal of a flow DNATed from {@code externalPort}, with
   * {@code refuse}, the protected ports' TCP target: {@code -j DROP}, or on a host whose closed
   * ports answer, {@code -j REJECT --reject-with tcp-reset}.
   */
  static List<String> reopenRefusalSpec(int externalPort, List<String> refuse) {
    List<String> spec = new ArrayList<>(List.of("-p", "tcp", "-m", "conntrack", "--ctorigdstport",
        Integer.toString(externalPort)));
    spec.addAll(refuse);
    return spec;
  }

  /** {@code iptables -w OP CHAIN-FWD-RE} with the {@link #reopenRefusalSpec} (OP: -C or -A). */
  static List<String> reopenRefusal(String op, String chain, int externalPort,
      List<String> refuse) {
    List<String> argv = new ArrayList<>(List.of("iptables", "-w", op, reopenChain(chain)));
    argv.addAll(reopenRefusalSpec(externalPort, refuse));
    return argv;
  }

  /**
   * The forward chain's drop of a re-opened flow as knockd wrote it before the
   * {@link #reopenChain} existed (one rule per port in the forward chain itself): still read back,
   * so that an upgrade keeps those ports refused.
   */
  static List<String> legacyReopenDropSpec(int externalPort) {
    return List.of("-p", "tcp", "-m", "tcp", "--tcp-flags", "SYN,ACK", "SYN", "-m", "conntrack",
        "--ctstate", "DNAT", "--ctorigdstport", Integer.toString(externalPort), "-j", "DROP");
  }

  /**
   * The external ports refused in an {@code iptables -S} listing: those of the
   * {@link #reopenRefusalSpec} rules (either target) and of the {@link #legacyReopenDropSpec}
   * rules in the forward chain.
   */
  static Set<Integer> reopenPorts(String filter, String chain) {
    List<Pattern> forms = List.of(
        portPattern(line(reopenChain(chain), reopenRefusalSpec(0, List.of("-j", "DROP")))),
        portPattern(line(reopenChain(chain), reopenRefusalSpec(0,
            List.of("-j", "REJECT", "--reject-with", "tcp-reset")))),
        portPattern(line(forwardChain(chain), legacyReopenDropSpec(0))));
    Set<Integer> ports = new TreeSet<>();
    filter.lines().map(String::strip).forEach(l -> {
      for (Pattern p : forms) {
        Matcher m = p.matcher(l);
        if (m.matches()) {
          int port = Integer.parseInt(m.group(1));
          if (port >= 1 && port <= 65535) {
            ports.add(port);
          }
        }
      }
    });
    return ports;
  }

  /** A rule line with its one port field {@code " 0 "} as a pattern whose group 1 is the port. */
  private static Pattern portPattern(String lineWithPortZero) {
    String[] around = lineWithPortZero.split(" 0 ", 2);
    return Pattern.compile(Pattern.quote(around[0]) + " (\\d{1,5}) " + Pattern.quote(around[1]));
  }

  /**
   * What an {@code iptables -S} listing shows of the filter forward chain: whether it exists,
   * whether FORWARD jumps to it, and the ports it refuses ({@link #reopenPorts}).
   */
  record ForwardLeftovers(boolean exists, boolean jumped, Set<Integer> reopenPorts) {
    static ForwardLeftovers of(String filter, String chain) {
      String fwd = forwardChain(chain);
      return new ForwardLeftovers(filter.lines().map(String::strip).anyMatch(("-N " + fwd)::equals),
          filter.lines().map(String::strip).anyMatch(("-A FORWARD -j " + fwd)::equals),
          IptablesRules.reopenPorts(filter, chain));
    }
  }

  /** Which jumps to knockd's nat and forward chains exist. */
  record Jumps(boolean prerouting, boolean forward, boolean postrouting) {
    /** From {@code iptables -S} and {@code iptables -t nat -S}. */
    static Jumps of(String filter, String nat, String chain) {
      String fwd = forwardChain(chain);
      return new Jumps(nat.lines().anyMatch(("-A PREROUTING -j " + chain)::equals),
          filter.lines().anyMatch(("-A FORWARD -j " + fwd)::equals),
          nat.lines().anyMatch(("-A POSTROUTING -j " + fwd)::equals));
    }
  }

  /**
   * The commands that remove what knockd adds for redirects and forwards, as the listings show
   * it: every jump from PREROUTING, POSTROUTING and FORWARD, then its nat chains, its filter
   * forward chain and its re-open chain (each flushed, then deleted).
   */
  static List<List<String>> forwardRemoval(String filter, String nat, String chain) {
    return forwardRemoval(filter, nat, chain, IptablesFamily.V4);
  }

  /** {@link #forwardRemoval(String, String, String)} with one family's program. */
  static List<List<String>> forwardRemoval(String filter, String nat, String chain,
      IptablesFamily f) {
    String fwd = forwardChain(chain);
    List<List<String>> cmds = new ArrayList<>();
    String[][] jumps = {{"nat", "PREROUTING", chain}, {"nat", "POSTROUTING", fwd},
        {"filter", "FORWARD", fwd}};
    for (String[] j : jumps) {
      String listing = j[0].equals("nat") ? nat : filter;
      long n = listing.lines().filter(("-A " + j[1] + " -j " + j[2])::equals).count();
      for (long i = 0; i < n; i++) {
        cmds.add(List.of(f.program(), "-w", "-t", j[0], "-D", j[1], "-j", j[2]));
      }
    }
    // the forward chain (which jumps to the re-open chain) first: a chain still jumped to stays
    String[][] chains = {{"nat", chain}, {"nat", fwd}, {"filter", fwd},
        {"filter", reopenChain(chain)}};
    for (String[] c : chains) {
      String listing = c[0].equals("nat") ? nat : filter;
      if (listing.lines().anyMatch(("-N " + c[1])::equals)) {
        cmds.add(List.of(f.program(), "-w", "-t", c[0], "-F", c[1]));
        cmds.add(List.of(f.program(), "-w", "-t", c[0], "-X", c[1]));
      }
    }
    return cmds;
  }

  /** E.g. {@code 2026-11-30T19:30:00}: the end in UTC, at most {@link #MAX_DATESTOP}. */
  static String datestop(long expiresEpoch) {
    return DATESTOP.format(Instant.ofEpochSecond(Math.min(expiresEpoch, MAX_DATESTOP)));
  }

  static List<String> insertGrant(String chain, Access a, long expiresEpoch) {
    List<String> argv = new ArrayList<>(List.of(IptablesFamily.of(a).program(), "-w", "-I",
        grantChain(chain, a), "1"));
    argv.addAll(grantSpec(a, expiresEpoch));
    return argv;
  }

  static List<String> deleteGrant(String chain, Access a, long expiresEpoch) {
    List<String> argv = new ArrayList<>(List.of(IptablesFamily.of(a).program(), "-w", "-D",
        grantChain(chain, a)));
    argv.addAll(grantSpec(a, expiresEpoch));
    return argv;
  }

  /** The commands that remove the chain: one jump deletion per jump, then flush and delete. */
  static List<List<String>> removal(String chain, int jumps) {
    return removal(chain, jumps, IptablesFamily.V4);
  }

  static List<List<String>> removal(String chain, int jumps, IptablesFamily f) {
    List<List<String>> cmds = new ArrayList<>();
    for (int i = 0; i < jumps; i++) {
      cmds.add(List.of(f.program(), "-w", "-D", "INPUT", "-j", chain));
    }
    cmds.add(List.of(f.program(), "-w", "-F", chain));
    cmds.add(List.of(f.program(), "-w", "-X", chain));
    return cmds;
  }

  /** A grant rule as {@code iptables -S} prints it (in the forward chain for a forward). */
  static String grantLine(String chain, Access a, long expiresEpoch) {
    return line(grantChain(chain, a), grantSpec(a, expiresEpoch));
  }

  /**
   * The chain's rules in order, as {@code iptables -S} prints them. Refused packets get
   * {@link FirewallSettings#iptablesTarget}: the settings' reply must be resolved (not auto).
   */
  static List<String> rules(FirewallSettings s, Map<Access, Long> grants) {
    return rules(s, grants, IptablesFamily.V4);
  }

  /** {@link #rules(FirewallSettings, Map)} of one family; {@code grants} are of that family. */
  static List<String> rules(FirewallSettings s, Map<Access, Long> grants, IptablesFamily f) {
    String c = s.chain();
    List<String> lines = new ArrayList<>();
    // sessions outlive their grant, but a bare SYN is no session (see NftScripts.install)
    lines.add(line(c, List.of("!", "-p", "tcp", "-m", "conntrack", "--ctstate",
        "RELATED,ESTABLISHED", "-j", "ACCEPT")));
    lines.add(line(c, List.of("-p", "tcp", "-m", "tcp", "!", "--tcp-flags", "SYN,ACK", "SYN",
        "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")));
    grants.forEach((a, epoch) -> {
      if (!a.forwarded()) { // a forward's accept lives in the forward chain
        lines.add(grantLine(c, a, epoch));
      }
    });
    for (PortSpec p : s.protect()) {
      List<String> args = new ArrayList<>(List.of("-p", p.protocol().word(), "-m",
          p.protocol().word(), "--dport", Integer.toString(p.port())));
      args.addAll(f.target(s.iptablesTarget(p.protocol())));
      lines.add(line(c, args));
    }
    String range = s.knockStart() == s.knockEnd()
        ? Integer.toString(s.knockStart()) : s.knockStart() + ":" + s.knockEnd();
    logAndRefuse(lines, s, Protocol.TCP, range, f);
    if (s.udpKnocks()) {
      logAndRefuse(lines, s, Protocol.UDP, range, f);
    }
    for (PortSpec p : s.extraLogged()) {
      logAndRefuse(lines, s, p.protocol(), Integer.toString(p.port()), f);
    }
    return lines;
  }

  private static void logAndRefuse(List<String> lines, FirewallSettings s, Protocol p,
      String ports, IptablesFamily f) {
    List<String> match = new ArrayList<>(List.of("-p", p.word(), "-m", p.word(), "--dport", ports));
    if (p == Protocol.TCP) {
      match.addAll(List.of("--tcp-flags", "FIN,SYN,RST,ACK", "SYN"));
    }
    List<String> log = new ArrayList<>(match);
    log.addAll(s.iptablesLog());
    List<String> refuse = new ArrayList<>(match);
    refuse.addAll(f.target(s.iptablesTarget(p)));
    lines.add(line(s.chain(), log));
    lines.add(line(s.chain(), refuse));
  }

  /**
   * The iptables-restore input that (re)writes the chain atomically: declaring the chain flushes
   * it, even with {@code --noflush}.
   */
  static String restoreScript(FirewallSettings s, Map<Access, Long> grants, boolean addJump) {
    return restoreScript(s, grants, addJump, IptablesFamily.V4);
  }

  /** {@link #restoreScript(FirewallSettings, Map, boolean)} for one family's restore program. */
  static String restoreScript(FirewallSettings s, Map<Access, Long> grants, boolean addJump,
      IptablesFamily f) {
    return restoreScript(s, grants, addJump, f, null);
  }

  /**
   * {@link #restoreScript(FirewallSettings, Map, boolean, IptablesFamily)} that, given the
   * {@code forward} leftovers of a listing whose forward chain exists (else null), rewrites the
   * filter forward chain and its re-open chain in the same commit (see {@link #natScript}): an
   * earlier run's refusals, of either layout, are kept with the verdict {@code s} gives now.
   */
  static String restoreScript(FirewallSettings s, Map<Access, Long> grants, boolean addJump,
      IptablesFamily f, ForwardLeftovers forward) {
    StringBuilder b = new StringBuilder("*filter\n:").append(s.chain()).append(" - [0:0]\n");
    for (String rule : rules(s, grants, f)) {
      b.append(rule).append('\n');
    }
    if (forward != null && forward.exists()) {
      forwardFilter(b, s.chain(), grants, forward.reopenPorts(),
          f.target(s.iptablesTarget(Protocol.TCP)), !forward.jumped());
    }
    if (addJump) {
      b.append("-I INPUT 1 -j ").append(s.chain()).append('\n');
    }
    return b.append("COMMIT\n").toString();
  }

  /**
   * Reads {@code iptables -S}: whether the chain exists, how many jumps to it INPUT has, and its
   * grant rules (for one access listed twice, the later expiry).
   */
  static Leftovers parse(String listing, String chain) {
    return parse(listing, chain, IptablesFamily.V4);
  }

  /** {@link #parse(String, String)} of {@code ip6tables -S} (V6: /128 and /64 grants). */
  static Leftovers parse(String listing, String chain, IptablesFamily f) {
    String address = f == IptablesFamily.V4 ? "(\\d{1,3}(?:\\.\\d{1,3}){3})/(32)"
        : "([0-9a-f]{0,4}:[0-9a-f:]{1,38})/(128|64)"; // with a ':': a literal, never a name
    Pattern grant = Pattern.compile("-A " + Pattern.quote(chain)
        + " -s " + address + " -p (tcp|udp) -m (?:tcp|udp) --dport (\\d{1,5})"
        + "(?: -m conntrack --ctstate DNAT --ctorigdstport (\\d{1,5}))?"
        + "(?: -m time --datestop \\S+)? -m comment --comment \"?" + COMMENT + "(\\d{1,12})\"? -j ACCEPT");
    Pattern forward = Pattern.compile("-A " + Pattern.quote(forwardChain(chain))
        + " -s (\\d{1,3}(?:\\.\\d{1,3}){3})/32 -d (\\d{1,3}(?:\\.\\d{1,3}){3})/32"
        + " -p (tcp|udp) -m (?:tcp|udp) --dport (\\d{1,5}) -m conntrack --ctstate DNAT"
        + " --ctorigdstport (\\d{1,5}) -m time --datestop \\S+ -m comment --comment \"?"
        + COMMENT + "(\\d{1,12})( " + MASQUERADE + ")?\"? -j ACCEPT");
    boolean exists = false;
    int jumps = 0;
    Map<Access, Long> grants = new LinkedHashMap<>();
    for (String raw : listing.split("\n")) {
      String l = raw.strip();
      if (l.equals("-N " + chain)) {
        exists = true;
      } else if (l.equals("-A INPUT -j " + chain)) {
        jumps++;
      } else {
        Matcher fw = forward.matcher(l);
        if (fw.matches()) {
          try {
            grants.merge(new Access(Access.ipv4(fw.group(1)), Integer.parseInt(fw.group(4)),
                Protocol.ofWord(fw.group(3)), Integer.parseInt(fw.group(5)),
                Access.ipv4(fw.group(2)), fw.group(7) != null), Long.parseLong(fw.group(6)),
                Math::max);
          } catch (IllegalArgumentException e) {
            // not a rule knockd wrote
          }
          continue;
        }
        Matcher m = grant.matcher(l);
        if (m.matches()) {
          // groups: 1 address, 2 prefix, 3 protocol, 4 port, 5 external (optional), 6 expiry
          Access a = parseAccess(m.group(1), Integer.parseInt(m.group(2)), m.group(4),
              m.group(3), m.group(5), f);
          if (a != null) {
            grants.merge(a, Long.parseLong(m.group(6)), Math::max);
          }
        }
      }
    }
    return new Leftovers(exists, jumps, grants);
  }

  private static Access parseAccess(String ip, int prefix, String port, String protocol,
      String external, IptablesFamily f) {
    try {
      java.net.InetAddress a = f == IptablesFamily.V4 ? Access.ipv4(ip)
          : java.net.InetAddress.getByName(ip); // hex digits and ':' only: parsed, not looked up
      if (f == IptablesFamily.V6 && !(a instanceof java.net.Inet6Address)) {
        return null;
      }
      return new Access(a, Integer.parseInt(port), Protocol.ofWord(protocol), prefix,
          external == null ? 0 : Integer.parseInt(external), null, false);
    } catch (IllegalArgumentException | java.net.UnknownHostException e) {
      return null;
    }
  }

  /** {@code -A CHAIN args}, quoting args with a blank the way iptables -S does. */
  private static String line(String chain, List<String> args) {
    StringBuilder b = new StringBuilder("-A ").append(chain);
    for (String a : args) {
      b.append(' ').append(a.indexOf(' ') >= 0 ? "\"" + a + "\"" : a);
    }
    return b.toString();
  }
}
