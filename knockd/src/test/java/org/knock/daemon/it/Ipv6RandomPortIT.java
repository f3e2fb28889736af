package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code open 22 random} for an IPv6 source, through a real kernel, per firewall backend. With
 * nftables the server starts over a table left by the previous version (no {@code redirects6}),
 * holding a random-port grant of that run: knockd adopts it (the old element stays) and adds the
 * IPv6 map and set; with iptables the grant is an ip6tables nat REDIRECT and accept. Then
 * {@code knock -6 … "open 22 30s random"}: the printed port reaches port 22 from the knocker's
 * IPv6 address, while port 22 itself stays shut and the printed port stays shut for another
 * address of the knocker's /64 (e.g. a neighbour's privacy address) and for an address of another
 * /64 (both reach an unprotected port: the refusal is the firewall's); {@code close 22} shuts it
 * within 1 s; a second grant ends at its timeout; iptables: stopping removes the ip6tables nat
 * chain.
 */
class Ipv6RandomPortIT extends LabScenarios {
  private static final String SERVER6 = "fd10:204:26::1";
  private static final String CLIENT6 = "fd10:204:26::2";
  /** Another address of the knocker's /64. */
  private static final String SIBLING6 = "fd10:204:26::3";
  /** The client's address in another /64. */
  private static final String STRANGER6 = "fd10:204:27::2";
  /** The table the previous version wrote (IPv4 random ports only), with one grant of its run. */
  private static final String PREVIOUS_TABLE = """
      add table inet knockd
      add set inet knockd granted { type ipv4_addr . inet_proto . inet_service; flags timeout; }
      add map inet knockd redirects { type ipv4_addr . inet_proto . inet_service : inet_service; \
      flags timeout; }
      add set inet knockd redirected { type ipv4_addr . inet_proto . inet_service \
      . inet_service; flags timeout; }
      add chain inet knockd prerouting { type nat hook prerouting priority dstnat; \
      policy accept; }
      add rule inet knockd prerouting meta l4proto { tcp, udp } redirect to ip saddr \
      . meta l4proto . th dport map @redirects
      add chain inet knockd input { type filter hook input priority filter - 1; policy accept; }
      add rule inet knockd input tcp dport 22 drop
      add element inet knockd redirects { 10.204.26.4 . tcp . 45555 timeout 10m : 22 }
      """;
  /** A port knockd does not protect, with a listener: each client address reaches it. */
  private static final int OPEN_PORT = 2222;
  private Path alice;
  private Path dir;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    this.dir = dir;
    lab = Lab.open("r6", "10.204.26", dir);
    lab.server().exec("ip", "-6", "addr", "add", SERVER6 + "/64", "dev", "vs", "nodad").ok();
    for (String a : new String[] {CLIENT6 + "/64", SIBLING6 + "/64", STRANGER6 + "/64"}) {
      lab.client().exec("ip", "-6", "addr", "add", a, "dev", "vc", "nodad").ok();
    }
    lab.server().exec("ip", "-6", "route", "add", "fd10:204:27::/64", "dev", "vs").ok();
    from(CLIENT6);
    Probes.listen(lab.server(), OPEN_PORT, dir);
    alice = lab.keygen("alice");
  }

  @ParameterizedTest(name = "{0}: the printed port reaches 22 for the knocker's address only")
  @ValueSource(strings = {"nftables", "iptables"})
  void anIpv6RandomPortReachesTheServiceForTheKnockersAddressOnlyUntilCloseOrExpiry(
      String firewall) throws Exception {
    boolean nftables = firewall.equals("nftables");
    if (nftables) {
      Path old = java.nio.file.Files.writeString(dir.resolve("previous.nft"), PREVIOUS_TABLE);
      lab.server().exec("nft", "-f", old.toString()).ok();
    }
    current = lab.knockd("knockd-" + firewall,
        new Knockd.Settings("twofish", "indexed", firewall, "kmsg"),
        "[user alice]\nKey = " + alice + "\nAllow = open 22/tcp, close\n")
        .set("RandomPorts", "40000-49999");
    current.start();
    if (nftables) {
      assertThat(nft("map", "redirects")).as("the previous run's grant, adopted")
          .contains("10.204.26.4 . tcp . 45555");
      assertThat(nft("map", "redirects6")).contains("type ipv6_addr . inet_proto . inet_service");
    }
    assertThat(connects(CLIENT6, 22)).as("port 22 over IPv6 before the knock").isFalse();

    int mark = current.audit().mark();
    int port = knockRandom("open 22 30s random");
    current.audit().await(mark, 2000, "access-granted", "addr", CLIENT6, "port", "22/tcp",
        "external", Integer.toString(port));
    assertThat(until(port, true, 1000)).as("ms until the printed port opens")
        .isBetween(0L, 1000L);
    if (nftables) {
      assertThat(nft("map", "redirects6")).contains(CLIENT6 + " . tcp . " + port)
          .contains("expires");
      assertThat(nft("set", "redirected6")).contains(CLIENT6 + " . tcp . " + port + " . 22");
    } else {
      assertThat(lab.server().exec("ip6tables", "-w", "-t", "nat", "-S", "KNOCKD").ok().out())
          .contains("-s " + CLIENT6 + "/128 -p tcp -m tcp --dport " + port + " -m time")
          .contains("-j REDIRECT --to-ports 22");
    }
    assertThat(connects(CLIENT6, 22)).as("port 22 itself").isFalse();
    for (String other : new String[] {SIBLING6, STRANGER6}) {
      assertThat(connects(other, OPEN_PORT)).as("%s reaches an open port", other).isTrue();
      assertThat(connects(other, port)).as("the printed port from %s", other).isFalse();
    }
    assertThat(connects(CLIENT6, port)).as("again from the knocker").isTrue();

    knock("close 22");
    current.audit().await(mark, 2000, "access-closed", "addr", CLIENT6, "port", "22/tcp",
        "external", Integer.toString(port), "by", "knock");
    assertThat(until(port, false, 1000)).as("ms until shut by close 22")
        .isBetween(0L, 1000L);

    // the grant ends at its timeout (nftables: the kernel; iptables: knockd, and the time match)
    mark = current.audit().mark();
    int second = knockRandom("open 22 2s random");
    long sent = System.nanoTime();
    assertThat(until(second, true, 1000)).isBetween(0L, 1000L);
    assertThat(until(second, false, 4000)).as("ms until expired").isNotNegative();
    assertThat((System.nanoTime() - sent) / 1_000_000).as("ms from knock to shut (2 s grant)")
        .isBetween(1500L, 4500L);
    current.audit().await(mark, 2000, "access-expired", "addr", CLIENT6, "external",
        Integer.toString(second));
    current.stop();
    if (!nftables) {
      assertThat(lab.server().exec("ip6tables", "-w", "-t", "nat", "-S", "KNOCKD").exit())
          .as("the ip6tables nat chain is removed with the filter chain").isNotZero();
    }
  }

  /** {@code nft list KIND inet knockd NAME} in the server. */
  private String nft(String kind, String name) {
    return lab.server().exec("nft", "list", kind, "inet", "knockd", name).ok().out();
  }

  /** Makes the client's connections to the server's IPv6 address come from {@code source}. */
  private void from(String source) {
    lab.client().exec("ip", "-6", "route", "replace", SERVER6 + "/128", "dev", "vc", "src",
        source).ok();
  }

  /** Whether a connect to the server's IPv6 address and {@code port} from {@code source} works. */
  private boolean connects(String source, int port) {
    from(source);
    try {
      return Probes.connects(lab.client(), SERVER6, port, "0.5");
    } finally {
      from(CLIENT6);
    }
  }

  /** {@link Probes#until} from the knocker's address to the server's IPv6 address. */
  private long until(int port, boolean reachable, long millis) throws InterruptedException {
    return Probes.until(reachable, lab.client(), SERVER6, port, millis);
  }

  /** {@code bin/knock -6 … COMMAND} to the server's IPv6 address; checks exit 0, no stderr. */
  private String knock(String command) {
    Netns.Result r = lab.client().exec(lab.knockArgv(SERVER6, alice, command, "-6"));
    assertThat(r.exit()).as("bin/knock -6: %s", r.err()).isZero();
    assertThat(r.err()).isEmpty();
    return r.out();
  }

  /** Knocks {@code command} over IPv6; returns the port bin/knock printed, alone on stdout. */
  private int knockRandom(String command) {
    String out = knock(command);
    assertThat(out).matches("\\d+\n");
    int port = Integer.parseInt(out.strip());
    assertThat(port).isBetween(40000, 49999);
    return port;
  }
}
