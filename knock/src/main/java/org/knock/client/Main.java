package org.knock.client;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.knock.core.CipherSuite;
import org.knock.core.Command;
import org.knock.core.KnockEncoder;
import org.knock.core.ServerBinding;
import org.knock.core.KnockException;
import org.knock.core.KnockKey;
import org.knock.core.Payload;
import org.knock.core.PortMapping;
import org.knock.core.Protocol;
import org.knock.core.RandomPort;
import org.knock.core.Verb;

/**
 * The knock client: {@code knock [options] HOST "COMMAND"}, {@code knock [options] HOST
 * PORT[:proto]...} (a knockd static sequence) and {@code knock keygen}. Every failure is one line
 * on the error stream, {@code knock: ...}, and an exit code from {@link #EXIT_CODES_HELP}; never a
 * stack trace. {@link #run(String[], PrintStream, PrintStream, Map)} runs it in-process.
 */
public final class Main {
  /** Default delay between classic knocks, which must arrive in order. */
  static final int CLASSIC_DELAY_MS = 20;
  /** Default --retries with --wait; without --wait (run ACTION) it is 0. */
  static final int WAIT_RETRIES = 2;
  /** Default --random-ports: knockd.conf's example RandomPorts. */
  static final int[] DEFAULT_RANDOM_PORTS = {40000, 49999};

  static final String EXIT_CODES_HELP = "Exit codes:\n"
      + "  0  ok (with --wait: the port opened)\n"
      + "  1  output not written (e.g. --print to a full disk), or an internal error\n"
      + "  2  usage: bad option, command, port, duration or rc file\n"
      + "  3  --wait: the port did not open in time\n"
      + "  4  key problem: key file missing, unreadable or malformed\n"
      + "  5  network problem: unknown host, no route, unreachable\n";

  static final String HELP = "usage: knock [options] HOST \"COMMAND\"\n"
      + "       knock [-u] [-d MS] [-4|-6] [-v] HOST PORT[:tcp|:udp]...   (knockd static sequence)\n"
      + "       knock keygen [-o FILE] [--user NAME] [--force]\n"
      + "\n"
      + "Sends HOST an encrypted knock (one SYN to each of 20 ports) asking knockd to run COMMAND:\n"
      + "  open PORT[/tcp|/udp] [DURATION]   e.g. open 22 30m, open 53/udp 5m\n"
      + "  open PORT [DURATION] random       reach PORT through a random external port, which\n"
      + "                                    knock prints alone on stdout: ssh -p \"$(knock ...)\"\n"
      + "  open NAME [DURATION] [random]     open the server's [forward NAME] to an inner host\n"
      + "  close PORT[/tcp|/udp]             e.g. close 22\n"
      + "  close NAME                        end your grants of the server's [forward NAME]\n"
      + "  deny-further [DURATION]           e.g. deny-further 1h\n"
      + "  run ACTION                        e.g. run backup\n"
      + "DURATION: 30s, 30m, 2h, 1d or seconds; none means the server's default.\n"
      + "\n"
      + "Options:\n"
      + "  -k, --key FILE        key file (default: key from knockrc, else ~/.knock/key)\n"
      + "  -a, --allow ADDRESS   IPv4 address to grant (default: this machine's address toward HOST;\n"
      + "                        over IPv6 the knock's own source), or an IPv6 address: then\n"
      + "                        36 ports, which need --ports START-END of 9216 ports\n"
      + "      --source          grant the address the knock comes from (behind NAT)\n"
      + "      --allow-prefix 64 over IPv6: grant the /64 the knock comes from (privacy\n"
      + "                        addresses change inside it)\n"
      + "  -U, --user NAME       your [user NAME] on the server (with a passphrase)\n"
      + "      --passphrase      derive the key from a passphrase asked on the terminal\n"
      + "      --passphrase-file FILE  the same, read from FILE (mode 600; for cron)\n"
      + "      --protocol 1|2    2 (default): the knock is bound to the address it is sent to;\n"
      + "                        1: unbound, for servers whose user has AcceptVersion1 = yes\n"
      + "  -p, --ports START-END knock range (default 20000-25119; classic: 20000-20255)\n"
      + "      --random-ports START-END  the server's RandomPorts (default 40000-49999)\n"
      + "      --cipher NAME     twofish (default) or blowfish\n"
      + "      --mapping NAME    indexed (default: any order, one burst) or classic (in order)\n"
      + "  -d, --delay MS        pause between knocks (default 0; classic: " + CLASSIC_DELAY_MS
      + ", as its\n"
      + "                        knocks must arrive in order)\n"
      + "  -u, --udp             knock with UDP datagrams instead of TCP SYNs\n"
      + "  -4, --ipv4 / -6, --ipv6  use IPv4 / IPv6 (default: the first address of HOST)\n"
      + "      --print           print the knock's ports, one per line; send nothing\n"
      + "      --wait [SECONDS]  after open: wait until the port accepts TCP connections\n"
      + "                        (default " + ClientOptions.DEFAULT_WAIT_SECONDS + " s in all)\n"
      + "      --retries N       knock up to N more times (0-" + ClientOptions.MAX_RETRIES
      + ") in case a knock was lost:\n"
      + "                        with --wait (default " + WAIT_RETRIES + "), a fresh knock (new"
      + " ports) while the\n"
      + "                        port is still shut 1 s, 2 s, 4 s, 8 s after the last knock\n"
      + "                        (a grant takes ~10 ms; the rest is the round trip);\n"
      + "                        with 'run ACTION' (default 0), the same knock again 1 s,\n"
      + "                        2 s, 4 s, 8 s apart: knockd runs the action at most once\n"
      + "                        and refuses each further copy as a replay\n"
      + "      --timestamp UNIX_SECONDS  test/debug hook: stamp the knock with this time instead\n"
      + "                        of now (to test the server's clock-skew rejection)\n"
      + "  -v, --verbose         say what is sent (and each retry, on stderr)\n"
      + "  -h, --help            this help\n"
      + "  -V, --version         the version\n"
      + "\n"
      + "Settings also come from ~/.knock/knockrc ($KNOCK_HOME/knockrc), in [default] and\n"
      + "[HOSTNAME] stanzas: key, user, passphrase-file, ports, random-ports, cipher, mapping,\n"
      + "allow, allow-prefix, source, delay. The command line wins over [HOSTNAME], which wins\n"
      + "over [default].\n"
      + "\n"
      + EXIT_CODES_HELP;

  private final OutputStream out;
  private final PrintStream err;
  private final Map<String, String> env;
  private final Clock clock;
  private final boolean terminal;

  /**
   * @param out standard output; a write that fails (a full disk, a closed pipe) is an error
   */
  Main(OutputStream out, PrintStream err, Map<String, String> env, Clock clock, boolean terminal) {
    this.out = out;
    this.err = err;
    this.env = env;
    this.clock = clock;
    this.terminal = terminal;
  }

  public static void main(String[] args) {
    System.exit(forThisProcess(args).run(args));
  }

  /**
   * What {@code main} does before it runs the command line {@code args}: the logging
   * configuration, Bouncy Castle's warm-up thread, and a client on this process's stdout, stderr,
   * environment and console. CdsTraining calls it too, so that the class archive holds it.
   */
  static Main forThisProcess(String[] args) {
    QuietLogging.install();
    CryptoWarmUp.start(args);
    // unbuffered and unwrapped, so that a failed write surfaces as an IOException with its reason
    return new Main(new FileOutputStream(FileDescriptor.out), System.err, System.getenv(),
        Clock.systemUTC(), System.console() != null);
  }

  /**
   * Runs the client in-process (no terminal, system clock).
   *
   * @param env the environment: HOME, KNOCK_HOME, USER
   * @return the exit code
   */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    return new Main(out, err, env, Clock.systemUTC(), false).run(args);
  }

  int run(String[] args) {
    try {
      if (args.length > 0 && "keygen".equals(args[0])) {
        String user = env.get("USER");
        print(Keygen.run(args, 1, knockHome().resolve("key"),
            user != null ? user : System.getProperty("user.name")));
        return ExitCodes.OK;
      }
      return knock(ClientOptions.parse(args));
    } catch (ClientException e) {
      err.println("knock: " + SafeText.of(e.getMessage()));
      return e.exitCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("knock: interrupted");
      return 130;
    } catch (RuntimeException e) {
      err.println("knock: internal error: " + SafeText.of(e.toString()));
      return ExitCodes.OUTPUT_OR_INTERNAL;
    }
  }

  /** Writes text to standard output; a failed write is an error with its reason. */
  private void print(String text) throws ClientException {
    try {
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      throw new ClientException(ExitCodes.OUTPUT_OR_INTERNAL, "cannot write standard output: "
          + ClientFiles.reason(e));
    }
    if (out instanceof PrintStream && ((PrintStream) out).checkError()) {
      throw new ClientException(ExitCodes.OUTPUT_OR_INTERNAL, "cannot write standard output");
    }
  }

  private int knock(ClientOptions o) throws ClientException, InterruptedException {
    if (o.help) {
      print(HELP);
      return ExitCodes.OK;
    }
    if (o.version) {
      print("knock " + version() + "\n");
      return ExitCodes.OK;
    }
    if (o.operands.isEmpty()) {
      throw ClientException.usage("missing HOST and COMMAND: knock [options] HOST \"open 22 30m\""
          + " (see knock --help)");
    }
    String host = o.operands.get(0);
    if (host.isBlank()) {
      throw ClientException.usage("empty HOST (an unset variable?): name the server, e.g. knock"
          + " server.example.org \"open 22 30m\"");
    }
    List<String> words = o.operands.subList(1, o.operands.size());
    if (words.isEmpty()) {
      throw ClientException.usage("missing COMMAND after " + host + ", e.g. knock " + host
          + " \"open 22 30m\"");
    }
    KnockSettings s = new KnockSettings();
    s.fillFrom(o.settings);
    s.fillFrom(readRc().forHost(host));
    if (StaticSequence.looksStatic(words)) {
      return knockStatic(o, host, StaticSequence.parse(words, o.udp), s.delay);
    }
    return knockEncrypted(o, host, s, parseCommand(words));
  }

  private static Command parseCommand(List<String> words) throws ClientException {
    try {
      return Command.parse(String.join(" ", words));
    } catch (KnockException e) {
      throw ClientException.usage(e.getMessage());
    }
  }

  private int knockEncrypted(ClientOptions o, String host, KnockSettings s, Command cmd)
      throws ClientException, InterruptedException {
    if (o.waitSeconds != null && (cmd.verb() != Verb.OPEN || cmd.protocol() != Protocol.TCP)) {
      throw ClientException.usage("--wait works with 'open PORT' of a TCP port only");
    }
    if (o.waitSeconds != null && cmd.forward() && !cmd.random()) {
      throw ClientException.usage("--wait with 'open NAME' needs 'random': knock does not know "
          + "a forward's fixed Port");
    }
    if (o.print && (o.waitSeconds != null || o.retries != null)) {
      throw ClientException.usage((o.waitSeconds != null ? "--wait" : "--retries")
          + " and --print exclude each other: --print sends nothing");
    }
    if (o.retries != null && o.waitSeconds == null && cmd.verb() != Verb.RUN) {
      throw ClientException.usage("--retries works with --wait or 'run ACTION' only");
    }
    PortMapping mapping = s.mapping != null ? s.mapping : PortMapping.INDEXED;
    CipherSuite cipher = s.cipher != null ? s.cipher : CipherSuite.TWOFISH;
    String grantText = s.grant != null ? s.grant : KnockSettings.GRANT_AUTO;
    byte[] grant6 = grantText.indexOf(':') >= 0 ? Ipv4.parse6(grantText) : null;
    if (grant6 != null && (o.protocol == 1 || mapping != PortMapping.INDEXED)) {
      throw ClientException.usage("an IPv6 address to grant needs protocol 2 and the indexed "
          + "mapping" + (o.protocol == 1 ? ": drop --protocol 1" : ""));
    }
    int base = basePort(s.ports, s.portsOrigin, mapping, grant6 != null);
    int delay = s.delay != null ? s.delay : mapping == PortMapping.CLASSIC ? CLASSIC_DELAY_MS : 0;
    boolean passphrase = o.passphrase || s.passphraseFile != null;
    if (cmd.random() && o.protocol == 1) {
      throw ClientException.usage("'random' needs protocol 2: drop --protocol 1");
    }
    int[] randomPorts = s.randomPorts != null ? s.randomPorts : DEFAULT_RANDOM_PORTS;
    if (passphrase && o.protocol == 1) {
      throw ClientException.usage("a passphrase works with protocol 2 only: drop --protocol 1");
    }
    if (passphrase && s.user == null) {
      throw ClientException.usage("a passphrase needs -U/--user NAME (your [user NAME] on the "
          + "server: the key is derived from both)");
    }
    if (o.passphrase && s.passphraseFile != null) {
      throw ClientException.usage("--passphrase and a passphrase file exclude each other");
    }
    InetAddress address = null;
    int grant;
    int addressMode = Payload.ADDRESS_IPV4;
    if (KnockSettings.GRANT_SOURCE.equals(grantText)) {
      grant = 0;
    } else if (KnockSettings.GRANT_PREFIX_64.equals(grantText)) {
      if (o.protocol == 1) {
        throw ClientException.usage("--allow-prefix 64 needs protocol 2: drop --protocol 1");
      }
      if (cmd.random()) {
        throw ClientException.usage("'random' opens a port for one address, not a /64: drop "
            + "--allow-prefix 64");
      }
      address = resolve(host, o.family);
      if (address instanceof Inet4Address) {
        throw ClientException.usage("--allow-prefix 64 works over IPv6 only, and " + host
            + " is " + address.getHostAddress() + ": knock with -6 to its IPv6 address");
      }
      grant = 0;
      addressMode = Payload.ADDRESS_SOURCE_64;
    } else if (KnockSettings.GRANT_AUTO.equals(grantText)) {
      address = resolve(host, o.family);
      // over IPv6 this machine's address toward HOST is the knock's own source: address mode 0
      grant = address instanceof Inet4Address
          ? (int) Ipv4.parse(localAddressToward(host, address).getHostAddress()) : 0;
    } else if (grant6 != null) {
      grant = 0; // address mode 2: the IPv6 address travels in a second block, 36 ports
    } else {
      grant = (int) Ipv4.parse(grantText);
    }
    Instant now = o.timestamp != null ? Instant.ofEpochSecond(o.timestamp) : clock.instant();
    if (address == null && (o.protocol != 1 || !o.print)) {
      address = resolve(host, o.family);
    }
    if (o.waitSeconds != null && (grant6 != null || grant != 0)
        && (grant6 != null) == address instanceof Inet4Address) {
      // the mixed case: the grant opens the other family, which --wait cannot watch from here
      throw ClientException.usage("--wait watches the door over the family the knock is sent "
          + "over, and " + grantText + " is granted over IPv" + (grant6 != null ? "6" : "4")
          + " only: knock without --wait");
    }
    // version 2 binds the knock to the address it is sent to: no other server accepts it
    ServerBinding server = o.protocol == 1 ? null : ServerBinding.of(address.getAddress());
    if (!o.print) {
      KnockSender.findProvider(); // while Bouncy Castle is set up on the CryptoWarmUp thread
    }
    // the key (its HKDF, the first use of Bouncy Castle) only now, after the address lookup: the
    // main thread then waits least for Bouncy Castle's set-up on the CryptoWarmUp thread
    KnockKey key = passphrase ? passphraseKey(o.passphrase, s, host, server)
        : ClientFiles.readKey(s.key != null ? path(s.key) : knockHome().resolve("key"), err);
    KnockEncoder encoder = new KnockEncoder(key, cipher, mapping, base, server);
    NonceSource random = new NonceSource();
    // the nonce drawn here rather than in encode(): a random port is derived from it
    int nonce = random.nextInt(1 << 24);
    int[] ports = encoder.ports(grant6 != null ? encoder.seal6(cmd, grant6, now, nonce)
        : encoder.seal(cmd, grant, addressMode, now, nonce));
    int[] external = {cmd.random() ? RandomPort.of(key, now.getEpochSecond(), nonce,
        randomPorts[0], randomPorts[1]) : cmd.port()};
    if (o.verbose) {
      String line = "knock: " + cmd + " for " + (grant6 != null ? grantText
          : addressMode == Payload.ADDRESS_SOURCE_64 ? "the knock's source /64"
          : grant == 0 ? "the knock's source address" : Ipv4.format(grant)) + ", "
          + cipher.word() + "/" + mapping.word() + " in " + base + "-"
          + (base + mapping.rangeSize(ports.length) - 1) + ", stamped " + now.getEpochSecond()
          + ", protocol " + o.protocol + (server == null ? "" : " bound to "
          + address.getHostAddress()) + (cmd.random() ? ", external port " + external[0] : "");
      if (o.print) {
        err.println(line);
      } else {
        print(line + "\n");
      }
    }
    if (o.print) {
      StringBuilder b = new StringBuilder();
      for (int p : ports) {
        b.append(p).append('\n');
      }
      print(b.toString());
      return ExitCodes.OK;
    }
    boolean[] udp = new boolean[ports.length];
    java.util.Arrays.fill(udp, o.udp);
    send(host, address, ports, udp, delay, o.verbose);
    if (o.waitSeconds != null) {
      int retries = o.retries != null ? o.retries : WAIT_RETRIES;
      String what = address.getHostAddress() + ":" + external[0];
      InetAddress to = address;
      int granted = grant;
      int mode = addressMode;
      KnockKey k = key;
      // no lambda: an invokedynamic call site would load the method-handle machinery at start
      DoorWaiter.Door door = new DoorWaiter.Door() {
        @Override
        public DoorWaiter.Outcome attempt(int timeoutMs) {
          // a random port: the port of the latest knock (each fresh knock draws another)
          return KnockSender.tryConnect(new InetSocketAddress(to, external[0]), timeoutMs);
        }

        @Override
        public void knockAgain(int retry, long shutForMs)
            throws ClientException, InterruptedException {
          if (o.verbose) {
            err.println("knock: " + what + " still shut " + seconds(shutForMs) + " after the"
                + " last knock: a fresh knock (retry " + retry + " of " + retries + ")");
          }
          // a fresh knock: a new nonce and with it new ports, stamped now (unless --timestamp)
          Instant at = o.timestamp != null ? now : clock.instant();
          int n = random.nextInt(1 << 24);
          send(host, to, encoder.ports(grant6 != null ? encoder.seal6(cmd, grant6, at, n)
              : encoder.seal(cmd, granted, mode, at, n)), udp, delay, o.verbose);
          if (cmd.random()) {
            external[0] = RandomPort.of(k, at.getEpochSecond(), n, randomPorts[0], randomPorts[1]);
          }
        }
      };
      int exit = awaitOpen(o, what, door, retries);
      if (exit == ExitCodes.OK && cmd.random()) {
        print(external[0] + "\n");
      }
      return exit;
    }
    if (cmd.random()) {
      print(external[0] + "\n"); // alone on stdout: ssh -p "$(knock HOST 'open 22 random')"
    }
    int retries = o.retries != null ? o.retries : 0;
    for (int r = 1; r <= retries; r++) {
      Thread.sleep(DoorWaiter.retryAfterMs(r));
      if (o.verbose) {
        err.println("knock: sending the same knock again (retry " + r + " of " + retries + ")");
      }
      send(host, address, ports, udp, delay, o.verbose);
    }
    return ExitCodes.OK;
  }

  private int awaitOpen(ClientOptions o, String what, DoorWaiter.Door door, int retries)
      throws ClientException, InterruptedException {
    DoorWaiter waiter = new DoorWaiter(clock, err, terminal);
    if (waiter.await(what, door, o.waitSeconds, retries)) {
      if (o.verbose || terminal) {
        err.println("knock: " + what + " is open");
      }
      return ExitCodes.OK;
    }
    int knocks = waiter.retriesSent() + 1;
    err.println("knock: " + what + " did not open within " + o.waitSeconds + " s"
        + (knocks > 1 ? " (" + knocks + " knocks sent)" : ""));
    return ExitCodes.DOOR_CLOSED;
  }

  /** Milliseconds as seconds with one decimal, e.g. "1.0 s". */
  private static String seconds(long ms) {
    return ms / 1000 + "." + ms % 1000 / 100 + " s";
  }

  private int knockStatic(ClientOptions o, String host, StaticSequence seq, Integer delay)
      throws ClientException, InterruptedException {
    if (o.print) {
      throw ClientException.usage("--print is for encrypted commands: a static sequence is "
          + "already its ports");
    }
    if (o.waitSeconds != null || o.timestamp != null || o.retries != null) {
      throw ClientException.usage((o.waitSeconds != null ? "--wait"
          : o.timestamp != null ? "--timestamp" : "--retries")
          + " is for encrypted commands, not a static sequence");
    }
    KnockSettings cli = o.settings;
    if (cli.key != null || cli.ports != null || cli.cipher != null || cli.mapping != null
        || cli.grant != null) {
      throw ClientException.usage("-k, -a, --source, -p, --cipher and --mapping are for encrypted"
          + " commands, not a static sequence");
    }
    InetAddress address = resolve(host, o.family);
    send(host, address, seq.ports, seq.udp, delay != null ? delay : 0, o.verbose);
    return ExitCodes.OK;
  }

  private void send(String host, InetAddress address, int[] ports, boolean[] udp, int delay,
      boolean verbose) throws ClientException, InterruptedException {
    if (verbose) {
      String a = address instanceof Inet4Address ? address.getHostAddress()
          : "[" + address.getHostAddress() + "]";
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < ports.length; i++) {
        b.append("hitting ").append(udp[i] ? "udp " : "tcp ").append(a).append(':')
            .append(ports[i]).append('\n');
      }
      print(b.toString());
    }
    try {
      KnockSender.send(address, ports, udp, delay);
    } catch (IOException e) {
      throw new ClientException(ExitCodes.NETWORK, "cannot reach " + host + ": " + e.getMessage());
    }
  }

  private static InetAddress localAddressToward(String host, InetAddress address)
      throws ClientException {
    try {
      InetAddress local = KnockSender.localAddressToward(address);
      if (!(local instanceof Inet4Address)) {
        throw new IOException("no IPv4 source address");
      }
      return local;
    } catch (IOException e) {
      throw new ClientException(ExitCodes.NETWORK, "cannot reach " + host + ": " + e.getMessage());
    }
  }

  /** The host's first address of the family (4, 6, or 0 for any). */
  /**
   * The key derived from the passphrase for this user and server address (Argon2id: about half a
   * second): asked on the terminal without echo, or read from the passphrase file.
   */
  private KnockKey passphraseKey(boolean ask, KnockSettings s, String host, ServerBinding server)
      throws ClientException {
    char[] pass;
    if (ask) {
      java.io.Console console = System.console();
      if (console == null) {
        throw new ClientException(ExitCodes.KEY, "--passphrase needs a terminal: use "
            + "--passphrase-file FILE");
      }
      pass = console.readPassword("Passphrase for %s at %s: ", s.user, SafeText.of(host));
      if (pass == null) {
        throw new ClientException(ExitCodes.KEY, "no passphrase given");
      }
    } else {
      pass = ClientFiles.readPassphrase(path(s.passphraseFile), err);
    }
    try {
      return KnockKey.fromPassphrase(pass, s.user, server);
    } catch (org.knock.core.KnockException e) {
      throw new ClientException(ExitCodes.KEY, e.getMessage());
    } finally {
      java.util.Arrays.fill(pass, ' ');
    }
  }

  static InetAddress resolve(String host, int family) throws ClientException {
    InetAddress[] all;
    try {
      all = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new ClientException(ExitCodes.NETWORK, "unknown host '" + host + "'");
    }
    for (InetAddress a : all) {
      if (family == 0 || (family == 4) == (a instanceof Inet4Address)) {
        return a;
      }
    }
    throw new ClientException(ExitCodes.NETWORK, "host '" + host + "' has no IPv" + family
        + " address");
  }

  /**
   * The first port of the knock range, checked against the mapping's size: indexed 5120 ports, or
   * 9216 (a server that also decodes 36-byte knocks), which a knock granting an IPv6 address
   * ({@code long36}: 36 ports) needs; an error names where the range was given ({@code -p}, or
   * the knockrc's file and line).
   */
  private static int basePort(int[] range, String origin, PortMapping mapping, boolean long36)
      throws ClientException {
    int longSize = mapping.rangeSize(org.knock.core.Sealer.LONG_MESSAGE_SIZE);
    if (range == null) {
      if (long36) {
        int d = org.knock.core.DecoderSettings.DEFAULT_BASE_PORT;
        throw ClientException.usage("an IPv6 address to grant takes 36 ports: the indexed mapping "
            + "needs a range of " + longSize + " ports, and the default range " + d + "-"
            + (d + mapping.rangeSize() - 1) + " has " + mapping.rangeSize() + ": give --ports "
            + d + "-" + (d + longSize - 1) + " (the server's KnockPorts must hold them too)");
      }
      return org.knock.core.DecoderSettings.DEFAULT_BASE_PORT;
    }
    int size = range[1] - range[0] + 1;
    int need = long36 ? longSize : mapping.rangeSize();
    if (size != need && !(mapping == PortMapping.INDEXED && size == longSize)) {
      int start = Math.min(range[0], 65536 - need);
      throw ClientException.usage((origin != null ? origin : "ports") + ": " + range[0] + "-"
          + range[1] + " spans " + size + " port" + (size == 1 ? "" : "s") + "; the "
          + mapping.word() + " mapping needs " + need + ", e.g. " + start + "-"
          + (start + need - 1));
    }
    return range[0];
  }

  /** A file name from the command line or knockrc as a path; a bad one is a usage error. */
  private static Path path(String name) throws ClientException {
    try {
      return Path.of(name);
    } catch (IllegalArgumentException e) { // InvalidPathException; named, it loads at start-up
      throw ClientException.usage("bad file name '" + name + "': "
          + (e instanceof java.nio.file.InvalidPathException
              ? ((java.nio.file.InvalidPathException) e).getReason() : e.getMessage()));
    }
  }

  private Path knockHome() {
    String kh = env.get("KNOCK_HOME");
    if (kh != null && !kh.isEmpty()) {
      return Path.of(kh);
    }
    String home = env.get("HOME");
    return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"),
        ".knock");
  }

  private RcFile readRc() throws ClientException {
    Path rc = knockHome().resolve("knockrc");
    String text = ClientFiles.readRc(rc);
    if (text == null) {
      return RcFile.empty();
    }
    String home = env.get("HOME");
    return RcFile.parse(text, rc.toString(), knockHome().toString(),
        home != null ? home : System.getProperty("user.home"));
  }

  /** The version from the jar's Maven descriptor, or "(development build)". */
  static String version() {
    try (InputStream in =
        Main.class.getResourceAsStream("/META-INF/maven/org.knock/knock/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "(unknown version)");
      }
    } catch (IOException e) {
      // fall through
    }
    return "(development build)";
  }
}
