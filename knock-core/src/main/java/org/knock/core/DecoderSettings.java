package org.knock.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How a daemon decodes knocks.
 *
 * @param suite the cipher
 * @param mapping the port mapping
 * @param basePort the first port of the knock range
 * @param timeWindow how far a knock's timestamp may lie from the daemon's clock, either way
 * @param maxCombinations how many combinations one source's depth search may try per second
 * @param serverAddresses the addresses version-2 knocks may be bound to; empty: the address each
 *     knock's packets were sent to
 * @param longMessages whether 36-byte knocks (address mode 2: an IPv6 address) are decoded too;
 *     needs the indexed mapping and a range of 9216 ports above the base
 */
public record DecoderSettings(
    CipherSuite suite,
    PortMapping mapping,
    int basePort,
    Duration timeWindow,
    int maxCombinations,
    java.util.List<ServerBinding> serverAddresses,
    boolean longMessages) {

  /** Default time window: ±120 s. */
  public static final Duration DEFAULT_TIME_WINDOW = Duration.ofSeconds(120);
  /** Default bound on combinations tried per sequence. */
  public static final int DEFAULT_MAX_COMBINATIONS = 4096;
  /** Default base port. */
  public static final int DEFAULT_BASE_PORT = 20000;

  public DecoderSettings {
    Objects.requireNonNull(suite);
    Objects.requireNonNull(mapping);
    Objects.requireNonNull(timeWindow);
    mapping.checkBase(basePort);
    if (maxCombinations < 1) {
      throw new IllegalArgumentException("maxCombinations must be positive");
    }
    serverAddresses = java.util.List.copyOf(serverAddresses);
    if (longMessages) {
      if (mapping != PortMapping.INDEXED) {
        throw new IllegalArgumentException("36-byte knocks need the indexed mapping");
      }
      mapping.checkBase(basePort, Sealer.LONG_MESSAGE_SIZE);
    }
  }

  /** Settings for 20-byte knocks only. */
  public DecoderSettings(CipherSuite suite, PortMapping mapping, int basePort,
      Duration timeWindow, int maxCombinations, java.util.List<ServerBinding> serverAddresses) {
    this(suite, mapping, basePort, timeWindow, maxCombinations, serverAddresses, false);
  }

  /** Settings that bind version-2 knocks to the address their packets were sent to. */
  public DecoderSettings(CipherSuite suite, PortMapping mapping, int basePort,
      Duration timeWindow, int maxCombinations) {
    this(suite, mapping, basePort, timeWindow, maxCombinations, java.util.List.of(), false);
  }

  /** Twofish, indexed, base 20000, ±120 s, 4096 combinations. */
  public static DecoderSettings defaults() {
    return new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, DEFAULT_BASE_PORT,
        DEFAULT_TIME_WINDOW, DEFAULT_MAX_COMBINATIONS);
  }
}
