package org.knock.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockDecoder;
import org.knock.core.KnockEncoder;
import org.knock.core.KnockKey;
import org.knock.core.KnockUser;
import org.knock.core.Protocol;
import org.knock.core.ReplayCache;
import org.knock.core.ServerBinding;
import org.knock.core.Verb;
import org.knock.daemon.audit.Audit;
import org.knock.daemon.audit.WarmUpAudit;
import org.knock.daemon.config.ActionConfig;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.UserConfig;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.firewall.PortSpec;
import org.knock.daemon.log.NetfilterLogParser;
import org.knock.daemon.log.PacketHandler;
import org.knock.daemon.state.FileReplayCache;

/**
 * Compiles the path of a knock before the first real one arrives. Knocks are rare, so without
 * this the first ones after a start (or for hours) run in the interpreter: the 20th packet's
 * decode, the payload checks and the audit line took ~5 ms there, against tens of microseconds
 * compiled. Runs knocks of a throwaway random key, as kernel LOG lines, through a private copy of
 * the pipeline — its own parser, tracker, decoder, doors, a firewall that builds the configured
 * backend's grant (nftables: the script and the bytes for {@code nft -i}) and sends nothing
 * ({@link Firewalls#dryRun}), no commands — with the live pipeline's classes for the audit and
 * the replay cache, which write only to a private temporary directory ({@link WarmUpAudit},
 * deleted at the end): so it changes no firewall, writes nothing to the audit log or the state
 * directory, and shares nothing with the running pipeline; then more audit records into that
 * directory. Bounded in knocks, lines and time.
 *
 * <p>Around the knocks it runs junk, as scanners send it: TCP SYNs from more sources than the
 * hunt detector holds, into the knock range and outside it, some sent twice, a few scanners that
 * send a hundred ports and more, IPv6 sources, lines with and without a syslog header; and a
 * sweep every {@link #KNOCKS_PER_SWEEP} knocks, which raises the heavy scanners' alerts. The
 * junk stops at half the time limit, so that on a slow machine the knocks keep the other half.
 * A warm-up of knocks alone left the JIT a profile in which these branches never ran: the first
 * junk deoptimized the tracker's and the parser's compiled code, and C2 compiled {@code
 * SourceTracker.offer} six times in the first 20 s (docs/BENCHMARKS.md §2 round 14). All on the
 * daemon's own clock: a clock of another class would leave the pipeline's calls to it a profile
 * that the live pipeline's clock then deoptimizes. Knocks are bound to the first {@code
 * ServerAddress} where the config lists any (the decoder checks those only), else to the
 * address their lines are sent to.
 */
final class JitWarmup {
  /** Knocks run by default: enough for the JIT's second tier to compile the hot methods. */
  static final int KNOCKS = 1500;
  /** Audit records written through Log4jAudit into a deleted temporary file. */
  static final int AUDIT_LINES = 6000;
  /** At most this long, whatever the machine (the audit lines come after). */
  static final Duration MAX_TIME = Duration.ofSeconds(5);
  /**
   * Round trips through the live firewall's grant path that change nothing ({@link
   * Firewall#warm}): enough for the JIT's second tier to compile the netlink calls, which a grant
   * after start-up otherwise ran interpreted (knocks are rare).
   */
  static final int FIREWALL_ROUNDS = 5000;

  /** Junk lines around each knock. */
  static final int JUNK_PER_KNOCK = 8;
  /**
   * Scanners the junk comes from, in turn: more than the hunt detector holds windows for, so that
   * from about the 650th knock (with the default settings) it closes its least recently seen
   * ones early, as under a real scan of many sources.
   */
  static final int SCANNERS = Wiring.HUNT_MAX_SOURCES + 1024;
  /**
   * Scanners among them that send an eighth of the junk: with the default knock range, past a
   * scan's 100 ports by the end of a warm-up that runs all its knocks.
   */
  static final int HEAVY_SCANNERS = 8;
  /** Knocks between two sweeps of the private pipeline. */
  static final int KNOCKS_PER_SWEEP = 50;

  private static final String[] IFACES = {"eth0", "vs", "enp0s31f6", "wg0", "ens3"};
  /**
   * Headers before the kernel's message, as the sources hand lines over: none (kmsg, journald,
   * NFLOG), rsyslog's RFC 3164 and RFC 3339 ones with the kernel's timestamp (files, stdin).
   */
  private static final String[] HEADERS = {"", "Nov 22 19:23:20 vm kernel: [1769000.008000] ",
      "2026-11-22T07:44:50.123456+00:00 vm kernel: [ 1234.567890] "};
  private static final String MAC = " MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00";
  private static final String MAC6 = " MAC=52:54:00:12:34:56:52:54:00:65:43:21:86:dd";

  private JitWarmup() {}

  /**
   * Runs up to {@code knocks} knocks, for at most {@code maxTime}, on the calling thread, then
   * {@link #AUDIT_LINES} audit records; private files go to a new directory under the JVM's
   * temporary directory, deleted at the end.
   *
   * @return how many knocks the private pipeline granted (all of them, unless the config's first
   *     user may open no port)
   * @throws IOException if that directory, or the private audit or replay cache in it, cannot be
   *     made: nothing ran
   */
  static int run(Config config, Clock clock, int knocks, Duration maxTime) throws IOException {
    return run(config, clock, knocks, maxTime, Path.of(System.getProperty("java.io.tmpdir")));
  }

  /** As above, with the private directory under {@code tmp}. */
  static int run(Config config, Clock clock, int knocks, Duration maxTime, Path tmp)
      throws IOException {
    return warm(config, clock, knocks, maxTime, tmp).granted();
  }

  /**
   * What a warm-up did.
   *
   * @param granted knocks the private pipeline granted
   * @param refused knocks it refused: with a thousand knocks a second from one user, two now
   *     and then draw the same 24-bit nonce in the same second, and the second is a replay
   * @param scans scan alerts its hunt detector raised for the junk's heavy scanners
   */
  record Outcome(int granted, int refused, int scans) {}

  /** As {@link #run(Config, Clock, int, Duration, Path)}, with what the junk raised. */
  static Outcome warm(Config config, Clock clock, int knocks, Duration maxTime, Path tmp)
      throws IOException {
    UserConfig u = config.users().isEmpty() ? null : config.users().get(0);
    if (u == null) {
      return new Outcome(0, 0, 0);
    }
    DecoderSettings settings = config.decoderSettings();
    // the live pipeline's classes for the audit and the replay cache, so that what the JIT
    // compiles here fits the first real knock (other classes made it deoptimize there)
    try (WarmUpAudit log = WarmUpAudit.open(config.options().auditFormat(), clock, tmp);
        FileReplayCache replay = FileReplayCache.open(log.dir(), settings.timeWindow(),
            clock.instant().getEpochSecond(), FileReplayCache.NO_BOOT_TIME, sync -> { },
            NO_SYNC_REPORTS)) {
      knocks(config, settings, u, clock, knocks, maxTime, log.audit(), replay);
      Outcome outcome = new Outcome(log.count("access-granted"), log.count("knock-rejected"),
          log.count("scan"));
      log.recordGrants(AUDIT_LINES, clock);
      return outcome;
    }
  }

  private static void knocks(Config config, DecoderSettings settings, UserConfig u, Clock clock,
      int knocks, Duration maxTime, Audit audit, ReplayCache replay) {
    KnockUser user = new KnockUser(u.name(), KnockKey.generate(new SecureRandom()), true, false);
    KnockDecoder decoder = new KnockDecoder(settings, List.of(user), replay);
    SourceTracker tracker = new SourceTracker(decoder, config.options().sequenceTimeout(), 1024,
        Daemon.MAX_PORTS_PER_SOURCE);
    KnockPipeline pipeline = new KnockPipeline(config, clock, tracker,
        new DoorMatcher(List.of(), 16), Firewalls.dryRun(config.options().firewall().word(),
            Wiring.firewallSettings(config), Wiring.firewallOptions(config, List.of()), clock),
        audit, NO_COMMANDS);
    NetfilterLogParser parser = new NetfilterLogParser(config.options().logPrefix().strip());
    // the daemon's own chain of handlers: the self-test's guard, then the current pipeline
    PacketHandler toPipeline =
        new SelfTest().armedForWarmUp().guard(new CurrentPipeline(pipeline));
    String prefix = config.options().logPrefix().strip() + " IN=";
    Command command = command(u);
    int server = 0xc0000201; // 192.0.2.1 (TEST-NET-1): never a real peer
    // where ServerAddress lists addresses, the decoder checks a knock's tag against those only
    List<ServerBinding> listed = settings.serverAddresses();
    KnockEncoder encoder = new KnockEncoder(user.key(), settings.suite(), settings.mapping(),
        settings.basePort(), listed.isEmpty() ? ServerBinding.ipv4(server) : listed.get(0));
    SplittableRandom random = new SplittableRandom();
    long start = System.nanoTime();
    long end = start + maxTime.toNanos();
    long junkEnd = start + maxTime.toNanos() / 2; // the knocks keep the other half
    List<String> lines = new ArrayList<>(32);
    Junk junk = new Junk(prefix, config.options().knockPorts().start(),
        config.options().knockPorts().end(), server, random);
    for (int i = 0; i < knocks && System.nanoTime() - end < 0; i++) {
      if (i > 0 && i % KNOCKS_PER_SWEEP == 0) {
        pipeline.sweep();
      }
      // 198.18.0.0/15 (benchmarking); two knocks a source, as a user's two knocks in a row: the
      // second meets the port the first kept, a path the first knocks after start took cold
      int source = 0xc6120000 + ((i >> 1) & 0xffff);
      lines.clear();
      // lines of varied lengths and fields, as real ones are: a branch the warm-up never took
      // (a search that ends in a word's tail) would deoptimize the first real knock's parse
      String head = prefix + IFACES[random.nextInt(IFACES.length)] + " OUT="
          + (random.nextBoolean() ? MAC : "") + " SRC=" + KnockPipeline.ip(source) + " DST="
          + KnockPipeline.ip(server) + " LEN=" + (40 + random.nextInt(40)) + " TOS=0x00"
          + " PREC=0x00 TTL=" + (1 + random.nextInt(255)) + " ID=" + random.nextInt(65536)
          + (random.nextBoolean() ? " DF" : "") + " PROTO=TCP SPT=" + (1 + random.nextInt(65535));
      for (int port : encoder.encode(command, 0, clock.instant(), random)) {
        lines.add(head + " DPT=" + port + " WINDOW=" + random.nextInt(65536)
            + " RES=0x00 SYN URGP=0" + (random.nextInt(4) == 0 ? " " : ""));
      }
      String header = HEADERS[random.nextInt(HEADERS.length)];
      boolean bytes = ((i >> 1) & 1) != 0; // both kinds for the first and second knock of a source
      for (int j = 0; j < JUNK_PER_KNOCK && System.nanoTime() - junkEnd < 0; j++) {
        feed(parser, toPipeline, HEADERS[random.nextInt(HEADERS.length)] + junk.next(),
            random.nextBoolean());
      }
      for (String l : lines) {
        feed(parser, toPipeline, header + l, bytes);
      }
    }
  }

  /** kmsg, journald and NFLOG hand the parser Strings; files and stdin hand it bytes. */
  private static void feed(NetfilterLogParser parser, PacketHandler to, String line,
      boolean bytes) {
    if (bytes) {
      byte[] b = line.getBytes(StandardCharsets.US_ASCII);
      parser.parse(b, 0, b.length, to);
    } else {
      parser.parse(line, to);
    }
  }

  /** Four hex digits, as the kernel writes each group of an IPv6 address. */
  private static String hex4(int v) {
    return Integer.toHexString(0x10000 | v).substring(1);
  }

  /**
   * Scanners' TCP SYNs (the LOG prefix on): from {@link #SCANNERS} sources in 198.19.0.0/16 (no
   * knock's), one in eight from the {@link #HEAVY_SCANNERS}, the others in turn; one in sixteen
   * from an IPv6 source in 2001:db8::/32 (in the kernel's form: eight groups); a quarter to any
   * port (most outside the knock range), the rest into it; one in eight the line before, again.
   */
  static final class Junk {
    private final String prefix;
    private final int rangeStart;
    private final int rangeSize;
    private final String server;
    private final SplittableRandom random;
    private String last;
    private int next;

    Junk(String prefix, int rangeStart, int rangeEnd, int server, SplittableRandom random) {
      this.prefix = prefix;
      this.rangeStart = rangeStart;
      this.rangeSize = rangeEnd - rangeStart + 1;
      this.server = KnockPipeline.ip(server);
      this.random = random;
    }

    String next() {
      if (last != null && random.nextInt(8) == 0) {
        return last;
      }
      int port = random.nextInt(4) == 0 ? 1 + random.nextInt(65535)
          : rangeStart + random.nextInt(rangeSize);
      String tail = "PROTO=TCP SPT=" + (1024 + random.nextInt(64512)) + " DPT=" + port
          + " WINDOW=1024 RES=0x00 SYN URGP=0 ";
      if (random.nextInt(16) == 0) { // the kernel writes all eight groups, no "::"
        int n = 2 + random.nextInt(SCANNERS); // not the destination's ::1
        last = prefix + "eth0 OUT=" + MAC6 + " SRC=2001:0db8:0000:0000:0000:0000:"
            + hex4(n >>> 16) + ":" + hex4(n & 0xffff)
            + " DST=2001:0db8:0000:0000:0000:0000:0000:0001 LEN=60 TC=0 HOPLIMIT=52"
            + " FLOWLBL=0 " + tail;
        return last;
      }
      // the others in turn, each a new window until the hunt detector is full: it then closes
      // one early for each (drawn at random, the last few hundred of them would never come)
      int scanner = random.nextInt(8) == 0 ? random.nextInt(HEAVY_SCANNERS)
          : HEAVY_SCANNERS + next++ % (SCANNERS - HEAVY_SCANNERS);
      last = prefix + "eth0 OUT=" + MAC + " SRC=" + KnockPipeline.ip(0xc6130000 + scanner)
          + " DST=" + server + " LEN=44 TOS=0x00 PREC=0x00 TTL=" + (30 + random.nextInt(30))
          + " ID=" + random.nextInt(65536) + " " + tail;
      return last;
    }
  }

  /**
   * Runs up to {@code rounds} of the live firewall's {@link Firewall#warm} (a netlink round trip
   * that changes nothing), for at most {@code maxTime}, on the calling thread; stops at the first
   * that warms nothing (no netlink path, or it failed).
   *
   * @return how many round trips were made
   */
  static int warmFirewall(Firewall firewall, int rounds, Duration maxTime) {
    long end = System.nanoTime() + maxTime.toNanos();
    int n = 0;
    while (n < rounds && System.nanoTime() - end < 0 && firewall.warm()) {
      n++;
    }
    return n;
  }

  /** Something the user may do, so that the grant's path runs too: open their first port. */
  private static Command command(UserConfig u) {
    PortSpec p = u.openPorts().stream().findFirst().orElse(null);
    if (p != null) {
      return new Command(Verb.OPEN, p.port(), p.protocol(), Duration.ZERO, null);
    }
    Protocol any = u.openAnyPort().stream().findFirst().orElse(Protocol.TCP);
    return new Command(Verb.OPEN, 22, any, Duration.ZERO, null);
  }

  private static final FileReplayCache.SyncListener NO_SYNC_REPORTS =
      new FileReplayCache.SyncListener() {
        @Override
        public void failed(String message) {
          // warm-up: its records are never synced
        }

        @Override
        public void recovered() {
          // warm-up
        }
      };

  private static final KnockPipeline.Commands NO_COMMANDS = new KnockPipeline.Commands() {
    @Override
    public void runAction(ActionConfig action, String user, String ip, String source) {
      // warm-up: nothing runs
    }

    @Override
    public void openDoor(DoorMatcher.Door door, String source) {
      // warm-up: nothing runs
    }
  };
}
