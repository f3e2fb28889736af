package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NftSetRefTest {
  @Test
  void parsesFamilyTableAndSet() {
    assertThat(NftSetRef.parse("  inet filter   knock_granted "))
        .isEqualTo(new NftSetRef("inet", "filter", "knock_granted"));
    assertThat(NftSetRef.parse("ip fw g").toString()).isEqualTo("ip fw g");
  }

  @Test
  void refusesWhatCouldNotBeWrittenIntoAScript() {
    assertThatThrownBy(() -> NftSetRef.parse("inet filter"))
        .hasMessage("bad nft set 'inet filter': use FAMILY TABLE SET, e.g. inet filter "
            + "knock_granted");
    assertThatThrownBy(() -> NftSetRef.parse("ip6 filter s"))
        .hasMessage("bad nft set family 'ip6': use inet or ip");
    assertThatThrownBy(() -> NftSetRef.parse("inet filter s;flush"))
        .hasMessage("bad nft set 'filter s;flush': names are a letter then letters, digits or _");
    assertThatThrownBy(() -> NftSetRef.parse("inet {filter} s"))
        .hasMessageStartingWith("bad nft set '{filter} s'");
  }
}
