package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class LoggedPacketTest {
  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal); // literals only: no lookup
  }

  @Test
  void anIpv4PacketMadeFromIntsIsTheSameAsOneMadeFromAddresses() throws Exception {
    LoggedPacket ints = LoggedPacket.ipv4("KNLOG:", 0xC0A80A02, 0x0A000001, Transport.TCP, 40000,
        22, true, false);
    LoggedPacket objects = new LoggedPacket("KNLOG:", ip("192.168.10.2"), ip("10.0.0.1"),
        Transport.TCP, 40000, 22, true, false);
    assertThat(ints).isEqualTo(objects).hasSameHashCodeAs(objects).hasToString(objects.toString());
    assertThat(objects).isEqualTo(ints);
    assertThat(ints.source()).isEqualTo(ip("192.168.10.2")).isSameAs(ints.source());
    assertThat(ints.destination()).isEqualTo(ip("10.0.0.1"));
    for (LoggedPacket p : new LoggedPacket[] {ints, objects}) {
      assertThat(p.isIpv4()).isTrue();
      assertThat(p.sourceV4()).isEqualTo(0xC0A80A02);
      assertThat(p.destinationV4()).isEqualTo(0x0A000001);
      assertThat(p.isInitialSyn()).isTrue();
    }
    assertThat(ints).isNotEqualTo(LoggedPacket.ipv4("KNLOG:", 0xC0A80A02, 0x0A000001,
        Transport.TCP, 40000, 23, true, false));
  }

  @Test
  void anIpv6PacketHasNoIpv4Ints() throws Exception {
    LoggedPacket p = new LoggedPacket("", ip("2001:db8::1"), ip("2001:db8::2"), Transport.UDP, 5,
        6, false, false);
    assertThat(p.isIpv4()).isFalse();
    assertThat(p.destinationV4()).isZero();
    assertThatThrownBy(p::sourceV4).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("2001:db8:0:0:0:0:0:1");
  }

  @Test
  void portsOutsideTheirRangeAreRefusedEitherWay() {
    assertThatThrownBy(() -> LoggedPacket.ipv4("", 1, 2, Transport.TCP, 0, 22, true, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LoggedPacket("", null, null, Transport.TCP, 1, 22, true, false))
        .isInstanceOf(NullPointerException.class);
  }
}
