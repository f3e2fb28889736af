package org.knock.daemon;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.FirewallType;
import org.knock.daemon.firewall.FirewallSettings;

/**
 * Whether knockd's own rules (table {@code inet knockd}, or chain {@code KNOCKD}) are already in
 * place, i.e. a knockd runs: then {@code --check --self-test} tests them and must not replace or
 * remove them.
 */
final class SelfTestRules {
  private SelfTestRules() {}

  static boolean present(Config config, List<String> commandPrefix) {
    String name = FirewallSettings.DEFAULT_NAME;
    List<String> cmd = new ArrayList<>(commandPrefix);
    FirewallType f = config.options().firewall();
    if (f == FirewallType.NFTABLES && config.options().nftSet() == null) {
      cmd.addAll(List.of("nft", "list", "table", "inet", name));
    } else if (f == FirewallType.IPTABLES) {
      cmd.addAll(List.of("iptables", "-w", "-S", name.toUpperCase(java.util.Locale.ROOT)));
    } else {
      return false;
    }
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
