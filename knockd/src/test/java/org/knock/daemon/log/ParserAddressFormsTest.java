package org.knock.daemon.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The parser's IPv4 fast path (LoggedPacket.ipv4, no address objects) gives the packet the old
 * path (AddressLiterals.parse, the mapped check, the InetAddress constructor) gives, or refuses
 * the line as it did, for every pair of address forms, from a String and from bytes.
 */
class ParserAddressFormsTest {
  static final String[] FORMS = {"1.2.3.4", "01.2.3.4", "1.2.3.04", "1.2.3.4.", "1.2.3", "0.0.0.0",
      "255.255.255.255", "256.1.1.1", "::ffff:1.2.3.4", "::1.2.3.4", "1:2::3", "1.2.3.4:5",
      "1..2.3", "::ffff:0102:0304", "0000:0000:0000:0000:0000:ffff:0102:0304", "1.2.3.4x", "",
      "fe80::1", "128.0.0.1", "1.2.3.255"};

  @Test
  void everyFormAsBefore() throws Exception {
    for (String src : FORMS) {
      for (String dst : FORMS) {
        String line = "KNLOG: IN=vs OUT= MAC=00 SRC=" + src + " DST=" + dst
            + " LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=4000 DPT=5000 WINDOW=1"
            + " RES=0x00 SYN URGP=0";
        byte[] sb = src.getBytes(StandardCharsets.US_ASCII);
        byte[] db = dst.getBytes(StandardCharsets.US_ASCII);
        InetAddress s = AddressLiterals.parse(sb, 0, sb.length);
        InetAddress d = AddressLiterals.parse(db, 0, db.length);
        boolean ok = s != null && d != null
            && !(s instanceof java.net.Inet4Address && src.contains(":"))
            && !(d instanceof java.net.Inet4Address && dst.contains(":"));
        for (int way = 0; way < 2; way++) {
          List<LoggedPacket> got = new ArrayList<>();
          NetfilterLogParser p = new NetfilterLogParser("KNLOG:");
          NetfilterLogParser.Result r;
          if (way == 0) {
            r = p.parse(line, got::add);
          } else {
            byte[] b = line.getBytes(StandardCharsets.US_ASCII);
            r = p.parse(b, 0, b.length, got::add);
          }
          assertEquals(ok, r == NetfilterLogParser.Result.PACKET, line + " " + p.lastProblem());
          if (ok) {
            LoggedPacket want =
                new LoggedPacket("KNLOG:", s, d, Transport.TCP, 4000, 5000, true, false);
            assertEquals(want, got.get(0), line);
            assertEquals(want.isIpv4(), got.get(0).isIpv4(), line);
            if (want.isIpv4()) {
              assertEquals(want.sourceV4(), got.get(0).sourceV4(), line);
              assertEquals(want.destinationV4(), got.get(0).destinationV4(), line);
            }
          }
        }
      }
    }
  }
}
