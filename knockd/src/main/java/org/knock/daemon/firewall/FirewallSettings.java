package org.knock.daemon.firewall;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.knock.core.Protocol;

/**
 * What every backend installs, validated so it can be written into nft scripts and iptables
 * rules as is. Guarantees: a log prefix of 1-29 characters from {@code A-Z a-z 0-9 space _ . : = / # -}
 * (iptables' limit, no quotes); {@code 1 <= knockStart <= knockEnd <= 65535}; lists without
 * duplicates; no protected port that is also logged (knock range or extra); a name of 1-21
 * characters {@code [A-Za-z][A-Za-z0-9_]*} (so that the iptables chain {@code NAME-FWD-RE} fits
 * iptables' 28) (null means {@value #DEFAULT_NAME}); a positive command
 * timeout (null means {@link #DEFAULT_COMMAND_TIMEOUT}); a reply (null means {@link KnockReply#AUTO}).
 *
 * @param logPrefix the LOG prefix of knock lines, e.g. {@code "KNOCK: "}
 * @param knockStart first port of the knock range
 * @param knockEnd last port of the knock range
 * @param udpKnocks whether UDP datagrams to the knock range are logged too (TCP: SYN only)
 * @param extraLogged ports of knockd-compatible static doors, also logged and dropped
 * @param protect ports hidden (dropped) until a grant opens them
 * @param name the nft table name; the iptables chain is its upper case
 * @param commandTimeout how long one firewall command may take
 * @param reply how knock ports and protected ports answer: as closed ports (reset), as filtered
 *     ones (drop), or like the host's other ports (auto, resolved by the backend at install)
 * @param nflogGroup -1: knock packets are logged to the kernel log (LOG, {@code log prefix});
 *     0-65535: to that NFLOG group (NFLOG, {@code log group N prefix}), with the same prefix
 */
public record FirewallSettings(String logPrefix, int knockStart, int knockEnd, boolean udpKnocks,
    List<PortSpec> extraLogged, List<PortSpec> protect, String name, Duration commandTimeout,
    KnockReply reply, int nflogGroup) {

  public static final String DEFAULT_NAME = "knockd";
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(5);

  public FirewallSettings {
    Objects.requireNonNull(logPrefix, "logPrefix");
    if (!logPrefix.matches("[A-Za-z0-9 _.:=/#-]{1,29}")) {
      throw new IllegalArgumentException("bad log prefix '" + logPrefix + "': use 1-29 of "
          + "A-Z a-z 0-9 space _ . : = / # -");
    }
    if (knockStart < 1 || knockEnd > 65535 || knockStart > knockEnd) {
      throw new IllegalArgumentException(
          "bad knock range " + knockStart + "-" + knockEnd + ": use 1 <= start <= end <= 65535");
    }
    extraLogged = List.copyOf(new LinkedHashSet<>(extraLogged));
    protect = List.copyOf(new LinkedHashSet<>(protect));
    name = name == null ? DEFAULT_NAME : name;
    if (!name.matches("[A-Za-z][A-Za-z0-9_]{0,20}")) { // CHAIN-FWD-RE: 28, iptables' limit
      throw new IllegalArgumentException(
          "bad firewall name '" + name + "': use a letter then up to 20 of A-Z a-z 0-9 _");
    }
    commandTimeout = commandTimeout == null ? DEFAULT_COMMAND_TIMEOUT : commandTimeout;
    if (commandTimeout.isNegative() || commandTimeout.isZero()) {
      throw new IllegalArgumentException("bad command timeout " + commandTimeout);
    }
    reply = reply == null ? KnockReply.AUTO : reply;
    if (nflogGroup < -1 || nflogGroup > 65535) {
      throw new IllegalArgumentException("bad NFLOG group " + nflogGroup + ": use 0-65535");
    }
    for (PortSpec p : protect) {
      boolean inRange = p.port() >= knockStart && p.port() <= knockEnd
          && (p.protocol() == Protocol.TCP || udpKnocks);
      if (inRange || extraLogged.contains(p)) {
        throw new IllegalArgumentException("port " + p + " is both protected and logged as a knock"
            + (inRange ? " (knock range " + knockStart + "-" + knockEnd + ")" : ""));
      }
    }
  }

  /** Settings that log to the kernel log (LOG). */
  public FirewallSettings(String logPrefix, int knockStart, int knockEnd, boolean udpKnocks,
      List<PortSpec> extraLogged, List<PortSpec> protect, String name, Duration commandTimeout,
      KnockReply reply) {
    this(logPrefix, knockStart, knockEnd, udpKnocks, extraLogged, protect, name, commandTimeout,
        reply, -1);
  }

  /** The same settings, logging to NFLOG group {@code group} (-1: the kernel log). */
  public FirewallSettings withNflogGroup(int group) {
    return new FirewallSettings(logPrefix, knockStart, knockEnd, udpKnocks, extraLogged, protect,
        name, commandTimeout, reply, group);
  }

  /** Settings that drop silently, as knockd did before {@link KnockReply} existed. */
  public FirewallSettings(String logPrefix, int knockStart, int knockEnd, boolean udpKnocks,
      List<PortSpec> extraLogged, List<PortSpec> protect, String name, Duration commandTimeout) {
    this(logPrefix, knockStart, knockEnd, udpKnocks, extraLogged, protect, name, commandTimeout,
        KnockReply.DROP);
  }

  /** The same settings with another reply (a backend's resolution of {@link KnockReply#AUTO}). */
  FirewallSettings withReply(KnockReply r) {
    return new FirewallSettings(logPrefix, knockStart, knockEnd, udpKnocks, extraLogged, protect,
        name, commandTimeout, r, nflogGroup);
  }

  /** The nft verdict for a refused packet: drop, or a reject that mimics a closed port. */
  String nftVerdict(Protocol p) {
    return resolved() == KnockReply.DROP ? "drop"
        : p == Protocol.TCP ? "reject with tcp reset" : "reject";
  }

  /** The nft statement that logs a knock packet, between spaces. */
  String nftLog() {
    return nflogGroup < 0 ? " log prefix \"" + logPrefix + "\" "
        : " log group " + nflogGroup + " prefix \"" + logPrefix + "\" ";
  }

  /** The iptables target (with options) that logs a knock packet. */
  List<String> iptablesLog() {
    return nflogGroup < 0 ? List.of("-j", "LOG", "--log-prefix", logPrefix)
        : List.of("-j", "NFLOG", "--nflog-group", Integer.toString(nflogGroup),
            "--nflog-prefix", logPrefix);
  }

  /** The iptables target (with options) for a refused packet. */
  List<String> iptablesTarget(Protocol p) {
    return resolved() == KnockReply.DROP ? List.of("-j", "DROP")
        : List.of("-j", "REJECT", "--reject-with",
            p == Protocol.TCP ? "tcp-reset" : "icmp-port-unreachable");
  }

  private KnockReply resolved() {
    if (reply == KnockReply.AUTO) {
      throw new IllegalStateException("KnockReply auto must be resolved before rules are written");
    }
    return reply;
  }

  /** The iptables chain name: {@link #name()} in upper case. */
  public String chain() {
    return name.toUpperCase(Locale.ROOT);
  }

  /** The ports of {@code ports} with the given protocol, in order. */
  static List<Integer> portsOf(List<PortSpec> ports, Protocol protocol) {
    return ports.stream().filter(p -> p.protocol() == protocol).map(PortSpec::port).toList();
  }
}
