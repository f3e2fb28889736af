package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.BlockCipher;
import org.junit.jupiter.api.Test;

/** test-data/vectors: every field reproduces, and every vector decodes back to its command. */
class VectorsTest {
  @Test
  void everyVectorReproduces() throws Exception {
    List<Map<String, String>> vectors = Vectors.read(Vectors.file());
    assertThat(vectors).hasSize(43);
    for (Map<String, String> v : vectors) {
      Map<String, String> computed = Vectors.compute(v);
      for (Map.Entry<String, String> e : computed.entrySet()) {
        assertThat(e.getValue()).as("%s: %s", v.get("name"), e.getKey())
            .isEqualTo(v.get(e.getKey()));
      }
    }
  }

  private static final byte[] SOURCE6 = Vectors.address("2001:db8:1::9");

  /**
   * A vector's ports, offered at its time from {@code source} (from {@link #SOURCE6} when the
   * server is IPv6) to {@code server} (4 or 16 bytes), by a decoder of 36-byte knocks too.
   */
  private static DecodeResult decode(Map<String, String> v, int source, byte[] server)
      throws KnockException {
    PortMapping mapping = PortMapping.ofWord(v.get("mapping"));
    DecoderSettings s = new DecoderSettings(CipherSuite.ofWord(v.get("cipher")), mapping,
        Integer.parseInt(v.get("base")), DecoderSettings.DEFAULT_TIME_WINDOW,
        DecoderSettings.DEFAULT_MAX_COMBINATIONS, List.of(), mapping == PortMapping.INDEXED);
    KnockDecoder d = Fixtures.decoder(s,
        new KnockUser("vector", KnockKey.parse(v.get("key")), true));
    int[] ports = java.util.Arrays.stream(v.get("ports").split(" "))
        .mapToInt(Integer::parseInt).toArray();
    Instant at = Instant.ofEpochSecond(Long.parseLong(v.get("time")));
    SequenceAssembler a = server.length == 16 ? d.newSequence6(SOURCE6, server)
        : d.newSequence(source, Vectors.parseIp(
            (server[0] & 0xFF) + "." + (server[1] & 0xFF) + "." + (server[2] & 0xFF) + "."
                + (server[3] & 0xFF)));
    return Fixtures.offerAll(a, ports, at);
  }

  private static byte[] server(Map<String, String> v) {
    return Vectors.address(v.getOrDefault("server", "0.0.0.0"));
  }

  @Test
  void everyVectorDecodesToItsCommand() throws Exception {
    int source = Vectors.parseIp("198.51.100.7");
    for (Map<String, String> v : Vectors.read(Vectors.file())) {
      DecodeResult r = decode(v, source, server(v));
      assertThat(r.isAccepted()).as(v.get("name")).isTrue();
      Command c = Command.parse(v.get("command"));
      Payload p = r.knock().payload();
      Payload expected = Payload.of(c, p.address(), p.timestamp(), p.nonce())
          .withVersion(Integer.parseInt(v.get("version")));
      String grant = v.get("grant");
      if (Vectors.SOURCE_64.equals(grant)) {
        assertThat(p).isEqualTo(expected.withAddressMode(Payload.ADDRESS_SOURCE_64));
        assertThat(r.knock().grantAddress().getHostAddress()).isEqualTo("2001:db8:1:0:0:0:0:0");
      } else if (grant.contains(":")) {
        assertThat(p).isEqualTo(expected.withAddress6(Vectors.address(grant)));
        assertThat(r.knock().grantAddress().getAddress()).isEqualTo(Vectors.address(grant));
      } else {
        assertThat(p).isEqualTo(expected);
        int g = Vectors.parseIp(grant);
        assertThat(r.knock().grant()).isEqualTo(g == 0 ? source : g);
      }
    }
  }

  @Test
  void aVersion2VectorDeliveredToAnotherAddressIsRefused() throws Exception {
    int source = Vectors.parseIp("198.51.100.7");
    for (Map<String, String> v : Vectors.read(Vectors.file())) {
      if (!"2".equals(v.get("version"))) {
        continue;
      }
      byte[] other = server(v);
      other[other.length - 1]++;
      DecodeResult r = decode(v, source, other);
      assertThat(r.rejection()).as(v.get("name")).isEqualTo(Rejection.BAD_TAG);
    }
  }

  /** The engines are the published algorithms: known-answer tests from their authors. */
  @Test
  void enginesMatchPublishedKnownAnswers() {
    // Twofish, 256-bit zero key, zero block (Schneier et al., ecb_tbl.txt / "KEYSIZE=256 I=1")
    assertThat(encryptZero(CipherSuite.TWOFISH, 32)).isEqualTo("57ff739d4dc92c1bd7fc01700cc8216f");
    // Blowfish, zero key and block (Schneier's test vectors, first line)
    assertThat(encryptZero(CipherSuite.BLOWFISH, 8)).isEqualTo("4ef997456198dd78");
  }

  private static String encryptZero(CipherSuite s, int keyBytes) {
    BlockCipher c = s.newEngine();
    c.init(true, new org.bouncycastle.crypto.params.KeyParameter(new byte[keyBytes]));
    byte[] out = new byte[c.getBlockSize()];
    c.processBlock(new byte[c.getBlockSize()], 0, out, 0);
    return Vectors.HEX.formatHex(out);
  }
}
