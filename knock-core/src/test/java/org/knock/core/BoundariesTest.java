package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.knock.core.Fixtures.CLIENT;
import static org.knock.core.Fixtures.NOW;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every limit the protocol code checks, tried on both sides of the line (the last value allowed
 * and the first refused), and the small accessors other modules rely on. Written for the mutants
 * PIT found alive (docs/TESTING.md).
 */
class BoundariesTest {
  private static final int BASE = DecoderSettings.DEFAULT_BASE_PORT;
  private static final Duration W = Duration.ofSeconds(120);

  @Test
  void portNumbers() throws Exception {
    assertThat(Ports.parse("1", "open")).isEqualTo(1);
    assertThat(Ports.parse("65535", "open")).isEqualTo(65535);
    assertThat(Ports.parse("000022", "open")).as("six digits").isEqualTo(22);
    assertThatThrownBy(() -> Ports.parse("0000022", "open")).hasMessage(
        "open: bad port '0000022': use a number 1-65535");
    assertThatThrownBy(() -> Ports.parse("0", "open"))
        .hasMessage("open: port 0 is out of range 1-65535");
    assertThatThrownBy(() -> Ports.parse("65536", "open"))
        .hasMessage("open: port 65536 is out of range 1-65535");
  }

  @Test
  void payloadFields() {
    Payload.of(Command.close(1, Protocol.TCP), 0, 0, 0);
    new Payload(Verb.OPEN, Protocol.TCP, 0, Duration.ZERO, 0, 0xFFFFFFFFL, 0xFFFFFF);
    new Payload(Verb.OPEN, Protocol.TCP, 0xFFFF, Duration.ZERO, 0, 0, 0);
    assertThatThrownBy(() -> new Payload(Verb.OPEN, Protocol.TCP, -1, Duration.ZERO, 0, 0, 0))
        .hasMessage("port out of range: -1");
    assertThatThrownBy(() -> new Payload(Verb.OPEN, Protocol.TCP, 0x10000, Duration.ZERO, 0, 0, 0))
        .hasMessage("port out of range: 65536");
    assertThatThrownBy(() -> new Payload(Verb.OPEN, Protocol.TCP, 1, Duration.ZERO, 0, -1, 0))
        .hasMessage("timestamp out of range: -1");
    assertThatThrownBy(
        () -> new Payload(Verb.OPEN, Protocol.TCP, 1, Duration.ZERO, 0, 0x100000000L, 0))
        .hasMessage("timestamp out of range: 4294967296");
    assertThatThrownBy(() -> new Payload(Verb.OPEN, Protocol.TCP, 1, Duration.ZERO, 0, 0, -1))
        .hasMessage("nonce out of range: -1");
    assertThatThrownBy(() -> new Payload(Verb.OPEN, Protocol.TCP, 1, Duration.ZERO, 0, 0, 0x1000000))
        .hasMessage("nonce out of range: 16777216");
  }

  @Test
  void durations() throws Exception {
    assertThat(Durations.parse("000000030s")).as("nine digits").isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> Durations.parse("0000000030s")).hasMessageContaining("bad duration");
    assertThat(Durations.parse(Durations.MAX_COUNT + "d")).isEqualTo(Durations.MAX);
    assertThatThrownBy(() -> Durations.parse((Durations.MAX_COUNT + 1) + "d"))
        .hasMessageContaining("the longest is " + Durations.MAX_COUNT + "d");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(Durations.format(Duration.ofSeconds(59))).isEqualTo("59s");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("2d");
  }

  @Test
  void knockRangeFitsBelow65536() {
    for (PortMapping m : PortMapping.values()) {
      int top = 65536 - m.rangeSize(); // the highest base that fits
      m.checkBase(1);
      m.checkBase(top);
      assertThatThrownBy(() -> m.checkBase(0)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> m.checkBase(top + 1))
          .hasMessage("base port " + (top + 1) + " leaves no room for " + m.rangeSize()
              + " ports below 65536");
      assertThatThrownBy(() -> m.toPorts(new byte[20], top + 1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> new KnockEncoder(Fixtures.key(1), CipherSuite.TWOFISH, m, 0))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> new DecoderSettings(CipherSuite.TWOFISH, m, top + 1, W, 1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(m.inRange(BASE, BASE)).isTrue();
      assertThat(m.inRange(BASE - 1, BASE)).isFalse();
      assertThat(m.inRange(BASE + m.rangeSize() - 1, BASE)).isTrue();
      assertThat(m.inRange(BASE + m.rangeSize(), BASE)).isFalse();
      assertThat(m.position(BASE - 1, BASE)).isEqualTo(-1);
    }
    assertThat(PortMapping.INDEXED.position(BASE + 256 * 19 + 255, BASE)).isEqualTo(19);
    assertThat(PortMapping.INDEXED.position(BASE + 256, BASE)).isEqualTo(1);
    assertThat(PortMapping.CLASSIC.position(BASE + 255, BASE)).isZero();
  }

  @Test
  void decoderSettings() {
    assertThat(new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, BASE, W, 1)
        .maxCombinations()).isEqualTo(1);
    assertThatThrownBy(() -> new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, BASE, W,
        0)).hasMessage("maxCombinations must be positive");
    DecoderSettings d = DecoderSettings.defaults();
    assertThat(d.suite()).isEqualTo(CipherSuite.TWOFISH);
    assertThat(d.mapping()).isEqualTo(PortMapping.INDEXED);
    assertThat(d.basePort()).isEqualTo(20000);
    assertThat(d.timeWindow()).isEqualTo(W);
    assertThat(d.maxCombinations()).isEqualTo(4096);
  }

  @Test
  void serverBindingsAndAddresses() throws Exception {
    ServerBinding a = ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 1));
    assertThat(a.toString()).isEqualTo("00000000000000000000ffff0a630001");
    assertThat(ServerBinding.ipv4(Fixtures.ip(192, 168, 200, 254)).toString())
        .isEqualTo("00000000000000000000ffffc0a8c8fe");
    assertThat(a).isEqualTo(ServerBinding.of(new byte[] {10, 99, 0, 1}));
    assertThat(a.hashCode()).isEqualTo(ServerBinding.of(new byte[] {10, 99, 0, 1}).hashCode());
    assertThat(a).isNotEqualTo(ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 2)));
    assertThat(a.hashCode()).isNotEqualTo(ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 2)).hashCode());
    assertThat(a).isNotEqualTo("00000000000000000000ffff0a630001");
    Payload p = Payload.of(Command.close(22, Protocol.TCP), 0, NOW.getEpochSecond(), 1);
    Knock k = new Knock("alice", p, Fixtures.ip(192, 168, 1, 2), Fixtures.ip(172, 16, 3, 4));
    assertThat(k.sourceAddress().getHostAddress()).isEqualTo("192.168.1.2");
    assertThat(k.grantAddress().getHostAddress()).isEqualTo("172.16.3.4");
  }

  @Test
  void commandWords() throws Exception {
    assertThat(Command.parse("  close 22  ")).isEqualTo(Command.close(22, Protocol.TCP));
    assertThat(Command.parse("open\t22\t")).isEqualTo(Command.open(22, Protocol.TCP, Duration.ZERO));
    assertThat(CommandParser.words(" a  b ")).containsExactly("a", "b");
    assertThatThrownBy(() -> Command.parse("deny-further 1h later"))
        .hasMessage("deny-further: unexpected 'later': use deny-further [DURATION]");
    assertThatThrownBy(() -> Command.parse("run backup now"))
        .hasMessage("run: unexpected 'now': use run ACTION");
    assertThatThrownBy(() -> Command.parse("open /tcp")).hasMessageContaining("bad port ''");
  }

  @Test
  void actionNames() throws Exception {
    String longest = "a".repeat(Command.MAX_ACTION_LENGTH);
    assertThat(Command.parse("run " + longest).action()).isEqualTo(longest);
    assertThatThrownBy(() -> Command.parse("run " + longest + "a"))
        .hasMessageContaining("bad action name");
    assertThat(Command.parse("run azAZ09-_.").action()).isEqualTo("azAZ09-_.");
    assertThat(CommandParser.isActionName("")).isFalse();
    // the characters just outside each allowed span: ` { @ [ / :
    for (String bad : new String[] {"`", "{", "@", "[", "/", ":", "x y", "é"}) {
      assertThat(CommandParser.isActionName(bad)).as(bad).isFalse();
    }
    for (String good : new String[] {"a", "z", "A", "Z", "0", "9", "-", "_", "."}) {
      assertThat(CommandParser.isActionName(good)).as(good).isTrue();
    }
  }

  @Test
  void replayRetention() {
    new ReplayRetention(0, ReplayRetention.NO_FLOOR);
    assertThatThrownBy(() -> new ReplayRetention(-1, ReplayRetention.NO_FLOOR))
        .hasMessage("negative time window");
    ReplayRetention r = ReplayRetention.of(W);
    assertThat(r.widestSeconds()).isEqualTo(120);
    assertThat(r.floor()).isEqualTo(ReplayRetention.NO_FLOOR);
    assertThat(r.expiry(1000)).isEqualTo(1121);
    assertThat(r.keeps(1000, 1121)).isTrue();
    assertThat(r.keeps(1000, 1122)).isFalse();
    assertThat(r.mayHaveForgotten(Long.MIN_VALUE)).isFalse();
    assertThat(r.widen(Duration.ofSeconds(120), 5000)).as("not wider").isFalse();
    assertThat(r.widen(Duration.ofSeconds(60), 5000)).isFalse();
    assertThat(r.floor()).isEqualTo(ReplayRetention.NO_FLOOR);
    assertThat(r.widen(Duration.ofSeconds(300), 10_000)).isTrue();
    assertThat(r.widestSeconds()).isEqualTo(300);
    assertThat(r.floor()).isEqualTo(10_000 - 120 - 1);
    assertThat(r.mayHaveForgotten(9878)).isTrue();
    assertThat(r.mayHaveForgotten(9879)).isFalse();
    assertThat(r.widen(Duration.ofSeconds(400), 9000)).isTrue();
    assertThat(r.floor()).as("never lowered").isEqualTo(9879);
    assertThat(new ReplayRetention(30, 77).floor()).isEqualTo(77);
  }

  @Test
  void inMemoryReplayCache() {
    InMemoryReplayCache c = new InMemoryReplayCache();
    ReplayKey k = new ReplayKey("alice", 1000, 5);
    assertThat(c.record(k)).isEqualTo(ReplayCache.Result.RECORDED);
    assertThat(c.record(k)).isEqualTo(ReplayCache.Result.ALREADY_SEEN);
    assertThat(c.record(new ReplayKey("bob", 1000, 5))).isEqualTo(ReplayCache.Result.RECORDED);
    assertThat(c.size()).isEqualTo(2);
    assertThat(c.entries()).isEqualTo(Map.of(k, 1121L, new ReplayKey("bob", 1000, 5), 1121L));
    c.prune(1121);
    assertThat(c.size()).isEqualTo(2);
    c.prune(1122);
    assertThat(c.size()).isZero();
    c.widen(Duration.ofSeconds(600), 5000);
    assertThat(c.record(new ReplayKey("alice", 4800, 1)))
        .as("older than what the narrower window kept").isEqualTo(ReplayCache.Result.ALREADY_SEEN);
    assertThat(c.record(new ReplayKey("alice", 4900, 1))).isEqualTo(ReplayCache.Result.RECORDED);
    // at a time: too old for the widest window (600 s) is TOO_OLD and not remembered, unless
    // remembered already, or before the floor the widening raised (a replay)
    assertThat(c.record(new ReplayKey("alice", 5000, 2), 5601))
        .isEqualTo(ReplayCache.Result.RECORDED);
    assertThat(c.record(new ReplayKey("alice", 4999, 2), 5601))
        .isEqualTo(ReplayCache.Result.TOO_OLD);
    assertThat(c.record(new ReplayKey("alice", 4900, 1), 5601))
        .isEqualTo(ReplayCache.Result.ALREADY_SEEN);
    assertThat(c.record(new ReplayKey("alice", 4800, 2), 5601))
        .isEqualTo(ReplayCache.Result.ALREADY_SEEN);
    assertThat(c.size()).isEqualTo(2);
  }

  @Test
  void rejectionWords() {
    assertThat(Rejection.BAD_TAG.word()).isEqualTo("bad-tag");
    assertThat(Rejection.REPLAY_STORE_FAILED.word()).isEqualTo("replay-store-failed");
  }

  @Test
  void sealerOpensOnlyItsOwnMessages() throws Exception {
    Sealer s = new Sealer(Fixtures.key(3), CipherSuite.BLOWFISH);
    assertThat(s.suite()).isEqualTo(CipherSuite.BLOWFISH);
    byte[] plain = Payload.of(Command.close(22, Protocol.TCP), 0, NOW.getEpochSecond(), 9)
        .toBytes();
    byte[] m = s.seal(plain);
    assertThat(s.open(m)).isEqualTo(plain);
    m[0] ^= 1;
    assertThat(s.open(m)).isNull();
    assertThat(s.verify(new byte[Sealer.MESSAGE_SIZE - 1])).isFalse();
    assertThat(new Sealer(Fixtures.key(3), CipherSuite.BLOWFISH).seal(plain))
        .as("deterministic").isEqualTo(s.seal(plain));
  }

  @Test
  void keys() throws Exception {
    byte[] raw = new byte[32];
    raw[0] = 1;
    KnockKey k = KnockKey.of(raw);
    assertThat(k.toBase64()).isEqualTo("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assertThat(KnockKey.parse(k.toBase64()).toBase64()).isEqualTo(k.toBase64());
    assertThat(k.toString()).isEqualTo("KnockKey[hidden]").doesNotContain(k.toBase64());
    ServerBinding server = ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 1));
    // independent of this code: python3 hashlib.sha256(b'knock-v2 passphrase\0alice\0' + the
    // 16 bytes of ::ffff:10.99.0.1)
    assertThat(HexFormat.of().formatHex(KnockKey.passphraseSalt("alice", server)))
        .isEqualTo("a999cf1a52ee6a203f5686cc018dd9c2ce0c7069e52a801301ec055c08250ee6");
    assertThatThrownBy(() -> KnockKey.fromPassphrase("elevenchars".toCharArray(), "alice", server))
        .hasMessage("passphrase too short: use at least 12 characters");
    // Argon2id over that salt; pinned: a client and a server of different versions must agree
    assertThat(KnockKey.fromPassphrase("twelve chars".toCharArray(), "alice", server).toBase64())
        .isEqualTo("3wkaGHGGlaAMDqRwLdV2hTdZgVLg1QNZKhhQxJipCFo=");
  }

  @Test
  void decoderChecksPerMessageCountEveryBinding() {
    ServerBinding a = ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 1));
    ServerBinding b = ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 3));
    DecoderSettings two = new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, BASE, W,
        4096, List.of(a, b));
    KnockUser onlyA = new KnockUser("ann", Fixtures.key(1), false, false, a);
    KnockUser any = new KnockUser("bob", Fixtures.key(2), false, true);
    KnockUser carol = new KnockUser("carol", Fixtures.key(3), false, false);
    KnockDecoder d = new KnockDecoder(two, List.of(onlyA, any, carol), new InMemoryReplayCache());
    assertThat(d.checksPerMessage()).isEqualTo(1 + (2 + 1) + 2);
    assertThat(d.users()).containsExactly(onlyA, any, carol);
    assertThat(new KnockDecoder(two, List.of(), new InMemoryReplayCache()).checksPerMessage())
        .isEqualTo(1);
  }

  @Test
  void aUserBoundToOneServerAddressIsRefusedAtAnother() throws Exception {
    KnockKey key = Fixtures.key(11);
    ServerBinding a = ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 1));
    ServerBinding b = ServerBinding.ipv4(Fixtures.ip(10, 99, 0, 3));
    DecoderSettings s = Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED);
    for (ServerBinding to : List.of(a, b)) {
      int[] ports = new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, BASE, to)
          .encode(Command.parse("open 22"), 0, NOW, new SplittableRandom(4));
      KnockDecoder d = Fixtures.decoder(s, new KnockUser("ann", key, false, false, a));
      int dest = to == a ? Fixtures.ip(10, 99, 0, 1) : Fixtures.ip(10, 99, 0, 3);
      DecodeResult r = Fixtures.offerAll(d.newSequence(CLIENT, dest), ports, NOW);
      if (to == a) {
        assertThat(r.isAccepted()).isTrue();
      } else {
        assertThat(r.rejection()).isEqualTo(Rejection.BAD_TAG);
      }
    }
  }

  @Test
  void aReplayCacheThatCannotRecordRefusesTheKnock() throws Exception {
    KnockKey key = Fixtures.key(12);
    DecoderSettings s = Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED);
    int[] ports = new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, BASE)
        .encode(Command.parse("open 22"), 0, NOW, new SplittableRandom(4));
    KnockDecoder d = new KnockDecoder(s, List.of(new KnockUser("ann", key, false)),
        k -> ReplayCache.Result.STORE_FAILED);
    assertThat(Fixtures.offerAll(d.newSequence(CLIENT), ports, NOW).rejection())
        .isEqualTo(Rejection.REPLAY_STORE_FAILED);
  }

  @Test
  void aRightTagOverAnUnknownHeaderIsMalformed() throws Exception {
    KnockKey key = Fixtures.key(13);
    byte[] plain = Payload.of(Command.parse("open 22"), 0, NOW.getEpochSecond(), 5).toBytes();
    plain[7] = (byte) 0xFF; // protocol version 7
    byte[] m = new Sealer(key, CipherSuite.TWOFISH).seal(plain);
    KnockDecoder d = Fixtures.decoder(Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED),
        new KnockUser("ann", key, false));
    DecodeResult r = Fixtures.offerAll(d.newSequence(CLIENT), PortMapping.INDEXED.toPorts(m, BASE),
        NOW);
    assertThat(r.rejection()).isEqualTo(Rejection.MALFORMED);
  }

  @Test
  void ipv6SequencesNeedSixteenByteAddresses() {
    KnockDecoder d = Fixtures.decoder(DecoderSettings.defaults(),
        new KnockUser("ann", Fixtures.key(1), false));
    assertThat(d.newSequence6(new byte[16], null, 7).destination()).isEqualTo(7);
    assertThat(d.newSequence6(new byte[16], new byte[16]).size()).isZero();
    assertThatThrownBy(() -> d.newSequence6(new byte[16], new byte[4]))
        .hasMessage("an IPv6 address has 16 bytes");
    assertThatThrownBy(() -> d.newSequence6(new byte[4], null))
        .hasMessage("an IPv6 address has 16 bytes");
  }

  @Test
  void anEncoderGivesThePortsOfItsMessage() throws Exception {
    KnockEncoder e = new KnockEncoder(Fixtures.key(1), CipherSuite.TWOFISH, PortMapping.CLASSIC,
        BASE);
    byte[] m = e.seal(Command.parse("close 22"), 0, NOW, 3);
    assertThat(e.ports(m)).isEqualTo(PortMapping.CLASSIC.toPorts(m, BASE));
    assertThat(e.ports(m)[0]).isEqualTo(BASE + (m[0] & 0xFF));
  }

  @Test
  void ipv6Limits() throws Exception {
    // a forward's name starts with a letter: the first and last of each case, not their neighbours
    for (String name : List.of("a1", "zz", "Ab", "Zulu")) {
      assertThat(CommandParser.isForwardName(name)).as(name).isTrue();
    }
    for (String name : List.of("`a", "{a", "@a", "[a", "9a", "", "random", "RANDOM")) {
      assertThat(CommandParser.isForwardName(name)).as(name).isFalse();
    }
    // a random port range may start at port 1
    assertThat(RandomPort.port(7, 1, 1)).isEqualTo(1);
    assertThatThrownBy(() -> RandomPort.port(7, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    // a draw of 0 is a draw (the first port), -1 none
    Payload p = new Payload(Verb.OPEN, Protocol.TCP, 22, Duration.ZERO, 0, 0, 0, 2, true);
    assertThat(new Knock("ann", p, CLIENT, CLIENT, null, null, 0).randomPort(40000, 40099))
        .isEqualTo(40000);
    assertThat(new Knock("ann", p, CLIENT, CLIENT, null, null, -1).randomPort(40000, 40099))
        .isEqualTo(-1);
    // 36-byte knocks need 9216 ports below 65536, 20-byte ones 5120
    int top = 65536 - 9216;
    new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, top, W, 1, List.of(), true);
    new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED, top + 1, W, 1, List.of(), false);
    assertThatThrownBy(() -> new DecoderSettings(CipherSuite.TWOFISH, PortMapping.INDEXED,
        top + 1, W, 1, List.of(), true)).isInstanceOf(IllegalArgumentException.class);
    // a sealer verifies messages of both lengths and no other
    KnockKey key = Fixtures.key(3);
    Sealer sealer = new Sealer(key, CipherSuite.TWOFISH);
    byte[] long36 = sealer.seal(new byte[Payload.LONG_SIZE]);
    assertThat(long36).hasSize(Sealer.LONG_MESSAGE_SIZE);
    assertThat(sealer.verify(long36)).isTrue();
    assertThat(sealer.verify(sealer.seal(new byte[Payload.SIZE]))).isTrue();
    assertThat(sealer.verify(java.util.Arrays.copyOf(long36, 35))).isFalse();
    long36[0] ^= 1;
    assertThat(sealer.verify(long36)).isFalse();
  }

  @Test
  void aKnockTheReplayCacheDatesBeforeItsBootIsRefused() throws Exception {
    KnockKey key = Fixtures.key(4);
    KnockDecoder d = new KnockDecoder(Fixtures.settings(CipherSuite.TWOFISH, PortMapping.INDEXED),
        List.of(new KnockUser("ann", key, false)), k -> ReplayCache.Result.BEFORE_BOOT);
    int[] ports = new KnockEncoder(key, CipherSuite.TWOFISH, PortMapping.INDEXED, BASE)
        .encode(Command.parse("open 22"), 0, NOW, new SplittableRandom(4));
    assertThat(Fixtures.offerAll(d.newSequence(CLIENT), ports, NOW).rejection())
        .isEqualTo(Rejection.BEFORE_BOOT);
  }
}
