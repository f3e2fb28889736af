package org.knock.daemon;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knock.core.InMemoryReplayCache;
import org.knock.core.KnockDecoder;
import org.knock.daemon.audit.Audit;
import org.knock.daemon.config.ActionConfig;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLoader;
import org.knock.daemon.firewall.FirewallOptions;
import org.knock.daemon.firewall.Firewalls;
import org.knock.daemon.log.BenchInput;
import org.knock.daemon.log.LineFilter;
import org.knock.daemon.log.LineSink;
import org.knock.daemon.log.NetfilterLogParser;
import org.knock.daemon.log.PacketHandler;

/**
 * Benchmark, not a test: lines per second of a log file (held in memory) through the parser alone,
 * through parser + pipeline (tracker, decoder, doors, access check, the "none" firewall, an audit
 * log that only counts), and from the file's bytes through the line splitter (as standard input
 * is read: lines without the LOG prefix dropped on bytes), parser and pipeline; on the calling
 * thread, with the clock fixed at the time the file's knocks were made and no budget of tag checks
 * (every scan source spends its whole MaxCombinations). Last, the bytes path as the daemon runs
 * it: with its budget of MaxTagChecks per second, a clock that advances with the thread's CPU
 * time (the daemon alone on its core: reading faster leaves the scan junk fewer checks) and a
 * sweep every 250 ms of it. Rates are per second of the thread's CPU time, so that other work on a busy
 * machine does not count; the wall-clock rate is printed too. Run by {@code bench/ingest.sh}:
 * {@code IngestBench FILE CONFIG EPOCH_SECONDS [ROUNDS]}.
 *
 * <p>{@code IngestBench --carry CONFIG EPOCH_SECONDS FILE...}: the last path (budget, CPU clock,
 * sweeps) with ONE pipeline and tracker kept across the files, as the daemon keeps them across
 * copies fed to its standard input; per file its CPU time, sweeps, tracker size, evictions,
 * refusals, allocation and GC, to see whether later copies cost more because of what earlier
 * ones left behind.
 */
public final class IngestBench {
  private IngestBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--carry")) {
      carry(args);
      return;
    }
    Path file = Path.of(args[0]);
    Config config = ConfigLoader.load(Path.of(args[1]));
    Clock clock = Clock.fixed(Instant.ofEpochSecond(Long.parseLong(args[2])), ZoneOffset.UTC);
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    String[] lines = read(file);
    System.out.printf("%d lines, %d MB; %d rounds, the first one a warm-up%n", lines.length,
        Files.size(file) >> 20, rounds);
    String prefix = config.options().logPrefix().strip();
    long[] sink = new long[1];
    PacketHandler count = p -> sink[0] += p.destinationPort();
    double[] parse = new double[rounds];
    double[] full = new double[rounds];
    double[] bytes = new double[rounds];
    double[] source = new double[rounds];
    double[] budgeted = new double[rounds];
    long epochMillis = clock.millis();
    byte[] data = Files.readAllBytes(file);
    Map<String, Long> events = new TreeMap<>();
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    for (int r = 0; r < rounds; r++) {
      NetfilterLogParser parser = new NetfilterLogParser(prefix);
      long c0 = cpu.getCurrentThreadCpuTime();
      for (String l : lines) {
        parser.parse(l, count);
      }
      parse[r] = lines.length / ((cpu.getCurrentThreadCpuTime() - c0) / 1e9);

      events.clear();
      KnockPipeline pipeline = pipeline(config, clock, events);
      parser = new NetfilterLogParser(prefix);
      long t0 = System.nanoTime();
      c0 = cpu.getCurrentThreadCpuTime();
      for (String l : lines) {
        parser.parse(l, pipeline);
      }
      full[r] = lines.length / ((cpu.getCurrentThreadCpuTime() - c0) / 1e9);
      double wall = lines.length / ((System.nanoTime() - t0) / 1e9);

      NetfilterLogParser sourceParser = new NetfilterLogParser(prefix);
      c0 = cpu.getCurrentThreadCpuTime();
      BenchInput.split(data, filtered(prefix, line -> sourceParser.parse(line, count)));
      source[r] = lines.length / ((cpu.getCurrentThreadCpuTime() - c0) / 1e9);

      NetfilterLogParser byteParser = new NetfilterLogParser(prefix);
      KnockPipeline bytePipeline = pipeline(config, clock, new TreeMap<>());
      c0 = cpu.getCurrentThreadCpuTime();
      BenchInput.split(data, filtered(prefix, line -> byteParser.parse(line, bytePipeline)));
      bytes[r] = lines.length / ((cpu.getCurrentThreadCpuTime() - c0) / 1e9);

      CpuClock daemonClock = new CpuClock(cpu, epochMillis);
      Map<String, Long> daemonEvents = new TreeMap<>();
      SourceTracker[] tracker = new SourceTracker[1];
      KnockPipeline budgetPipeline = pipeline(config, daemonClock, daemonEvents, tracker);
      NetfilterLogParser budgetParser = new NetfilterLogParser(prefix);
      long start = cpu.getCurrentThreadCpuTime();
      BenchInput.split(data, filtered(prefix, line -> budgetParser.parse(line, budgetPipeline)),
          daemonClock::tick);
      budgeted[r] = lines.length / ((cpu.getCurrentThreadCpuTime() - start) / 1e9);
      System.out.printf("round %d: parser %.2f M lines/s, parser+pipeline %.2f (wall clock "
          + "%.2f), bytes+splitter (prefix filter)+parser %.2f, the same +pipeline %.2f, "
          + "the same with the daemon's budget and CPU clock %.2f (%d checks refused, %d "
          + "knocks granted by the end); %d packets, %d skipped, %d unparsable%n",
          r, parse[r] / 1e6, full[r] / 1e6, wall / 1e6, source[r] / 1e6, bytes[r] / 1e6,
          budgeted[r] / 1e6, tracker[0].budgetRefusals(),
          daemonEvents.getOrDefault("access-granted", 0L), parser.packets(), parser.skipped(),
          parser.unparsable());
    }
    System.out.println("audit events of the last round: " + events);
    System.out.printf("RESULT parser_Mlps=%.2f pipeline_Mlps=%.2f from_bytes_parser_Mlps=%.2f "
        + "from_bytes_Mlps=%.2f daemon_budget_Mlps=%.2f (CPU time, median of rounds 1..%d)%n",
        median(parse) / 1e6, median(full) / 1e6, median(source) / 1e6, median(bytes) / 1e6,
        median(budgeted) / 1e6, rounds - 1);
    if (sink[0] == 42) {
      System.out.println(); // keeps the handler's work from being optimised away
    }
  }

  /** {@code --carry CONFIG EPOCH FILE...}: one budgeted pipeline fed every file in turn. */
  private static void carry(String[] args) throws Exception {
    Config config = ConfigLoader.load(Path.of(args[1]));
    long epochMillis = Long.parseLong(args[2]) * 1000;
    String prefix = config.options().logPrefix().strip();
    com.sun.management.ThreadMXBean cpu =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    List<java.lang.management.GarbageCollectorMXBean> gcs =
        ManagementFactory.getGarbageCollectorMXBeans();
    CpuClock clock = new CpuClock(cpu, epochMillis);
    Map<String, Long> events = new TreeMap<>();
    SourceTracker[] tracker = new SourceTracker[1];
    KnockPipeline pipeline = pipeline(config, clock, events, tracker);
    NetfilterLogParser parser = new NetfilterLogParser(prefix);
    LineSink sink = filtered(prefix, line -> parser.parse(line, pipeline));
    for (int f = 3; f < args.length; f++) {
      byte[] data = Files.readAllBytes(Path.of(args[f]));
      long gcCount = 0;
      long gcMs = 0;
      for (var gc : gcs) {
        gcCount -= gc.getCollectionCount();
        gcMs -= gc.getCollectionTime();
      }
      long refused = tracker[0].budgetRefusals();
      long evicted = tracker[0].evictions();
      long alloc = cpu.getCurrentThreadAllocatedBytes();
      long s0 = clock.sweeps;
      long sweepNs = clock.sweepNanos;
      long jit = compilerTicks();
      long c0 = cpu.getCurrentThreadCpuTime();
      BenchInput.split(data, sink, clock::tick);
      long ns = cpu.getCurrentThreadCpuTime() - c0;
      for (var gc : gcs) {
        gcCount += gc.getCollectionCount();
        gcMs += gc.getCollectionTime();
      }
      System.out.printf("file %d %s: %d ms CPU (sweeps %d, %d ms of it), tracker %d sources, "
          + "%d evicted, %d checks refused, owed %b, %d MB allocated, %d GCs %d ms, JIT "
          + "threads %d ms; granted so far %d%n", f - 2, Path.of(args[f]).getFileName(), ns / 1_000_000,
          clock.sweeps - s0, (clock.sweepNanos - sweepNs) / 1_000_000, tracker[0].size(),
          tracker[0].evictions() - evicted, tracker[0].budgetRefusals() - refused,
          pipeline.owesChecks(), (cpu.getCurrentThreadAllocatedBytes() - alloc) >> 20, gcCount,
          gcMs, (compilerTicks() - jit) * 10, events.getOrDefault("access-granted", 0L));
    }
    System.out.println("audit events: " + events);
  }

  /**
   * The daemon's clock as seen by a reader alone on its core: epoch + this thread's CPU time since
   * it was made, advanced by {@link #tick} (called between chunks of input), which also runs the
   * pipeline's sweep every {@link Daemon#SWEEP} of it, as the daemon's sweeper does.
   */
  private static final class CpuClock extends Clock {
    private final ThreadMXBean cpu;
    private final long epochMillis;
    private final long start;
    private long now;
    private long nextSweep = Daemon.SWEEP.toMillis();
    private KnockPipeline pipeline;
    long sweeps;
    long sweepNanos;

    CpuClock(ThreadMXBean cpu, long epochMillis) {
      this.cpu = cpu;
      this.epochMillis = epochMillis;
      this.start = cpu.getCurrentThreadCpuTime();
      this.now = epochMillis;
    }

    void sweeping(KnockPipeline p) {
      this.pipeline = p;
    }

    void tick() {
      long ms = (cpu.getCurrentThreadCpuTime() - start) / 1_000_000;
      now = epochMillis + ms;
      if (ms >= nextSweep) {
        long w0 = cpu.getCurrentThreadCpuTime();
        pipeline.sweep();
        sweeps++;
        sweepNanos += cpu.getCurrentThreadCpuTime() - w0;
        nextSweep = ms + Daemon.SWEEP.toMillis();
      }
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(now);
    }
  }

  /** CPU ticks (10 ms) of this JVM's C1/C2 compiler threads so far, from /proc (0 if none). */
  private static long compilerTicks() throws IOException {
    long ticks = 0;
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return 0;
    }
    try (var ts = Files.list(tasks)) {
      for (Path t : (Iterable<Path>) ts::iterator) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (name.startsWith("C1 Comp") || name.startsWith("C2 Comp")) {
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
      }
    }
    return ticks;
  }

  /** A sink with the daemon's filter: only lines with the LOG prefix, dropped on bytes. */
  private static LineSink filtered(String prefix, LineSink lines) {
    LineFilter wanted = LineFilter.containing(prefix);
    return LineSink.filtered(() -> wanted, lines);
  }

  private static String[] read(Path file) throws IOException {
    List<String> l = Files.readAllLines(file, StandardCharsets.UTF_8);
    return l.toArray(new String[0]);
  }

  /** The median of rounds 1.. (round 0 is the warm-up); of an even count, the mean of the two. */
  static double median(double[] rounds) {
    double[] r = Arrays.copyOfRange(rounds, 1, rounds.length);
    Arrays.sort(r);
    int m = r.length / 2;
    return r.length % 2 == 1 ? r[m] : (r[m - 1] + r[m]) / 2;
  }

  private static KnockPipeline pipeline(Config c, Clock clock, Map<String, Long> events) {
    KnockDecoder decoder =
        new KnockDecoder(c.decoderSettings(), c.knockUsers(), new InMemoryReplayCache());
    return pipeline(c, clock, events, new SourceTracker(decoder,
        c.options().sequenceTimeout(), c.options().maxSources(), Daemon.MAX_PORTS_PER_SOURCE));
  }

  /**
   * With the daemon's budget of tag checks (MaxTagChecks) and {@code clock}'s sweeps; the tracker
   * is put in {@code out}.
   */
  private static KnockPipeline pipeline(Config c, CpuClock clock, Map<String, Long> events,
      SourceTracker[] out) {
    KnockDecoder decoder =
        new KnockDecoder(c.decoderSettings(), c.knockUsers(), new InMemoryReplayCache());
    out[0] = new SourceTracker(decoder, c.options().sequenceTimeout(), c.options().maxSources(),
        Daemon.MAX_PORTS_PER_SOURCE,
        new CheckBudget(c.options().maxTagChecks(), decoder.checksPerMessage()));
    KnockPipeline p = pipeline(c, clock, events, out[0]);
    clock.sweeping(p);
    return p;
  }

  private static KnockPipeline pipeline(Config c, Clock clock, Map<String, Long> events,
      SourceTracker tracker) {
    DoorMatcher doors = new DoorMatcher(Wiring.doors(c), c.options().maxSources());
    Audit audit = e -> {
      events.merge(e.name(), 1L, Long::sum);
      return true;
    };
    return new KnockPipeline(c, clock, tracker, doors,
        Firewalls.create("none", Wiring.firewallSettings(c), FirewallOptions.DEFAULTS, clock),
        audit, new KnockPipeline.Commands() {
          @Override
          public void runAction(ActionConfig action, String user, String ip, String source) {}

          @Override
          public void openDoor(DoorMatcher.Door door, String source) {}
        });
  }
}
