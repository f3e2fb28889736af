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
    assertThat(vectors).hasSize(40);
    for (Map<String, String> v : vectors) {
      Map<String, String> computed = Vectors.compute(v);
      for (Map.Entry<String, String> e : computed.entrySet()) {
        assertThat(e.getValue()).as("%s: %s", v.get("name"), e.getKey())
            .isEqualTo(v.get(e.getKey()));
      }
    }
  }

  /** A vector's ports, offered at its time from {@code source} to {@code server}. */
  private static DecodeResult decode(Map<String, String> v, int source, int server)
      throws KnockException {
    DecoderSettings s = new DecoderSettings(CipherSuite.ofWord(v.get("cipher")),
        PortMapping.ofWord(v.get("mapping")), Integer.parseInt(v.get("base")),
        DecoderSettings.DEFAULT_TIME_WINDOW, DecoderSettings.DEFAULT_MAX_COMBINATIONS);
    KnockDecoder d = Fixtures.decoder(s,
        new KnockUser("vector", KnockKey.parse(v.get("key")), true));
    int[] ports = java.util.Arrays.stream(v.get("ports").split(" "))
        .mapToInt(Integer::parseInt).toArray();
    Instant at = Instant.ofEpochSecond(Long.parseLong(v.get("time")));
    return Fixtures.offerAll(d.newSequence(source, server), ports, at);
  }

  @Test
  void everyVectorDecodesToItsCommand() throws Exception {
    int source = Vectors.parseIp("198.51.100.7");
    for (Map<String, String> v : Vectors.read(Vectors.file())) {
      int server = v.containsKey("server") ? Vectors.parseIp(v.get("server")) : 0;
      DecodeResult r = decode(v, source, server);
      assertThat(r.isAccepted()).as(v.get("name")).isTrue();
      Command c = Command.parse(v.get("command"));
      Payload p = r.knock().payload();
      assertThat(Payload.of(c, p.address(), p.timestamp(), p.nonce())
          .withVersion(Integer.parseInt(v.get("version")))).isEqualTo(p);
      int grant = Vectors.parseIp(v.get("grant"));
      assertThat(r.knock().grant()).isEqualTo(grant == 0 ? source : grant);
    }
  }

  @Test
  void aVersion2VectorDeliveredToAnotherAddressIsRefused() throws Exception {
    int source = Vectors.parseIp("198.51.100.7");
    for (Map<String, String> v : Vectors.read(Vectors.file())) {
      if (!"2".equals(v.get("version"))) {
        continue;
      }
      DecodeResult r = decode(v, source, Vectors.parseIp(v.get("server")) + 1);
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
