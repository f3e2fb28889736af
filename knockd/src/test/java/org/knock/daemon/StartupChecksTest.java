package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.KnockKey;
import org.knock.daemon.config.Config;
import org.knock.daemon.config.ConfigLines;
import org.knock.daemon.config.ConfigLoader;

/**
 * Issue 12: {@code knockd --check} runs the checks start-up runs — AllowRoot against the
 * effective uid, writable AuditLog and StateDir, executable programs for OpenCommand,
 * CloseCommand, actions and door commands — each problem one {@code file:line:} line.
 */
class StartupChecksTest {
  @TempDir Path dir;

  private Path write(String options, String rest) throws Exception {
    Path key = dir.resolve("alice.key");
    if (!Files.exists(key)) {
      Files.writeString(key, KnockKey.generate(new SplittableRandom(3)).toBase64() + "\n");
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, "[options]\n"                      // line 1
        + "FirewallLog = -\n"                                  // 2
        + "StateDir = " + dir.resolve("state") + "\n"          // 3
        + options
        + "[user alice]\nKey = alice.key\nAllow = open 22/tcp\n" + rest);
    return conf;
  }

  private StartupChecks checks(Path conf, long euid) throws Exception {
    Config c = ConfigLoader.load(conf);
    return new StartupChecks(c, ConfigLines.read(conf), euid, "/usr/bin:/bin");
  }

  @Test
  void forwardsWithoutIpForwardingDrawOneLineAndCheckListsThem() throws Exception {
    Path conf = write("AuditLog = -\nFirewall = none\n",
        "[forward db]\nTo = 10.1.0.5:5432\nPort = 8443\nMasquerade = yes\n");
    Files.writeString(conf, Files.readString(conf).replace("Allow = open 22/tcp",
        "Allow = open 22/tcp, open db"));
    StartupChecks c = checks(conf, 1000);
    assertThat(c.forwardWarnings("0")).containsExactly(conf + ":9: [forward db]: "
        + "net.ipv4.ip_forward is 0, so forwards reach nothing: turn it on (sysctl -w "
        + "net.ipv4.ip_forward=1, and in /etc/sysctl.d/ to keep it); knockd does not");
    assertThat(c.forwardWarnings("1")).isEmpty();
    assertThat(c.forwardWarnings(null)).isEmpty();
    String report = org.knock.daemon.config.ConfigReport.render(ConfigLoader.load(conf));
    assertThat(report).contains("[forward db]\n# db: 8443/tcp -> 10.1.0.5:5432, masquerade; "
        + "open db travels as port 34242\n", "Allow              = open 22/tcp, open db\n",
        "To                 = 10.1.0.5:5432/tcp\n", "Port               = 8443\n");
    assertThat(checks(write("AuditLog = -\nFirewall = none\n", ""), 1000).forwardWarnings("0"))
        .as("no forwards, no warning").isEmpty();
  }

  @Test
  void allowRootIsCheckedAgainstTheEffectiveUid() throws Exception {
    Path conf = write("AuditLog = -\nFirewall = none\n", "");
    assertThat(checks(conf, 0).all()).containsExactly(conf + ":1: AllowRoot = no, and knockd "
        + "would run as root (effective uid 0): run it as a dedicated user with CAP_NET_ADMIN "
        + "(see etc/knockd.service), or set AllowRoot = yes");
    assertThat(checks(conf, 1000).all()).isEmpty();
    Path given = write("AuditLog = -\nFirewall = none\nAllowRoot = no\n", "");
    assertThat(checks(given, 0).allowRoot()).singleElement().asString()
        .startsWith(given + ":6: AllowRoot = no, and knockd would run as root");
    assertThat(checks(write("AuditLog = -\nFirewall = none\nAllowRoot = yes\n", ""), 0).all())
        .isEmpty();
  }

  @Test
  void theEffectiveUidIsNotTheUserNameProperty() throws Exception {
    String before = System.getProperty("user.name");
    try {
      System.setProperty("user.name", "someone-else");
      long euid = StartupChecks.effectiveUid();
      String id = new String(new ProcessBuilder("id", "-u").start().getInputStream()
          .readAllBytes(), StandardCharsets.US_ASCII).strip();
      assertThat(euid).isEqualTo(Long.parseLong(id));
    } finally {
      System.setProperty("user.name", before);
    }
  }

  @Test
  void anAuditLogOrStateDirThatCannotBeWrittenIsOneLineEach() throws Exception {
    Files.writeString(dir.resolve("state"), "a file, not a directory\n");
    Files.createDirectories(dir.resolve("audit.log"));
    Path conf = write("AuditLog = " + dir.resolve("audit.log") + "\nFirewall = none\n", "");
    assertThat(checks(conf, 1000).all()).containsExactly(
        conf + ":4: AuditLog: cannot write " + dir.resolve("audit.log") + ": not a regular file",
        conf + ":3: StateDir: cannot write " + dir.resolve("state") + ": " + dir.resolve("state")
            + " is not a directory");

    Path under = write("AuditLog = " + dir.resolve("state/logs/audit.log")
        + "\nFirewall = none\n", "");
    assertThat(checks(under, 1000).files()).first().isEqualTo(under + ":4: AuditLog: cannot "
        + "write " + dir.resolve("state/logs/audit.log") + ": " + dir.resolve("state")
        + " is not a directory");
  }

  @Test
  void writableOrCreatablePathsPassAndNothingIsCreated() throws Exception {
    Path conf = write("AuditLog = " + dir.resolve("logs/audit.log") + "\nFirewall = none\n", "");
    assertThat(checks(conf, 1000).all()).isEmpty();
    assertThat(dir.resolve("logs")).doesNotExist();
    assertThat(dir.resolve("state")).doesNotExist();
  }

  @Test
  void programsThatCannotRunAreNamedWithTheirLine() throws Exception {
    Path notExec = dir.resolve("backup.sh");
    Files.writeString(notExec, "#!/bin/sh\n");
    Files.setPosixFilePermissions(notExec, PosixFilePermissions.fromString("rw-r--r--"));
    Path conf = write("AuditLog = -\n"                                        // 4
        + "Firewall = command\n"                                              // 5
        + "OpenCommand = /usr/sbin/knock-no-such-ipset add %IP%\n"            // 6
        + "CloseCommand = /bin/true %IP%\n",                                  // 7
        "[action backup]\n"                                                   // 11
            + "Command = " + notExec + " %IP%\n"                              // 12
            + "[ssh]\n"                                                       // 13
            + "Sequence = 7000,8000,9000\n"                                   // 14
            + "Start_Command = knock-no-such-tool -s %IP%\n"                  // 15
            + "Stop_Command = echo closed for %IP% > /dev/null\n"             // 16
            + "[web]\n"                                                       // 17
            + "Sequence = 7001,8001\n"                                        // 18
            + "Command = /usr/bin/true %IP%\n"                                // 19
            + "Stop_Command = X=1 /nowhere/tool\n");                          // 20
    assertThat(checks(conf, 1000).all()).containsExactly(
        conf + ":6: OpenCommand: /usr/sbin/knock-no-such-ipset: no such program",
        conf + ":12: [action backup] Command: " + notExec + ": not an executable file");
    // a door's command runs only when the door opens (as in knockd 0.8): a warning, not an error
    assertThat(checks(conf, 1000).doorWarnings()).containsExactly(
        conf + ":15: door [ssh] Start_Command: knock-no-such-tool: not found in PATH "
            + "(/usr/bin:/bin) (the door fails when it opens)");
  }

  @Test
  void checkPrintsEveryProblemAndExitsOne() throws Exception {
    Files.writeString(dir.resolve("state"), "a file\n");
    Path conf = write("AuditLog = -\nAllowRoot = yes\nFirewall = command\n"
        + "OpenCommand = /usr/sbin/knock-no-such-ipset add %IP%\n"
        + "CloseCommand = /usr/sbin/knock-no-such-ipset del %IP%\n", "");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(new String[] {"--check", "--config", conf.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
        conf + ":3: StateDir: cannot write " + dir.resolve("state") + ": " + dir.resolve("state")
            + " is not a directory\n"
            + conf + ":7: OpenCommand: /usr/sbin/knock-no-such-ipset: no such program\n"
            + conf + ":8: CloseCommand: /usr/sbin/knock-no-such-ipset: no such program\n");
  }
}
