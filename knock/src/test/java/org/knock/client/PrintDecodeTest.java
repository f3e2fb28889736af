package org.knock.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.CipherSuite;
import org.knock.core.Command;
import org.knock.core.DecodeResult;
import org.knock.core.DecoderSettings;
import org.knock.core.InMemoryReplayCache;
import org.knock.core.KnockDecoder;
import org.knock.core.KnockKey;
import org.knock.core.KnockUser;
import org.knock.core.Payload;
import org.knock.core.PortMapping;
import org.knock.core.SequenceAssembler;

/** What --print shows is a knock that knock-core's decoder accepts as the same command. */
class PrintDecodeTest {
  static final int SOURCE = (10 << 24) | (203 << 16) | 2; // 10.203.0.2
  @TempDir Path home;
  ClientRun c;
  KnockKey key;

  @BeforeEach
  void setUp() throws Exception {
    c = new ClientRun(home);
    key = c.writeKey();
  }

  private int[] printed() {
    assertThat(c.exit).as(c.err).isZero();
    String[] lines = c.out.split("\n");
    int[] ports = new int[lines.length];
    for (int i = 0; i < lines.length; i++) {
      ports[i] = Integer.parseInt(lines[i]);
    }
    return ports;
  }

  private static DecodeResult decode(int[] ports, KnockKey key, CipherSuite suite,
      PortMapping mapping, int base, Instant now) {
    KnockDecoder d = new KnockDecoder(new DecoderSettings(suite, mapping, base,
        DecoderSettings.DEFAULT_TIME_WINDOW, DecoderSettings.DEFAULT_MAX_COMBINATIONS),
        List.of(new KnockUser("tester", key, true)), new InMemoryReplayCache());
    SequenceAssembler seq = d.newSequence(SOURCE, 0x7F000001); // sent to 127.0.0.1

    DecodeResult r = null;
    for (int p : ports) {
      r = seq.offer(p, now);
    }
    return r;
  }

  private static void assertSame(Payload p, Command cmd) {
    assertThat(p.verb()).isEqualTo(cmd.verb());
    assertThat(p.protocol()).isEqualTo(cmd.protocol());
    assertThat(p.port()).isEqualTo(cmd.port());
    assertThat(p.duration()).isEqualTo(cmd.duration());
  }

  @Test
  void aRandomKnockTellsTheExternalPortTheDecoderComputes() throws Exception {
    c.run("--print", "-v", "--random-ports", "41000-41999", "-a", "192.0.2.7", "--timestamp",
        "1700000000", "127.0.0.1", "open 22 30m random");
    int[] ports = printed();
    String said = c.err.substring(c.err.indexOf("external port ") + "external port ".length())
        .strip();
    DecodeResult r = decode(ports, key, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        Instant.ofEpochSecond(1700000030));
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().payload().randomPort()).isTrue();
    assertThat(r.knock().randomPort(41000, 41999)).isEqualTo(Integer.parseInt(said));
  }

  @Test
  void defaultKnockDecodesToTheCommandWithTheAllowedAddress() throws Exception {
    c.run("--print", "-a", "192.0.2.7", "--timestamp", "1700000000", "127.0.0.1", "open 22 30m");
    int[] ports = printed();
    assertThat(ports).hasSize(20);
    for (int i = 0; i < ports.length; i++) {
      assertThat(ports[i]).isBetween(20000 + 256 * i, 20000 + 256 * i + 255);
    }
    DecodeResult r = decode(ports, key, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        Instant.ofEpochSecond(1700000030));
    assertThat(r.isAccepted()).isTrue();
    assertSame(r.knock().payload(), Command.parse("open 22 30m"));
    assertThat(r.knock().grant()).isEqualTo((192 << 24) | (2 << 8) | 7);
    assertThat(r.knock().payload().timestamp()).isEqualTo(1700000000L);
  }

  @Test
  void theStampedTimeIsWhatTheServerChecks() throws Exception {
    c.run("--print", "--source", "--timestamp", "1700000000", "127.0.0.1", "open 22");
    DecodeResult r = decode(printed(), key, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        Instant.ofEpochSecond(1700000000 + 3600));
    assertThat(r.isAccepted()).isFalse();
    assertThat(r.rejection().word()).isEqualTo("stale");
  }

  @Test
  void sourceGrantsTheKnocksOwnAddress() throws Exception {
    c.run("--print", "--source", "127.0.0.1", "open 53/udp 5m");
    DecodeResult r = decode(printed(), key, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        Instant.now());
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().payload().grantsSource()).isTrue();
    assertThat(r.knock().grant()).isEqualTo(SOURCE);
    assertSame(r.knock().payload(), Command.parse("open 53/udp 5m"));
  }

  @Test
  void defaultGrantIsTheOutgoingAddressTowardTheHost() throws Exception {
    c.run("--print", "127.0.0.1", "deny-further 1h");
    DecodeResult r = decode(printed(), key, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        Instant.now());
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().grant()).isEqualTo(0x7F000001);
    assertSame(r.knock().payload(), Command.parse("deny-further 1h"));
  }

  @Test
  void blowfishClassicInAnotherRangeDecodesInOrder() throws Exception {
    c.run("--print", "--source", "--cipher", "blowfish", "--mapping", "classic",
        "-p", "40000-40255", "127.0.0.1", "close 22");
    int[] ports = printed();
    for (int p : ports) {
      assertThat(p).isBetween(40000, 40255);
    }
    DecodeResult r = decode(ports, key, CipherSuite.BLOWFISH, PortMapping.CLASSIC, 40000,
        Instant.now());
    assertThat(r.isAccepted()).isTrue();
    assertSame(r.knock().payload(), Command.parse("close 22"));
  }

  @Test
  void rcStanzaForTheHostWinsOverDefaultAndCommandLineWinsOverBoth() throws Exception {
    Path other = home.resolve("other.key");
    KnockKey otherKey = KnockKey.generate(new java.util.Random(7));
    Files.writeString(other, otherKey.toBase64() + "\n");
    Files.setPosixFilePermissions(other,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Files.writeString(home.resolve("knockrc"), "# my knocks\n"
        + "[default]\n"
        + "cipher = blowfish\n"
        + "source\n"
        + "\n"
        + "[gateway.example]\n"
        + "key = other.key\n"
        + "ports 30000-35119\n");
    // a name that does not resolve: only an unbound (version 1) knock can be printed for it
    c.run("--print", "--protocol", "1", "gateway.example", "run backup");
    DecodeResult r = decode(printed(), otherKey, CipherSuite.BLOWFISH, PortMapping.INDEXED,
        30000, Instant.now());
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().payload().port()).isEqualTo(Payload.actionId("backup"));

    c.run("--print", "--protocol", "1", "--cipher", "twofish", "-k",
        home.resolve("key").toString(), "gateway.example", "run backup");
    r = decode(printed(), key, CipherSuite.TWOFISH, PortMapping.INDEXED, 30000, Instant.now());
    assertThat(r.isAccepted()).isTrue();
  }

  @Test
  void verboseDescribesTheKnockOnStderrWhenPrinting() {
    c.run("-v", "--print", "-a", "192.0.2.7", "--timestamp", "1700000000", "127.0.0.1",
        "open 22 30m");
    assertThat(printed()).hasSize(20);
    assertThat(c.err).isEqualTo("knock: open 22/tcp 30m for 192.0.2.7, twofish/indexed in "
        + "20000-25119, stamped 1700000000, protocol 2 bound to 127.0.0.1\n");
  }

  @Test
  void eachKnockIsFresh() {
    c.run("--print", "--source", "127.0.0.1", "open 22");
    int[] first = printed();
    c.run("--print", "--source", "127.0.0.1", "open 22");
    assertThat(printed()).isNotEqualTo(first);
  }

  @Test
  void theKnockIsBoundToTheAddressItIsSentToUnlessProtocol1() throws Exception {
    c.run("--print", "--source", "127.0.0.1", "open 22");
    int[] bound = printed();
    KnockDecoder d = new KnockDecoder(new DecoderSettings(CipherSuite.TWOFISH,
        PortMapping.INDEXED, 20000, DecoderSettings.DEFAULT_TIME_WINDOW,
        DecoderSettings.DEFAULT_MAX_COMBINATIONS),
        List.of(new KnockUser("tester", key, true, true)), new InMemoryReplayCache());
    SequenceAssembler elsewhere = d.newSequence(SOURCE, 0x7F000002);
    DecodeResult r = null;
    for (int p : bound) {
      r = elsewhere.offer(p, Instant.now());
    }
    assertThat(r.rejection()).isEqualTo(org.knock.core.Rejection.BAD_TAG);

    c = new ClientRun(home);
    c.run("--print", "--protocol", "1", "--source", "127.0.0.1", "open 22");
    int[] unbound = printed();
    SequenceAssembler anywhere = d.newSequence(SOURCE, 0x7F000002);
    for (int p : unbound) {
      r = anywhere.offer(p, Instant.now());
    }
    assertThat(r.isAccepted()).isTrue();
    assertThat(r.knock().payload().version()).isEqualTo(1);
  }

  @Test
  void aPassphraseFileGivesTheKeyTheServerDerivesForThisUserAndAddress() throws Exception {
    Path pass = home.resolve("pass");
    Files.writeString(pass, "correct horse battery staple\n");
    Files.setPosixFilePermissions(pass,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    c.run("--print", "--source", "--passphrase-file", pass.toString(), "-U", "carol",
        "127.0.0.1", "open 22");
    int[] ports = printed();
    assertThat(c.err).isEmpty();
    org.knock.core.ServerBinding here = org.knock.core.ServerBinding.ipv4(0x7F000001);
    KnockKey derived = KnockKey.fromPassphrase("correct horse battery staple".toCharArray(),
        "carol", here);
    DecodeResult r = decode(ports, derived, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        Instant.now());
    assertThat(r.isAccepted()).isTrue();
    // the salt holds the user: another user's name derives another key
    KnockKey other = KnockKey.fromPassphrase("correct horse battery staple".toCharArray(),
        "dave", here);
    assertThat(decode(ports, other, CipherSuite.TWOFISH, PortMapping.INDEXED, 20000,
        Instant.now()).isAccepted()).isFalse();
  }

  @Test
  void passphraseMistakesAreOneLine() throws Exception {
    Path pass = home.resolve("pass");
    Files.writeString(pass, "correct horse battery staple\n");
    c.run("--print", "--passphrase-file", pass.toString(), "127.0.0.1", "open 22");
    assertThat(c.exit).isEqualTo(2);
    assertThat(c.err).isEqualTo("knock: a passphrase needs -U/--user NAME (your [user NAME] on "
        + "the server: the key is derived from both)\n");
    c = new ClientRun(home);
    c.run("--print", "--protocol", "1", "--passphrase-file", pass.toString(), "-U", "carol",
        "127.0.0.1", "open 22");
    assertThat(c.exit).isEqualTo(2);
    assertThat(c.err).isEqualTo("knock: a passphrase works with protocol 2 only: drop "
        + "--protocol 1\n");
    c = new ClientRun(home);
    c.run("--print", "--passphrase", "-U", "carol", "127.0.0.1", "open 22"); // no terminal here
    assertThat(c.exit).isEqualTo(4);
    assertThat(c.err).isEqualTo("knock: --passphrase needs a terminal: use --passphrase-file "
        + "FILE\n");
  }
}
