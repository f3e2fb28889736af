package org.knock.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.knock.daemon.audit.Audit;
import org.knock.daemon.audit.Log4jAudit;
import org.knock.daemon.audit.Logging;
import org.knock.daemon.config.Config;
import org.knock.daemon.firewall.Firewall;
import org.knock.daemon.firewall.FirewallException;

/**
 * {@code knockd --remove-rules --config FILE}: deliberately removes what knockd leaves in the
 * kernel when it stops (its nftables table or iptables chain, with the Protect drop and the knock
 * LOG rules), and audits it: {@code event=rules-remove-requested} before, {@code
 * event=rules-removed by=remove-rules} after. Nothing is removed unless the request could be
 * written to the audit log. One line of output either way.
 */
final class RuleRemoval {
  private RuleRemoval() {}

  /** @return 0 when removed (or nothing was there), 1 otherwise */
  static int run(Config config, List<String> commandPrefix, PrintStream out, PrintStream err) {
    try {
      Logging.configure(config.options(), Level.WARN);
    } catch (IOException e) {
      err.println("knockd: " + e.getMessage() + " (nothing removed: removals are audited)");
      return 1;
    }
    Audit audit = new Log4jAudit(Clock.systemUTC());
    Firewall firewall;
    try {
      firewall = Wiring.firewall(config, commandPrefix, Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      err.println("knockd: " + e.getMessage());
      return 1;
    }
    try {
      return remove(config.options().firewall().word(), firewall, audit, out, err);
    } finally {
      firewall.close();
    }
  }

  /**
   * Removes {@code firewall}'s rules once the request is on record ({@code
   * rules-remove-requested}): an audit log that cannot be written removes nothing. Then
   * {@code rules-removed}, or {@code firewall-error} if the removal failed.
   */
  static int remove(String kind, Firewall firewall, Audit audit, PrintStream out,
      PrintStream err) {
    if (!audit.rulesRemoveRequested(kind, "remove-rules")) {
      err.println("knockd: the audit log cannot be written: nothing removed (removals are "
          + "audited)");
      return 1;
    }
    try {
      String removed = firewall.remove();
      audit.rulesRemoved(kind, removed, "remove-rules");
      out.println("knockd: removed " + removed);
      return 0;
    } catch (FirewallException e) {
      audit.firewallError("remove-rules", e.getMessage(), false);
      err.println("knockd: " + e.getMessage());
      return 1;
    }
  }
}
