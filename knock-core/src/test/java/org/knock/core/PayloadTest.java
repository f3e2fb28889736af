package org.knock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The 16-byte plaintext: layout, round trip, and one test per malformed header. */
class PayloadTest {
  private final Payload p = new Payload(Verb.OPEN, Protocol.UDP, 53, Duration.ofMinutes(5),
      Fixtures.ip(192, 0, 2, 10), 0x6A_FE_D0_C0L, 0xA1B2C3);

  @Test
  void layoutIsAsDocumented() {
    assertThat(Vectors.HEX.formatHex(p.toBytes()))
        // timestamp  nonce  hdr  port  dur (300 s)  address
        .isEqualTo("6afed0c0" + "a1b2c3" + "24" + "0035" + "012c" + "c000020a");
  }

  @Test
  void roundTrips() throws Exception {
    assertThat(Payload.fromBytes(p.toBytes())).isEqualTo(p);
  }

  @Test
  void unknownVersionIsRefused() {
    byte[] b = p.toBytes();
    b[7] = (byte) (b[7] & 0x1F);
    assertThatThrownBy(() -> Payload.fromBytes(b)).hasMessage("unsupported payload version 0");
  }

  @Test
  void reservedBitsAreRefused() {
    byte[] b = p.toBytes();
    b[7] |= 1;
    assertThatThrownBy(() -> Payload.fromBytes(b)).hasMessage("reserved header bits set");
  }

  @Test
  void wrongLengthIsRefused() {
    assertThatThrownBy(() -> Payload.fromBytes(new byte[15]))
        .hasMessage("payload must be 16 bytes, not 15");
  }

  @Test
  void actionIdsAreStableAndDistinct() {
    assertThat(Payload.actionId("backup")).isEqualTo(Payload.actionId("backup"));
    assertThat(Payload.actionId("backup")).isNotEqualTo(Payload.actionId("restore"));
  }

  private final Payload p64 = new Payload(Verb.OPEN, Protocol.TCP, 22, Duration.ofMinutes(5), 0,
      0x6A_FE_D0_C0L, 0xA1B2C3, Payload.VERSION_2, false, Payload.ADDRESS_SOURCE_64, null);

  @Test
  void theSource64ModeSetsTheExtensionBitAndByte12() throws Exception {
    assertThat(Vectors.HEX.formatHex(p64.toBytes()))
        // timestamp  nonce  hdr (v2, open, tcp, ext)  port  dur  mode 1
        .isEqualTo("6afed0c0" + "a1b2c3" + "41" + "0016" + "012c" + "01000000");
    assertThat(Payload.fromBytes(p64.toBytes())).isEqualTo(p64);
    assertThat(p64.grantsSource64()).isTrue();
    assertThat(p64.grantsSource()).isFalse();
  }

  @Test
  void unknownAddressModesAndNonZeroPaddingAreRefused() {
    for (int mode : new int[] {0, 3, 255}) {
      byte[] b = p64.toBytes();
      b[12] = (byte) mode;
      assertThatThrownBy(() -> Payload.fromBytes(b)).as("mode %d", mode)
          .hasMessage("address mode " + mode + " not supported");
    }
    for (int i = 13; i < 16; i++) {
      byte[] b = p64.toBytes();
      b[i] = 1;
      assertThatThrownBy(() -> Payload.fromBytes(b))
          .hasMessage("address extension with bytes 13-15 not zero");
    }
  }

  @Test
  void anAddressModeNeedsVersion2AndAddressZero() {
    assertThatThrownBy(() -> p.withAddressMode(Payload.ADDRESS_SOURCE_64))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> p64.withVersion(Payload.VERSION))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void addressMode2CarriesTheIpv6AddressInASecondBlock() throws Exception {
    byte[] v6 = java.net.InetAddress.getByName("fd10:204:15::2").getAddress();
    Payload p6 = p64.withAddressMode(Payload.ADDRESS_IPV4).withAddress6(v6);
    byte[] b = p6.toBytes();
    assertThat(Vectors.HEX.formatHex(b))
        .isEqualTo("6afed0c0" + "a1b2c3" + "41" + "0016" + "012c" + "02000000"
            + "fd100204001500000000000000000002");
    assertThat(Payload.fromBytes(b)).isEqualTo(p6);
    assertThat(Payload.fromBytes(b).address6()).isEqualTo(v6);
    byte[] shortOne = java.util.Arrays.copyOf(b, 16);
    assertThatThrownBy(() -> Payload.fromBytes(shortOne))
        .hasMessage("address mode 2 needs a 32-byte payload");
    byte[] longOne = java.util.Arrays.copyOf(p64.toBytes(), 32);
    assertThatThrownBy(() -> Payload.fromBytes(longOne))
        .hasMessage("a 32-byte payload needs address mode 2");
  }

  @Test
  void payloadsWithTheSameIpv6AddressAreEqualAndOthersAreNot() throws Exception {
    byte[] v6 = java.net.InetAddress.getByName("fd10:204:15::2").getAddress();
    byte[] other6 = v6.clone();
    other6[15] = 3;
    Payload p6 = p64.withAddressMode(Payload.ADDRESS_IPV4).withAddress6(v6);
    Payload same = p64.withAddressMode(Payload.ADDRESS_IPV4).withAddress6(v6.clone());
    assertThat(p6).isEqualTo(same).hasSameHashCodeAs(same);
    Payload other = p64.withAddressMode(Payload.ADDRESS_IPV4).withAddress6(other6);
    assertThat(p6).isNotEqualTo(other);
    assertThat(p6.hashCode()).isNotEqualTo(other.hashCode());
    assertThat(p6).isNotEqualTo(p64).isNotEqualTo("not a payload");
    // modes 0 and 1 differ in one field only
    Payload mode0 = p64.withAddressMode(Payload.ADDRESS_IPV4);
    assertThat(mode0).isNotEqualTo(p64);
    assertThat(mode0.hashCode()).isNotEqualTo(p64.hashCode());
  }

  @Test
  void toStringShowsTheIpv6AddressAndTheRandomPort() throws Exception {
    byte[] v6 = java.net.InetAddress.getByName("fd10:204:15::2").getAddress();
    Payload p6 = p64.withAddressMode(Payload.ADDRESS_IPV4).withAddress6(v6);
    assertThat(p6.toString()).isEqualTo("Payload[OPEN TCP 22 PT5M address=0 mode=2"
        + " address6=fd100204001500000000000000000002 t=1795084480 nonce=10597059 v2]");
    Payload random = new Payload(Verb.OPEN, Protocol.UDP, 53, Duration.ZERO, 0, 7, 8, 2, true);
    assertThat(random.toString())
        .isEqualTo("Payload[OPEN UDP 53 PT0S address=0 mode=0 t=7 nonce=8 v2 random]");
  }
}
