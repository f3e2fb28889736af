package org.knock.daemon.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The netlink messages byte for byte, against vectors computed by hand from the kernel's
 * structures (linux/netlink.h, netfilter/nfnetlink.h, netfilter/nf_tables.h) for a little-endian
 * host. Cross-checked with {@code nft --debug=mnl "add element inet t granted { 10.9.8.7 . tcp .
 * 22 timeout 30m }"} (nftables 1.0.6): the same batch header (res_id 0x000a), table and set
 * attributes, key 0a090807 06000000 00160000 and timeout 00000000001b7740; nft also sends
 * NFTA_SET_ELEM_LIST_SET_ID and puts the timeout before the key (the kernel needs neither).
 */
class NftMessagesTest {
  private static final byte[] KEY = HexFormat.of().parseHex("0a090807" + "06000000" + "00160000");
  private static final String BEGIN = "14000000" + "1000" + "0100" + "%s" + "00000000" + "0000000a";
  private static final String END = "14000000" + "1100" + "0100" + "%s" + "00000000" + "0000000a";
  /** NEWSETELEM (0x0a0c), REQUEST|ACK|CREATE, inet, table "t", set "s", the key, no timeout. */
  private static final String ADD = "40000000" + "0c0a" + "0504" + "%s" + "00000000" + "01000000"
      + "06000100" + "74000000" + "06000200" + "73000000"
      + "1c000380" + "18000180" + "14000180" + "10000100" + "0a090807" + "06000000" + "00160000";
  /** DELSETELEM (0x0a0e), REQUEST|ACK. */
  private static final String DEL = ADD.replace("40000000" + "0c0a" + "0504",
      "40000000" + "0e0a" + "0500");
  /** NEWSETELEM with NFTA_SET_ELEM_TIMEOUT 1800000 ms (30m), big-endian, after the key. */
  private static final String ADD_TIMEOUT = "4c000000" + "0c0a" + "0504" + "%s" + "00000000"
      + "01000000" + "06000100" + "74000000" + "06000200" + "73000000"
      + "28000380" + "24000180" + "14000180" + "10000100" + "0a090807" + "06000000" + "00160000"
      + "0c000400" + "00000000001b7740";

  @BeforeEach
  void littleEndian() {
    assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors for x86/arm64");
  }

  private static String seq(int n) {
    return String.format("%02x000000", n);
  }

  @Test
  void grantIsAddDeleteAddWithTheTimeoutInOneBatch() {
    NftMessages.Request r = NftMessages.grant("t", "s", KEY, 1_800_000, 100);
    assertThat(HexFormat.of().formatHex(r.bytes())).isEqualTo(String.format(BEGIN, seq(100))
        + String.format(ADD, seq(101)) + String.format(DEL, seq(102))
        + String.format(ADD_TIMEOUT, seq(103)) + String.format(END, seq(104)));
    assertThat(r.firstAck()).isEqualTo(101);
    assertThat(r.acks()).isEqualTo(3);
  }

  @Test
  void revokeIsAddThenDelete() {
    NftMessages.Request r = NftMessages.revoke("t", "s", KEY, 7);
    assertThat(HexFormat.of().formatHex(r.bytes())).isEqualTo(String.format(BEGIN, seq(7))
        + String.format(ADD, seq(8)) + String.format(DEL, seq(9)) + String.format(END, seq(10)));
    assertThat(r.firstAck()).isEqualTo(8);
    assertThat(r.acks()).isEqualTo(2);
  }

  @Test
  void getGenAsksForOneAck() {
    NftMessages.Request r = NftMessages.getGen(5);
    // NFT_MSG_GETGEN 0x0a10, REQUEST|ACK, nfgenmsg family 0, res_id 0
    assertThat(HexFormat.of().formatHex(r.bytes()))
        .isEqualTo("14000000" + "100a" + "0500" + "05000000" + "00000000" + "00000000");
    assertThat(r.firstAck()).isEqualTo(5);
    assertThat(r.acks()).isEqualTo(1);
  }

  @Test
  void anIpv6KeyAndLongNamesArePaddedToFourBytes() {
    byte[] key6 = new byte[24];
    NftMessages.Request r = NftMessages.grant("knockd", "granted6", key6, 1000, 1);
    ByteBuffer b = ByteBuffer.wrap(r.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    int first = 20; // after BATCH_BEGIN
    // header 20, "knockd\0" 4+7 -> 12, "granted6\0" 4+9 -> 16, list 4+4+4+4+24
    assertThat(b.getInt(first)).isEqualTo(20 + 12 + 16 + 40);
    assertThat(r.bytes().length % 4).isZero();
  }

  private static ByteBuffer acks(int[][] seqAndError) {
    ByteBuffer b = ByteBuffer.allocate(64 * seqAndError.length).order(ByteOrder.nativeOrder());
    for (int[] a : seqAndError) {
      b.putInt(36).putShort((short) 2).putShort((short) 0).putInt(a[0]).putInt(0).putInt(a[1]);
      b.putInt(20).putShort((short) 0).putShort((short) 0).putInt(a[0]).putInt(0); // echoed header
    }
    return b;
  }

  @Test
  void acksOfTheRequestAreCountedOthersSkipped() {
    NftMessages.Request r = new NftMessages.Request(new byte[0], 10, 3);
    ByteBuffer b = acks(new int[][] {{9, -2}, {10, 0}, {11, 0}, {13, -1}, {12, 0}});
    int[] n = {0};
    assertThat(NftMessages.acks(b, b.position(), r, n)).isZero();
    assertThat(n[0]).isEqualTo(3);
  }

  @Test
  void theFirstErrorOfTheRequestIsReturned() {
    NftMessages.Request r = new NftMessages.Request(new byte[0], 10, 3);
    ByteBuffer b = acks(new int[][] {{10, 0}, {11, -2}, {12, -16}});
    int[] n = {0};
    assertThat(NftMessages.acks(b, b.position(), r, n)).isEqualTo(-2);
    assertThat(n[0]).isEqualTo(3);
  }

  @Test
  void sequenceNumbersWrapAround() {
    NftMessages.Request r = new NftMessages.Request(new byte[0], Integer.MAX_VALUE, 2);
    ByteBuffer b = acks(new int[][] {{Integer.MAX_VALUE, 0}, {Integer.MIN_VALUE, 0}});
    int[] n = {0};
    assertThat(NftMessages.acks(b, b.position(), r, n)).isZero();
    assertThat(n[0]).isEqualTo(2);
  }

  @Test
  void aTruncatedMessageIsRefused() {
    NftMessages.Request r = new NftMessages.Request(new byte[0], 10, 1);
    ByteBuffer b = acks(new int[][] {{10, 0}});
    assertThatThrownBy(() -> NftMessages.acks(b, 30, r, new int[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
  }
}
