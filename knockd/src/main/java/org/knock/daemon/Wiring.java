package org.knock.daemon;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.DoorConfig;
import org.knock.daemon.config.Options;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallOptions;
import org.knock.daemon.firewall.FirewallSettings;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.firewall.PortSpec;

/** How a {@link Config} becomes the settings of the daemon's parts. Pure functions. */
final class Wiring {
  private Wiring() {}

  /**
   * The firewall's settings: knock range, LOG prefix, door ports (logged too), protected ports,
   * how refused packets are answered.
   */
  static FirewallSettings firewallSettings(Config config) {
    Options o = config.options();
    List<PortSpec> doorPorts = new ArrayList<>();
    for (DoorConfig d : config.doors()) {
      doorPorts.addAll(d.sequence());
      d.oneTimeSequences().forEach(doorPorts::addAll);
    }
    return new FirewallSettings(o.logPrefix(), o.knockPorts().start(), o.knockPorts().end(),
        o.udpKnocks(), doorPorts, o.protect(), null, o.commandTimeout(), o.knockReply(),
        o.firewallLog() != null ? o.firewallLog().group() : -1); // -1 unless NFLOG
  }

  /** Most sources the hunt detector watches at once (about 640 bytes each for 5120 ports). */
  static final int HUNT_MAX_SOURCES = 4096;
  /** Distinct knock-range ports from one source, without a knock, that make a scan: 5 knocks. */
  static final int SCAN_PORTS = 100;
  /** Bad tags plus replays from one source that make a knock hunt. */
  static final int HUNT_REJECTIONS = 3;
  /** Longest window the hunt detector reports once. */
  static final Duration HUNT_INTERVAL = Duration.ofMinutes(1);

  /**
   * The hunt detector: a source's window closes once it has been quiet for the sequence timeout
   * plus 2 s (so its last sequence's refusal is counted) or after {@link #HUNT_INTERVAL}.
   */
  static HuntDetector<Integer> huntDetector(Options o) {
    return HuntDetector.ipv4(o.knockPorts().start(), o.knockPorts().end(), huntInterval(o),
        huntQuiet(o), SCAN_PORTS, HUNT_REJECTIONS, Math.min(o.maxSources(), HUNT_MAX_SOURCES));
  }

  /**
   * The hunt detector of IPv6 sources: the same thresholds and bound, and at most as many
   * windows per /64 as {@link Ipv6Sources} tracks sources of one /64.
   */
  static HuntDetector<Ipv6Address> huntDetector6(Options o) {
    return new HuntDetector<>(o.knockPorts().start(), o.knockPorts().end(), huntInterval(o),
        huntQuiet(o), SCAN_PORTS, HUNT_REJECTIONS, Math.min(o.maxSources(), HUNT_MAX_SOURCES),
        a -> a.hi(), Ipv6Sources.MAX_PER_PREFIX);
  }

  /** Whether hunt detectors made for {@code a} and {@code b} measure alike (same windows). */
  static boolean sameHuntDetectors(Options a, Options b) {
    return a.knockPorts().equals(b.knockPorts()) && a.sequenceTimeout().equals(b.sequenceTimeout())
        && a.maxSources() == b.maxSources();
  }

  private static Duration huntQuiet(Options o) {
    return o.sequenceTimeout().plusSeconds(2);
  }

  private static Duration huntInterval(Options o) {
    Duration quiet = huntQuiet(o);
    return quiet.compareTo(HUNT_INTERVAL) > 0 ? quiet : HUNT_INTERVAL;
  }

  /**
   * The backend the config names (nothing installed yet).
   *
   * @throws IllegalArgumentException with a one-line message for settings a backend refuses
   */
  static Firewall firewall(Config config, List<String> commandPrefix, Clock clock) {
    return Firewalls.create(config.options().firewall().word(), firewallSettings(config),
        firewallOptions(config, commandPrefix), clock);
  }

  static FirewallOptions firewallOptions(Config config, List<String> commandPrefix) {
    Options o = config.options();
    return FirewallOptions.DEFAULTS.withCommandPrefix(commandPrefix)
        .withNftSet(o.nftSet() == null ? null : o.nftSet().toString())
        .withCommands(o.openCommand(), o.closeCommand());
  }

  /** One door per fixed sequence and per one-time sequence of each {@code [NAME]} section. */
  static List<DoorMatcher.Door> doors(Config c) {
    List<DoorMatcher.Door> doors = new ArrayList<>();
    for (DoorConfig d : c.doors()) {
      if (!d.sequence().isEmpty()) {
        doors.add(new DoorMatcher.Door(d.name(), d.sequence(), d.seqTimeout(), d.tcpFlags(),
            false));
      }
      for (List<PortSpec> seq : d.oneTimeSequences()) {
        doors.add(new DoorMatcher.Door(d.name(), seq, d.seqTimeout(), d.tcpFlags(), true));
      }
    }
    return doors;
  }
}
