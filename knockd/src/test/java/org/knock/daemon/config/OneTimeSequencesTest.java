package org.knock.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Protocol;
import org.knock.daemon.firewall.PortSpec;

class OneTimeSequencesTest {
  @TempDir Path dir;

  @Test
  void theUsedLineIsDisabledKnockdStyle() throws Exception {
    Path f = dir.resolve("ots");
    Files.writeString(f, "#2001,2002\n2001,2002\n3001, 3002:udp\n");
    List<PortSpec> seq = List.of(new PortSpec(3001, Protocol.TCP), new PortSpec(3002, Protocol.UDP));
    assertThat(OneTimeSequences.markUsed(f, seq)).isTrue();
    assertThat(Files.readString(f)).isEqualTo("#2001,2002\n2001,2002\n#3001, 3002:udp\n");
    assertThat(OneTimeSequences.markUsed(f, seq)).isFalse();
  }
}
