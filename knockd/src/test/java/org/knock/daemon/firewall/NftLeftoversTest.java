package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knock.core.Protocol;

/**
 * Real {@code nft -j list} output of knockd's own table (nft 1.0.6, captured in a namespace by
 * test-data/nft-leftovers/capture.sh), and broken variants of it.
 */
class NftLeftoversTest {
  static final Access SSH_REDIRECT = Access.redirect(Access.ipv4("10.99.0.2"), 22, Protocol.TCP,
      41369);
  static final Access DNS_REDIRECT = Access.redirect(Access.ipv4("10.99.0.3"), 53, Protocol.UDP,
      45000);
  static final Access SSH_REDIRECT6 = Access.redirect(ipv6("fd10::2"), 22, Protocol.TCP, 42000);
  static final Access DB_FORWARD = new Access(Access.ipv4("10.99.0.2"), 5432, Protocol.TCP, 8443,
      Access.ipv4("10.98.0.2"), true);
  static final Access DB2_FORWARD = new Access(Access.ipv4("10.99.0.3"), 5433, Protocol.TCP,
      8444, Access.ipv4("10.98.0.3"), false);

  private static java.net.InetAddress ipv6(String literal) {
    try {
      return java.net.InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static String captured(String name) {
    String prop = System.getProperty("knock.testdata");
    Path dir = (prop != null ? Path.of(prop) : Path.of("..", "test-data")).resolve(
        "nft-leftovers");
    try {
      return Files.readString(dir.resolve(name + ".json"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Every capture, keyed as the backend keys its listings. */
  static Map<String, String> all() {
    Map<String, String> m = new LinkedHashMap<>();
    for (var what : NftLeftovers.LISTED) {
      m.put(String.join(" ", what), captured(what.get(1)));
    }
    return m;
  }

  @Test
  void everyShapeKnockdWritesIsReadWithTheTimeItHasLeft() throws Exception {
    NftLeftovers.Leftovers left = NftLeftovers.read(all());
    assertThat(left.live()).containsOnly(
        Map.entry(new Access(Access.ipv4("10.99.0.2"), 22, Protocol.TCP), Duration.ofSeconds(1799)),
        Map.entry(new Access(Access.ipv4("10.99.0.3"), 53, Protocol.UDP),
            Duration.ofSeconds(93599)),
        Map.entry(new Access(java.net.InetAddress.getByName("fd10::2"), 22, Protocol.TCP), Duration.ofSeconds(599)),
        Map.entry(Fixtures.SSH6NET, Duration.ofSeconds(599)),
        Map.entry(SSH_REDIRECT, Duration.ofSeconds(1799)),
        Map.entry(DNS_REDIRECT, Duration.ofSeconds(299)),
        Map.entry(SSH_REDIRECT6, Duration.ofSeconds(899)),
        Map.entry(DB_FORWARD, Duration.ofSeconds(1799)),
        Map.entry(DB2_FORWARD, Duration.ofSeconds(1199)));
    assertThat(left.errors()).isEmpty();
  }

  @Test
  void elementsKnockdNeverWritesAreNamedAndNotAdopted() {
    NftLeftovers.Leftovers left = NftLeftovers.read(all());
    assertThat(left.odd()).containsExactlyInAnyOrder(
        "granted 10.99.0.5 . tcp . 0", // port 0
        "granted 10.99.0.6 . tcp . 22 (no timeout)",
        "redirects 10.99.0.4 . tcp . 41000 : 22 (no timeout)",
        "redirects6 fd10::4 . tcp . 42001 : 22 (no timeout)");
  }

  @Test
  void theWholeTablesListingReadsTheSame() {
    NftLeftovers.Leftovers table = NftLeftovers.read(Map.of("table", captured("table")));
    NftLeftovers.Leftovers sets = NftLeftovers.read(all());
    assertThat(table.live()).isEqualTo(sets.live());
    assertThat(table.odd()).containsExactlyInAnyOrderElementsOf(sets.odd());
  }

  @Test
  void aBrokenListingIsOneErrorAndTheOthersAreStillRead() {
    Map<String, String> m = all();
    String redirects = captured("redirects");
    m.put("map redirects", redirects.substring(0, redirects.length() / 2)); // cut off
    m.put("set granted", "");
    m.put("set granted6", "{\"nftables\": 7}");
    m.put("set granted6net", "[1, 2]");
    NftLeftovers.Leftovers left = NftLeftovers.read(m);
    assertThat(left.errors()).hasSize(4).allMatch(e -> e.contains(": not nft's JSON ("))
        .anyMatch(e -> e.startsWith("map redirects: "));
    assertThat(left.live()).containsOnlyKeys(DB_FORWARD, DB2_FORWARD, SSH_REDIRECT6);
  }

  @Test
  void oddStructuresInsideAListingAreLeftAloneOneByOne() {
    String json = """
        {"nftables": [{"metainfo": {"version": "1.0.6"}}, {"map": {"family": "inet",
         "name": "redirects", "table": "knockd", "elem": [
          [{"elem": {"val": {"concat": ["10.99.0.2", "tcp", 41369]}, "timeout": 60,
            "expires": 59}}, 22],
          [{"elem": {"val": {"concat": ["10.99.0.7", "sctp", 41369]}, "timeout": 60,
            "expires": 59}}, 22],
          [{"elem": {"val": {"concat": ["fd10::7", "tcp", 41369]}, "timeout": 60,
            "expires": 59}}, 22],
          [{"elem": {"val": {"concat": ["10.99.0.8", "tcp", 41369]}, "timeout": 60,
            "expires": 59}}, 70000],
          [{"elem": {"val": {"concat": ["10.99.0.9", "tcp", 41369]}, "timeout": 60,
            "expires": 59}}],
          [{"elem": {"val": {"range": ["10.99.0.9", "10.99.0.10"]}, "timeout": 60,
            "expires": 59}}, 22],
          "junk",
          [{"elem": {"val": {"concat": ["10.99.0.11", "tcp", 41369]}, "timeout": 60,
            "expires": 0}}, 22]]}}]}
        """;
    NftLeftovers.Leftovers left = NftLeftovers.read(Map.of("map redirects", json));
    assertThat(left.live()).containsOnly(Map.entry(SSH_REDIRECT, Duration.ofSeconds(59)));
    assertThat(left.odd()).hasSize(6);
    assertThat(left.errors()).isEmpty();
  }
}
