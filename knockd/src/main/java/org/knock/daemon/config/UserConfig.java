package org.knock.daemon.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.knock.core.Command;
import org.knock.core.KnockKey;
import org.knock.core.KnockUser;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.PortSpec;

/**
 * A {@code [user NAME]} section: the user's key and what the user may ask for. The key is never
 * shown by {@link #toString()}.
 *
 * @param name the user's name
 * @param key the user's secret
 * @param keySource where the key came from, for reports: "key file PATH" or "passphrase"
 * @param openPorts ports the user may open ({@code open 22/tcp})
 * @param openAnyPort protocols on which the user may open any port ({@code open *})
 * @param mayClose whether the user may close ports (and forwards) it may open
 * @param mayDenyFurther whether the user may ask to ignore its own source for a while
 * @param actions actions the user may run, in the order given
 * @param maxDuration the longest open or deny-further the user may ask for
 * @param allowOtherAddress whether a knock may grant an address other than its source
 * @param acceptVersion1 whether the user's unbound protocol-1 knocks are accepted (safe only while
 *     the key serves no other server; docs/PROTOCOL.md §10)
 * @param passphraseKeys for a user with a Passphrase: the key derived for each ServerAddress
 *     (empty for a key file)
 * @param uncheckedKeyFile the admin accepts a key file on a file system without POSIX permissions
 * @param forwards the {@code [forward NAME]}s the user may open ({@code Allow = open NAME})
 */
public record UserConfig(
    String name,
    KnockKey key,
    String keySource,
    Set<PortSpec> openPorts,
    Set<Protocol> openAnyPort,
    boolean mayClose,
    boolean mayDenyFurther,
    List<String> actions,
    Duration maxDuration,
    boolean allowOtherAddress,
    boolean acceptVersion1,
    java.util.Map<org.knock.core.ServerBinding, KnockKey> passphraseKeys,
    boolean uncheckedKeyFile,
    List<String> forwards) {

  /** Default for MaxDuration. */
  public static final Duration DEFAULT_MAX_DURATION = Duration.ofDays(1);

  public UserConfig {
    Objects.requireNonNull(name);
    Objects.requireNonNull(key);
    Objects.requireNonNull(keySource);
    openPorts = Set.copyOf(openPorts);
    openAnyPort = Set.copyOf(openAnyPort);
    actions = List.copyOf(actions);
    Objects.requireNonNull(maxDuration);
    passphraseKeys = java.util.Collections.unmodifiableMap(
        new java.util.LinkedHashMap<>(passphraseKeys));
    forwards = List.copyOf(forwards);
  }

  /**
   * The user as the decoder sees it: one entry, or for a passphrase one per server address its
   * keys were derived for (each serves that address alone; a passphrase has no version 1).
   */
  public List<KnockUser> knockUsers() {
    if (passphraseKeys.isEmpty()) {
      return List.of(new KnockUser(name, key, allowOtherAddress, acceptVersion1));
    }
    return passphraseKeys.entrySet().stream()
        .map(e -> new KnockUser(name, e.getValue(), allowOtherAddress, false, e.getKey()))
        .toList();
  }

  /** True if the user may open this port. */
  public boolean mayOpen(int port, Protocol protocol) {
    return openAnyPort.contains(protocol) || openPorts.contains(new PortSpec(port, protocol));
  }

  /**
   * Why the user may not do this, as the audit log's reason word: {@code not-allowed} or
   * {@code too-long}; empty if allowed. A zero duration (the server's default) is always allowed:
   * see {@link #grantDuration}. Whether a {@code run} action exists is the daemon's question
   * ({@link Config#actionById}).
   */
  public Optional<String> refusal(Command c) {
    boolean allowed;
    switch (c.verb()) {
      case OPEN:
        allowed = c.forward() ? forwards.contains(c.action()) : mayOpen(c.port(), c.protocol());
        break;
      case CLOSE:
        allowed = mayClose && (c.forward() ? forwards.contains(c.action())
            : mayOpen(c.port(), c.protocol()));
        break;
      case DENY_FURTHER:
        allowed = mayDenyFurther;
        break;
      case RUN:
        allowed = actions.contains(c.action());
        break;
      default:
        throw new AssertionError(c.verb());
    }
    if (!allowed) {
      return Optional.of("not-allowed");
    }
    if (c.duration().compareTo(maxDuration) > 0) {
      return Optional.of("too-long");
    }
    return Optional.empty();
  }

  /** How long to grant: the asked duration, or for none the default capped at MaxDuration. */
  public Duration grantDuration(Command c, Duration defaultDuration) {
    if (!c.duration().isZero()) {
      return c.duration();
    }
    return defaultDuration.compareTo(maxDuration) > 0 ? maxDuration : defaultDuration;
  }

  @Override
  public String toString() {
    return "UserConfig[" + name + ", " + keySource + "]";
  }
}
