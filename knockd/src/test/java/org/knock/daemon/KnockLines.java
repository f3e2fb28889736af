package org.knock.daemon;

import java.time.Instant;
import java.util.SplittableRandom;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockEncoder;
import org.knock.core.KnockKey;
import org.knock.core.ServerBinding;

/** The kernel's kern.log lines (prefix KNOCK:) of knocks from 10.99.0.2, for daemon tests. */
public final class KnockLines {
  private final KnockKey key;
  private final DecoderSettings settings;
  private int sport = 41000;
  private long seed = 1;

  public KnockLines(KnockKey key, DecoderSettings settings) {
    this.key = key;
    this.settings = settings;
  }

  /** One logged SYN to {@code port}. */
  public String syn(int port) {
    return "Nov 22 08:08:53 vm kernel: [ 1769.840635] KNOCK: IN=vs OUT= "
        + "MAC=62:72:c3:cb:d2:e6:de:e2:d6:98:06:20:08:00 SRC=10.99.0.2 DST=10.99.0.1 "
        + "LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1686 DF PROTO=TCP SPT=" + sport++
        + " DPT=" + port + " WINDOW=64240 RES=0x00 SYN URGP=0 ";
  }

  /** The lines of a knock stamped now, each ending in a newline. */
  public String knock(String command) throws Exception {
    int[] ports = new KnockEncoder(key, settings.suite(), settings.mapping(), settings.basePort(),
        ServerBinding.of(new byte[] {10, 99, 0, 1})) // bound to DST
        .encode(Command.parse(command), 0, Instant.now(), new SplittableRandom(seed++));
    StringBuilder b = new StringBuilder();
    for (int p : ports) {
      b.append(syn(p)).append('\n');
    }
    return b.toString();
  }
}
