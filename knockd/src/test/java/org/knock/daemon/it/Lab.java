package org.knock.daemon.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The end-to-end tests' lab: a {@link NetnsPair} ("client" .2, "server" .1, plus the client
 * aliases .3 and .4 for NAT and second-source scenarios), a TCP service on the protected port 22
 * in the server, keys made by {@code bin/knock keygen}, and the ways the client side acts and
 * observes: the real {@code bin/knock}, other senders (bash {@code /dev/tcp}, hping3, Debian's
 * {@code knock}), source NAT, and connect probes. Closing stops every knockd it started and
 * deletes both namespaces, whatever state the test left.
 */
final class Lab implements AutoCloseable {
  static final int SERVICE = 22;
  private final NetnsPair pair;
  private final Path dir;
  private final String subnet;
  private final List<Knockd> daemons = new ArrayList<>();

  private Lab(NetnsPair pair, Path dir, String subnet) {
    this.pair = pair;
    this.dir = dir;
    this.subnet = subnet;
  }

  /**
   * @param subnet the first three octets of the lab's /24 (inside 10.204.0.0/16)
   * @param dir a fresh directory for configs, keys, logs and outputs
   */
  static Lab open(String tag, String subnet, Path dir) throws IOException, InterruptedException {
    NetnsPair pair = new NetnsPair(tag, subnet);
    Lab lab = new Lab(pair, dir, subnet);
    try {
      for (int host : new int[] {3, 4}) {
        pair.client.exec("ip", "addr", "add", lab.clientAlias(host) + "/24", "dev", "vc").ok();
      }
      Probes.listen(pair.server, SERVICE, dir);
      return lab;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      pair.close();
      throw e;
    }
  }

  /** {@code ROOT/bin/NAME} of the checkout under test. */
  static String script(String name) {
    String root = System.getProperty("knock.root");
    if (root == null) {
      throw new AssertionError("system property knock.root is not set");
    }
    Path p = Path.of(root, "bin", name);
    if (!Files.isExecutable(p)) {
      throw new AssertionError(p + " is not executable");
    }
    return p.toString();
  }

  Netns client() {
    return pair.client;
  }

  Netns server() {
    return pair.server;
  }

  String clientIp() {
    return pair.clientIp;
  }

  String serverIp() {
    return pair.serverIp;
  }

  /** Another address of the client, {@code SUBNET.host} (3 and 4 exist). */
  String clientAlias(int host) {
    return subnet + "." + host;
  }

  /** A knockd in the server namespace (config written, not started), stopped on close. */
  Knockd knockd(String name, Knockd.Settings settings, String sections) throws IOException {
    Knockd k = new Knockd(pair.server, settings, dir.resolve(name), sections);
    daemons.add(k);
    return k;
  }

  /** A fresh key from {@code bin/knock keygen -o DIR/NAME.key}, checked to be mode 0600. */
  Path keygen(String name) {
    Path key = dir.resolve(name + ".key");
    Netns.run(List.of("env", "KNOCK_HOME=" + dir.resolve("home"), script("knock"), "keygen",
        "-o", key.toString(), "--user", name), 30).ok();
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(key);
      if (!perms.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
        throw new AssertionError("keygen wrote " + key + " with " + perms);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return key;
  }

  /** Runs {@code bin/knock [options] -k KEY SERVER COMMAND} in the client; checks exit 0. */
  void knock(Path key, String command, String... options) {
    Netns.Result r = tryKnock(key, command, options);
    if (r.exit() != 0 || !r.err().isEmpty()) {
      throw new AssertionError("bin/knock " + Arrays.toString(options) + " '" + command
          + "': exit " + r.exit() + ": " + r.err());
    }
  }

  /** Runs {@code bin/knock [options] -k KEY SERVER COMMAND} in the client, whatever it exits. */
  Netns.Result tryKnock(Path key, String command, String... options) {
    return pair.client.exec(knockArgv(key, command, options));
  }

  /** The ports {@code bin/knock --print ...} gives in the client namespace, in its order. */
  List<Integer> print(Path key, String command, String... options) {
    return printFor(pair.serverIp, key, command, options);
  }

  /** {@link #print} of a knock for another server address. */
  List<Integer> printFor(String server, Path key, String command, String... options) {
    List<String> o = new ArrayList<>(List.of(options));
    o.add("--print");
    Netns.Result r =
        pair.client.exec(knockArgv(server, key, command, o.toArray(new String[0]))).ok();
    List<Integer> ports = new ArrayList<>();
    for (String l : r.out().split("\n")) {
      if (!l.isBlank()) {
        ports.add(Integer.parseInt(l.strip()));
      }
    }
    return ports;
  }

  private String[] knockArgv(Path key, String command, String... options) {
    return knockArgv(pair.serverIp, key, command, options);
  }

  /** {@code bin/knock [options] -k KEY SERVER COMMAND} for another server address. */
  String[] knockArgv(String server, Path key, String command, String... options) {
    List<String> argv = new ArrayList<>(List.of("env", "KNOCK_HOME=" + dir.resolve("home"),
        script("knock")));
    argv.addAll(List.of(options));
    argv.addAll(List.of("-k", key.toString(), server, command));
    return argv.toArray(new String[0]);
  }

  /** Runs a command in the client namespace (e.g. Debian's knock); checks exit 0. */
  Netns.Result inClient(String... cmd) {
    return pair.client.exec(cmd).ok();
  }

  /**
   * Sends SYNs from the client to the server without bin/knock, in exactly the given order: a
   * step {@code "PORT"} is a bash {@code /dev/tcp} connect (the next step waits, ≤ 1 s, until
   * its SYN is out; each connect is killed after 0.9 s, before the kernel would retransmit), a
   * step {@code "junk:PORT"} a SYN from hping3 with the client's address. Returns when all ended.
   */
  void send(List<String> steps) {
    send(pair.serverIp, pair.clientIp, steps);
  }

  /** {@link #send} to another server address, junk spoofed from {@code source}. */
  void send(String server, String source, List<String> steps) {
    // few processes a step: on a slow 2-core VM with other ITs running, a timeout + bash + ss
    // per port took the knock past the test knockd's SequenceTimeout of 2 s
    String script = String.join("\n",
        "ip=$1; src=$2; shift 2",
        "sent() { # a SYN_SENT socket to port $1 (hex) in /proc/net/tcp or tcp6, with builtins",
        "  local _a _b rem st _c f",
        "  for f in /proc/net/tcp /proc/net/tcp6; do",
        "    while read -r _a _b rem st _c; do",
        "      [[ $rem == *:$1 && $st == 02 ]] && return 0",
        "    done < $f",
        "  done",
        "  return 1",
        "}",
        "for s in \"$@\"; do",
        "  case $s in",
        "    junk:*) timeout 3 hping3 -q -S -c 1 -a \"$src\" -p \"${s#junk:}\" \"$ip\" "
            + ">/dev/null 2>&1 &",
        "            sleep 0.02 ;;",
        "    *) ( exec 3<>\"/dev/tcp/$ip/$s\" ) 2>/dev/null & c=$!",
        "       ( sleep 0.9; kill $c 2>/dev/null ) &",
        "       printf -v hex '%04X' \"$s\"",
        "       for ((i = 0; i < 200; i++)); do sent \"$hex\" && break; sleep 0.005; done ;;",
        "  esac",
        "done",
        "wait",
        "true");
    List<String> argv = new ArrayList<>(List.of("bash", "-c", script, "send", server, source));
    argv.addAll(steps);
    pair.client.exec(argv.toArray(new String[0])).ok();
  }

  /** {@link #send} of plain ports. */
  void sendPorts(List<Integer> ports) {
    send(ports.stream().map(String::valueOf).toList());
  }

  /**
   * Source NAT in the client namespace: every new connection out of its veth comes from
   * {@code address} (one of its aliases) — as if the client sat behind a NAT router.
   */
  void natFrom(String address) throws IOException {
    Path rules = dir.resolve("nat.nft");
    Files.writeString(rules, "table ip e2enat {\n"
        + "  chain post {\n"
        + "    type nat hook postrouting priority srcnat; policy accept;\n"
        + "    oifname \"vc\" snat to " + address + "\n"
        + "  }\n"
        + "}\n");
    pair.client.exec("nft", "-f", rules.toString()).ok();
  }

  /** Ends {@link #natFrom}. */
  void noNat() {
    Netns.Result r = pair.client.exec("nft", "list", "table", "ip", "e2enat");
    if (r.exit() == 0) {
      pair.client.exec("nft", "delete", "table", "ip", "e2enat").ok();
    }
  }

  /**
   * Knocks an {@code open} command from the client, checks the service becomes reachable within
   * {@code withinMs} and that {@code knockd} audited the grant; returns the grant's end.
   */
  Instant open(Knockd knockd, Path key, String command, long withinMs, String... options)
      throws InterruptedException {
    int mark = knockd.audit().mark();
    knock(key, command, options);
    long ms = until(true, withinMs);
    if (ms < 0) {
      throw new AssertionError("'" + command + "' did not open within " + withinMs + " ms");
    }
    return Instant.parse(knockd.audit().await(mark, 1000, "access-granted", "addr", clientIp())
        .get("expires"));
  }

  /** Whether a TCP connect from the client to the protected service completes within 0.5 s. */
  boolean reachable() {
    return Probes.connects(pair.client, pair.serverIp, SERVICE, "0.5");
  }

  /** Polls until the service is (un)reachable; the ms it took, or -1 after {@code millis}. */
  long until(boolean reachable, long millis) throws InterruptedException {
    return Probes.until(reachable, pair.client, pair.serverIp, SERVICE, millis);
  }

  @Override
  public void close() {
    try {
      for (Knockd k : daemons) {
        try {
          k.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
          // keep cleaning up
        }
      }
    } finally {
      pair.close();
    }
  }
}
