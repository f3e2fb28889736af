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
}
