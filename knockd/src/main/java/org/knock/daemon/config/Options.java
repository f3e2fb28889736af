package org.knock.daemon.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import org.knock.core.CipherSuite;
import org.knock.core.DecoderSettings;
import org.knock.core.PortMapping;
import org.knock.daemon.firewall.KnockReply;
import org.knock.daemon.firewall.PortSpec;
import org.knock.daemon.exec.CommandTemplate;

/**
 * The {@code [options]} section with every default applied. Relative paths in the file are
 * resolved against the config file's directory. These may be null: {@link #firewallLog}
 * (automatic: the daemon picks), {@link #auditLog} (standard output, written {@code -}),
 * {@link #nftSet} (knockd's own table), and {@link #openCommand} / {@link #closeCommand} (set
 * exactly when the firewall is {@code command}).
 *
 * @param firewallLog where the firewall's LOG lines are read; null = automatic
 * @param knockPorts the knock range; its start is the mapping's base port
 * @param cipher the knock cipher
 * @param mapping how bytes become ports
 * @param firewall how access is granted
 * @param protect ports the managed firewall drops unless granted
 * @param logPrefix the LOG rule's prefix, at most 29 printable ASCII characters
 * @param auditLog the audit log file; null = standard output
 * @param auditFormat text or json
 * @param stateDir where knockd keeps state (replay cache, grants)
 * @param timeWindow how far a knock's clock may be off, either way
 * @param sequenceTimeout how long one source's knock may take to arrive
 * @param defaultDuration how long {@code open} without a duration lasts
 * @param maxCombinations bound on combinations tried per sequence
 * @param maxSources bound on sources tracked at once
 * @param udpKnocks whether UDP packets to the knock range count
 * @param nftSet the admin's set to add grants to; null = knockd's own table
 * @param openCommand for firewall = command: run to grant; placeholders %IP% %PORT% %PROTO%
 *     %SECONDS%
 * @param closeCommand for firewall = command: run to revoke; same placeholders
 * @param commandTimeout how long OpenCommand / CloseCommand may run
 * @param allowRoot whether knockd may run as root (default no: run it as a dedicated user with
 *     CAP_NET_ADMIN alone, see etc/knockd.service)
 * @param knockReply how knock and protected ports answer scanners: reset, drop or auto
 * @param maxTagChecks tag checks per second for the whole daemon (a candidate message costs one
 *     per user), shared fairly across sources
 * @param serverAddresses the addresses knocks may be bound to (reached through NAT or a load
 *     balancer); empty: each knock must be bound to the address its packets were sent to
 * @param selfTest whether knockd checks at start that a probe SYN's LOG line reaches it
 * @param onExit what happens to knockd's firewall rules when it stops: keep (fail closed) or
 *     remove
 * @param randomPorts the external ports {@code open PORT random} picks from (docs/PROTOCOL.md
 *     §10); null: such knocks are refused
 * @param kmsgPoll with {@code FirewallLog = kmsg}: poll /dev/kmsg this often while idle instead of
 *     waiting for the kernel's wake-up (opt-in: costs CPU); null: off
 */
public record Options(
    FirewallLog firewallLog,
    KnockRange knockPorts,
    CipherSuite cipher,
    PortMapping mapping,
    FirewallType firewall,
    List<PortSpec> protect,
    String logPrefix,
    Path auditLog,
    AuditFormat auditFormat,
    Path stateDir,
    Duration timeWindow,
    Duration sequenceTimeout,
    Duration defaultDuration,
    int maxCombinations,
    int maxSources,
    boolean udpKnocks,
    NftSet nftSet,
    CommandTemplate openCommand,
    CommandTemplate closeCommand,
    Duration commandTimeout,
    boolean allowRoot,
    KnockReply knockReply,
    int maxTagChecks,
    List<java.net.InetAddress> serverAddresses,
    boolean selfTest,
    OnExit onExit,
    KnockRange randomPorts,
    Duration kmsgPoll) {

  public static final KnockRange DEFAULT_KNOCK_PORTS = new KnockRange(20000, 25119);
  public static final String DEFAULT_LOG_PREFIX = "KNOCK: ";
  /** iptables' limit on a LOG prefix. */
  public static final int MAX_LOG_PREFIX = 29;
  public static final Path DEFAULT_AUDIT_LOG = Path.of("/var/log/knockd/audit.log");
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/knockd");
  public static final Duration DEFAULT_SEQUENCE_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_DURATION = Duration.ofHours(1);
  public static final int DEFAULT_MAX_SOURCES = 65536;
  /** The shortest and longest {@code KmsgPoll}. */
  public static final Duration MIN_KMSG_POLL = Duration.ofNanos(100_000);
  public static final Duration MAX_KMSG_POLL = Duration.ofMillis(100);
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Default budget of tag checks per second: about a sixth of one core here (one check of a
   * message against one key costs ~0.17 µs; docs/BENCHMARKS.md).
   */
  public static final int DEFAULT_MAX_TAG_CHECKS = 1_000_000;
  /** Placeholders OpenCommand and CloseCommand accept. */
  public static final Set<String> FIREWALL_PLACEHOLDERS = Set.of("%IP%", "%PORT%", "%PROTO%", "%SECONDS%");

  public Options {
    Objects.requireNonNull(knockPorts);
    Objects.requireNonNull(cipher);
    Objects.requireNonNull(mapping);
    Objects.requireNonNull(firewall);
    protect = List.copyOf(protect);
    Objects.requireNonNull(logPrefix);
    Objects.requireNonNull(auditFormat);
    Objects.requireNonNull(stateDir);
    Objects.requireNonNull(timeWindow);
    Objects.requireNonNull(sequenceTimeout);
    Objects.requireNonNull(defaultDuration);
    Objects.requireNonNull(commandTimeout);
    Objects.requireNonNull(knockReply);
    serverAddresses = List.copyOf(serverAddresses);
    if (maxTagChecks < 1) {
      throw new IllegalArgumentException("maxTagChecks must be positive");
    }
    Objects.requireNonNull(onExit);
    if (knockPorts.size() < mapping.rangeSize()) {
      throw new IllegalArgumentException("knock range too small for " + mapping.word());
    }
    if ((firewall == FirewallType.COMMAND) != (openCommand != null && closeCommand != null)) {
      throw new IllegalArgumentException("commands exactly when firewall = command");
    }
  }

  /** The defaults, as an empty {@code [options]} gives. */
  public static Options defaults() {
    DecoderSettings d = DecoderSettings.defaults();
    return new Options(null, DEFAULT_KNOCK_PORTS, d.suite(), d.mapping(), FirewallType.NFTABLES,
        List.of(), DEFAULT_LOG_PREFIX, DEFAULT_AUDIT_LOG, AuditFormat.TEXT, DEFAULT_STATE_DIR,
        d.timeWindow(), DEFAULT_SEQUENCE_TIMEOUT, DEFAULT_DURATION, d.maxCombinations(),
        DEFAULT_MAX_SOURCES, false, null, null, null, DEFAULT_COMMAND_TIMEOUT, false,
        KnockReply.AUTO, DEFAULT_MAX_TAG_CHECKS, List.of(), true,
        OnExit.KEEP, null, null);
  }

  /** True if the audit log goes to standard output. */
  public boolean auditToStdout() {
    return auditLog == null;
  }

  /**
   * The decoder's settings: cipher, mapping, base port = start of the knock range, window, bound,
   * server addresses, and 36-port knocks where the range holds them.
   */
  public DecoderSettings decoderSettings() {
    return new DecoderSettings(cipher, mapping, knockPorts.start(), timeWindow, maxCombinations,
        serverAddresses.stream().map(a -> org.knock.core.ServerBinding.of(a.getAddress()))
            .toList(), longKnocks());
  }

  /**
   * Whether 36-port knocks (an IPv6 address to grant, {@code knock --allow ADDR6}) are decoded:
   * with the indexed mapping and a KnockPorts range of at least 9216 ports.
   */
  public boolean longKnocks() {
    return mapping == org.knock.core.PortMapping.INDEXED && knockPorts.size()
        >= mapping.rangeSize(org.knock.core.Sealer.LONG_MESSAGE_SIZE);
  }
}
