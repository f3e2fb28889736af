package org.knock.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test vectors in test-data/vectors/knock-vectors.txt: how they are made ({@link #main}
 * writes the file) and how they are read. The file is the compatibility contract: another
 * implementation that reproduces every field from the inputs speaks knock.
 */
final class Vectors {
  static final String FILE = "vectors/knock-vectors.txt";
  static final HexFormat HEX = HexFormat.of();

  private Vectors() {}

  static Path file() {
    return Path.of(System.getProperty("knock.testdata", "../test-data")).resolve(FILE);
  }

  /** Reads the file into a list of vectors, each an ordered map of field to value. */
  static List<Map<String, String>> read(Path f) throws IOException {
    List<Map<String, String>> all = new ArrayList<>();
    Map<String, String> cur = null;
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      if (l.startsWith("[") && l.endsWith("]")) {
        cur = new LinkedHashMap<>();
        cur.put("name", l.substring(1, l.length() - 1));
        all.add(cur);
        continue;
      }
      int eq = l.indexOf('=');
      cur.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
    }
    return all;
  }

  /** Computes every output field of a vector from its inputs. */
  static Map<String, String> compute(Map<String, String> in) throws KnockException {
    Map<String, String> out = new LinkedHashMap<>();
    CipherSuite suite = CipherSuite.ofWord(in.get("cipher"));
    PortMapping mapping = PortMapping.ofWord(in.get("mapping"));
    int base = Integer.parseInt(in.get("base"));
    KnockKey key = KnockKey.parse(in.get("key"));
    Command cmd = Command.parse(in.get("command"));
    String grantText = in.get("grant");
    int mode = SOURCE_64.equals(grantText) ? Payload.ADDRESS_SOURCE_64
        : grantText.contains(":") ? Payload.ADDRESS_IPV6 : Payload.ADDRESS_IPV4;
    int grant = mode == Payload.ADDRESS_IPV4 ? parseIp(grantText) : 0;
    long time = Long.parseLong(in.get("time"));
    int nonce = Integer.parseInt(in.get("nonce"), 16);
    out.put("enc_key", HEX.formatHex(key.encKey()));
    out.put("mac_key", HEX.formatHex(key.macKey()));
    int version = Integer.parseInt(in.getOrDefault("version", "1"));
    ServerBinding server = version == 1 ? null : ServerBinding.of(address(in.get("server")));
    Payload payload = Payload.of(cmd, grant, time, nonce).withVersion(version);
    payload = mode == Payload.ADDRESS_IPV6 ? payload.withAddress6(address(grantText))
        : payload.withAddressMode(mode);
    out.put("plaintext", HEX.formatHex(payload.toBytes()));
    KnockEncoder encoder = new KnockEncoder(key, suite, mapping, base, server);
    Instant at = Instant.ofEpochSecond(time);
    byte[] msg = mode == Payload.ADDRESS_IPV6 ? encoder.seal6(cmd, address(grantText), at, nonce)
        : encoder.seal(cmd, grant, mode, at, nonce);
    out.put("message", HEX.formatHex(msg));
    StringBuilder ports = new StringBuilder();
    for (int p : mapping.toPorts(msg, base)) {
      ports.append(ports.length() == 0 ? "" : " ").append(p);
    }
    out.put("ports", ports.toString());
    return out;
  }

  /** The grant of address mode 1: the knock's source /64. */
  static final String SOURCE_64 = "source/64";

  /** An address literal (IPv4 dotted or IPv6), never looked up: 4 or 16 bytes. */
  static byte[] address(String literal) {
    if (!literal.contains(":")) {
      int v4 = parseIp(literal);
      return new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
    }
    try {
      return java.net.InetAddress.getByName(literal).getAddress(); // a literal: no lookup
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  static int parseIp(String s) {
    String[] o = s.split("\\.");
    return (Integer.parseInt(o[0]) << 24) | (Integer.parseInt(o[1]) << 16)
        | (Integer.parseInt(o[2]) << 8) | Integer.parseInt(o[3]);
  }

  /** Writes the vector file: {@code mvn -q -pl knock-core test-compile exec:java} is not needed;
   * run this class's main from the IDE or with java -cp. */
  public static void main(String[] args) throws Exception {
    byte[] k = new byte[32];
    for (int i = 0; i < 32; i++) {
      k[i] = (byte) i;
    }
    String key = KnockKey.of(k).toBase64();
    String[][] cmds = {
        {"open 22/tcp 30m", "0.0.0.0"},
        {"open 53/udp 5m", "192.0.2.10"},
        {"close 22/tcp", "0.0.0.0"},
        {"deny-further 1h", "0.0.0.0"},
        {"run backup", "0.0.0.0"},
    };
    StringBuilder b = new StringBuilder();
    b.append("# knock protocol test vectors, versions 1 and 2. Inputs: version, cipher, mapping, base,\n")
        .append("# key (base64 of the 32-byte secret), time (Unix seconds), nonce (24-bit hex), grant\n")
        .append("# (IPv4; 0.0.0.0 = the knock's source; version 2 also source/64 = address\n")
        .append("# mode 1, an IPv6 address = address mode 2, a 36-byte message), server (version\n")
        .append("# 2: the address the knock is bound to, IPv4 or IPv6), command. Outputs: enc_key\n")
        .append("# and mac_key (HKDF-SHA256), plaintext, message (ciphertext | tag), ports in\n")
        .append("# sending order. The tags of every vector were recomputed independently with\n")
        .append("# Python's hmac: HMAC-SHA256(mac_key, \"kn\" | version | suite | [server as 16\n")
        .append("# bytes |] ciphertext)[0..4).\n")
        .append("# See docs/PROTOCOL.md. Checked by knock-core's VectorsTest.\n");
    int n = 0;
    for (int version = 1; version <= 2; version++) {
      for (CipherSuite s : CipherSuite.values()) {
      for (PortMapping m : PortMapping.values()) {
        for (String[] c : cmds) {
          Map<String, String> in = new LinkedHashMap<>();
          in.put("version", String.valueOf(version));
          in.put("cipher", s.word());
          in.put("mapping", m.word());
          in.put("base", "20000");
          in.put("key", key);
          in.put("time", "1795000000");
          in.put("nonce", String.format("%06x", 0x00a1b2 + n));
          in.put("grant", c[1]);
          if (version == 2) {
            in.put("server", "203.0.113.5");
          }
          in.put("command", c[0]);
          b.append("\n[v").append(version).append('-').append(s.word()).append('-')
              .append(m.word()).append('-')
              .append(c[0].split(" ")[0]).append('-').append(c[0].split(" ")[1].replace('/', '-'))
              .append("]\n");
          for (Map.Entry<String, String> e : in.entrySet()) {
            b.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
          }
          for (Map.Entry<String, String> e : compute(in).entrySet()) {
            b.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
          }
          n++;
        }
      }
    }
    }
    String[][] extensions = { // version 2 address modes 1 and 2 (issue 15)
        {"twofish", "2001:db8::5", "source/64", "source64"},
        {"twofish", "2001:db8::5", "2001:db8:1::7", "ipv6"},
        {"blowfish", "203.0.113.5", "2001:db8:1::7", "ipv6-over-ipv4"},
    };
    for (String[] x : extensions) {
      Map<String, String> in = new LinkedHashMap<>();
      in.put("version", "2");
      in.put("cipher", x[0]);
      in.put("mapping", "indexed");
      in.put("base", "20000");
      in.put("key", key);
      in.put("time", "1795000000");
      in.put("nonce", String.format("%06x", 0x00a1b2 + n));
      in.put("grant", x[2]);
      in.put("server", x[1]);
      in.put("command", "open 22/tcp 30m");
      b.append("\n[v2-").append(x[0]).append("-indexed-open-22-tcp-").append(x[3]).append("]\n");
      for (Map.Entry<String, String> e : in.entrySet()) {
        b.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
      }
      for (Map.Entry<String, String> e : compute(in).entrySet()) {
        b.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
      }
      n++;
    }
    Path f = args.length > 0 ? Path.of(args[0]) : file();
    Files.createDirectories(f.getParent());
    Files.writeString(f, b.toString(), StandardCharsets.UTF_8);
    System.out.println("wrote " + n + " vectors to " + f);
  }
}
