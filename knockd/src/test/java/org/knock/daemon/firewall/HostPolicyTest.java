package org.knock.daemon.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostPolicyTest {
  @Test
  void nftInputChainWithPolicyDropInAnyTable() {
    String ruleset = """
        table inet knockd {
        	chain input {
        		type filter hook input priority filter - 1; policy accept;
        	}
        }
        table ip filter {
        	chain INPUT {
        		type filter hook input priority filter; policy drop;
        		ct state established,related accept
        	}
        }
        """;
    assertThat(HostPolicy.nftDropsInput(ruleset)).isTrue();
  }

  @Test
  void nftDropOnOtherHooksOrAsARuleDoesNotCount() {
    String ruleset = """
        table inet filter {
        	chain input {
        		type filter hook input priority filter; policy accept;
        		tcp dport 23 drop
        	}
        	chain forward {
        		type filter hook forward priority filter; policy drop;
        	}
        	chain regular {
        		comment "hook input; policy drop;"
        	}
        }
        """;
    assertThat(HostPolicy.nftDropsInput(ruleset)).isFalse();
    assertThat(HostPolicy.nftDropsInput("")).isFalse();
  }

  @Test
  void iptablesInputPolicy() {
    assertThat(HostPolicy.iptablesDropsInput("-P INPUT DROP\n-P FORWARD ACCEPT\n")).isTrue();
    assertThat(HostPolicy.iptablesDropsInput("-P INPUT ACCEPT\n-P FORWARD DROP\n"
        + "-A INPUT -j DROP\n")).isFalse();
  }

  @Test
  void autoResolvesByThePolicyOthersStay() {
    assertThat(KnockReply.AUTO.resolve(true)).isEqualTo(KnockReply.DROP);
    assertThat(KnockReply.AUTO.resolve(false)).isEqualTo(KnockReply.RESET);
    assertThat(KnockReply.RESET.resolve(true)).isEqualTo(KnockReply.RESET);
    assertThat(KnockReply.DROP.resolve(false)).isEqualTo(KnockReply.DROP);
  }
}
