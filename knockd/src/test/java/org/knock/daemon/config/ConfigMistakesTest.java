package org.knock.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knock.core.Payload;

/** One test per config mistake, each with its exact {@code file:line: message}. */
class ConfigMistakesTest {
  private static final Path FILE = Path.of("knockd.conf");
  private static final String USER = "[user alice]\nKey = /k/alice.key\nAllow = open 22/tcp\n";

  private final FakeFiles files = new FakeFiles().key("/k/alice.key").key("/k/bob.key");

  private Config parse(String text) throws ConfigException {
    return ConfigParser.parse(FILE, text, 0600, files);
  }

  /** Parses the options text (lines 1..) followed by a valid user, expecting one problem. */
  private void assertOptionsProblem(String options, String expected) {
    assertProblem("[options]\n" + options + "\n" + USER, expected);
  }

  private void assertProblem(String text, String expected) {
    assertThatThrownBy(() -> parse(text))
        .isInstanceOf(ConfigException.class)
        .hasMessage(expected);
  }

  /** Found by ConfigParserFuzzTest (seed crash-5e4726d1...): a bare CR split the message. */
  @Test
  void controlCharactersQuotedFromTheFileAreEscapedSoAProblemStaysOneLine() {
    assertProblem("[user alice]\r\nKey = /k/alice.key\r\nAllow = open 22\r\n"
        + "Max\rX\u001b[2J = 1h\r\n",
        "knockd.conf:4: bad key 'Max\\u000dX\\u001b[2J': use letters, digits and '_'");
  }

  @Test
  void unknownOptionKeyWithHint() {
    assertOptionsProblem("Ciper = twofish",
        "knockd.conf:2: unknown key 'Ciper' in [options]; did you mean Cipher?");
  }

  @Test
  void unknownOptionKeyWithoutHint() {
    assertOptionsProblem("Colour = red", "knockd.conf:2: unknown key 'Colour' in [options]");
  }

  @Test
  void knockdOnlyKeyOutsideItsSectionIsExplained() {
    assertProblem(USER + "LogFile = /var/log/knockd.log\n", "knockd.conf:4: LogFile is a knockd "
        + "setting knock does not use: knock writes its own audit log: use AuditLog");
  }

  @Test
  void badPortInProtect() {
    assertOptionsProblem("Protect = 22/tcp, 99999",
        "knockd.conf:2: Protect: port 99999 is out of range 1-65535");
  }

  @Test
  void badProtocolInProtect() {
    assertOptionsProblem("Protect = 22/sctp",
        "knockd.conf:2: Protect: bad protocol in '22/sctp': use /tcp or /udp");
  }

  @Test
  void portListedTwice() {
    assertOptionsProblem("Protect = 22, 22/tcp", "knockd.conf:2: Protect: 22/tcp is listed twice");
  }

  @Test
  void protectedPortInsideKnockRange() {
    assertOptionsProblem("Protect = 22, 21000",
        "knockd.conf:2: Protect: 21000/tcp lies inside KnockPorts 20000-25119: knocks go to "
            + "closed ports only");
  }

  @Test
  void randomPortsOverlappingKnockPortsOrProtect() {
    assertOptionsProblem("RandomPorts = 25000-30000",
        "knockd.conf:2: RandomPorts: 25000-30000 overlaps KnockPorts 20000-25119: use ports "
            + "outside the knock range");
    assertOptionsProblem("RandomPorts = 40000-49999\nProtect = 22, 44444/udp",
        "knockd.conf:2: RandomPorts: 40000-49999 holds the protected port 44444/udp: use ports "
            + "outside Protect");
    assertOptionsProblem("RandomPorts = 40000",
        "knockd.conf:2: RandomPorts: use START-END, e.g. 20000-25119, not '40000'");
  }

  @Test
  void kmsgPollMistakes() {
    String use = "use off or a time in ms from 0.1ms to 100ms, e.g. 1ms, not ";
    assertOptionsProblem("KmsgPoll = 1", "knockd.conf:2: KmsgPoll: " + use + "'1'");
    assertOptionsProblem("KmsgPoll = 1s", "knockd.conf:2: KmsgPoll: " + use + "'1s'");
    assertOptionsProblem("KmsgPoll = 0.05ms", "knockd.conf:2: KmsgPoll: " + use + "'0.05ms'");
    assertOptionsProblem("KmsgPoll = 101ms", "knockd.conf:2: KmsgPoll: " + use + "'101ms'");
    assertOptionsProblem("KmsgPoll = -1ms", "knockd.conf:2: KmsgPoll: " + use + "'-1ms'");
    assertOptionsProblem("FirewallLog = /var/log/kern.log\nKmsgPoll = 1ms",
        "knockd.conf:3: KmsgPoll is only used with FirewallLog = kmsg");
  }

  @Test
  void kmsgPollIsOffByDefaultAndReadInMilliseconds() throws Exception {
    assertThat(parse(USER).options().kmsgPoll()).isNull();
    assertThat(parse("[options]\nKmsgPoll = off\n" + USER).options().kmsgPoll()).isNull();
    assertThat(parse("[options]\nFirewallLog = kmsg\nKmsgPoll = 0.5ms\n" + USER).options()
        .kmsgPoll()).isEqualTo(java.time.Duration.ofNanos(500_000));
    Config c = parse("[options]\nKmsgPoll = 1MS\n" + USER);
    assertThat(c.options().kmsgPoll()).isEqualTo(java.time.Duration.ofMillis(1));
    assertThat(ConfigReport.render(c)).containsPattern("\nKmsgPoll +\\= 1ms\n");
  }

  @Test
  void forwardMistakesAreOneLineEach() {
    String user = "[user alice]\nKey = /k/alice.key\nAllow = open db\n";
    assertProblem(user + "[forward db]\nTo = 10.0.0.5\nPort = 8443\n",
        "knockd.conf:5: To: use ADDR:PORT[/tcp|/udp], e.g. 10.0.0.5:5432, not '10.0.0.5'");
    assertProblem(user + "[forward db]\nTo = 10.0.0.5:5432\n",
        "knockd.conf:4: forward db has no Port: add Port = EXTERNAL or random");
    assertProblem(user + "[forward db]\nTo = 10.0.0.5:5432\nPort = 21000\n",
        "knockd.conf:6: Port: 21000 lies inside KnockPorts 20000-25119: use another port");
    assertProblem(user + "[forward db]\nTo = 10.0.0.5:5432\nPort = random\n",
        "knockd.conf:6: Port = random needs [options] RandomPorts");
    assertProblem(user + "[forward db]\nTo = 10.0.0.5:5432\nPort = 8443\n"
            + "[forward web]\nTo = 10.0.0.6:80\nPort = 8443\n",
        "knockd.conf:9: Port: 8443/tcp is forward db's too (line 4)");
    assertProblem("[user alice]\nKey = /k/alice.key\nAllow = open web\n",
        "knockd.conf:3: Allow: open web: there is no [forward web] section");
    assertProblem("[user alice]\nKey = /k/alice.key\nAllow = open db, open 34242\n"
            + "[forward db]\nTo = 10.0.0.5:5432\nPort = 8443\n",
        "knockd.conf:4: forward db travels as port 34242, which user alice may open as well: "
            + "rename the forward");
  }

  @Test
  void badDuration() {
    assertOptionsProblem("TimeWindow = 2x",
        "knockd.conf:2: TimeWindow: bad duration '2x': use a number followed by s, m, h or d");
  }

  @Test
  void zeroDuration() {
    assertOptionsProblem("SequenceTimeout = 0",
        "knockd.conf:2: SequenceTimeout: bad duration '0': it must be longer than zero");
  }

  @Test
  void rangeBackwards() {
    assertOptionsProblem("KnockPorts = 25119-20000",
        "knockd.conf:2: KnockPorts: 25119-20000 ends before it starts");
  }

  @Test
  void rangeNotARange() {
    assertOptionsProblem("KnockPorts = 20000",
        "knockd.conf:2: KnockPorts: use START-END, e.g. 20000-25119, not '20000'");
  }

  @Test
  void rangeTooSmallForMapping() {
    assertOptionsProblem("KnockPorts = 20000-20255",
        "knockd.conf:2: KnockPorts: 20000-20255 has 256 ports; the indexed mapping needs at "
            + "least 5120 (e.g. 20000-25119)");
  }

  @Test
  void rangeTooSmallEvenWhenMappingComesLater() {
    assertOptionsProblem("KnockPorts = 62000-65535\nMapping = indexed",
        "knockd.conf:2: KnockPorts: 62000-65535 has 3536 ports; the indexed mapping needs at "
            + "least 5120");
  }

  @Test
  void unknownCipher() {
    assertOptionsProblem("Cipher = aes",
        "knockd.conf:2: Cipher: unknown cipher 'aes': use twofish or blowfish");
  }

  @Test
  void unknownFirewall() {
    assertOptionsProblem("Firewall = pf",
        "knockd.conf:2: Firewall: unknown firewall 'pf': use nftables, iptables, command or none");
  }

  @Test
  void unknownFirewallLog() {
    assertOptionsProblem("FirewallLog = syslog", "knockd.conf:2: FirewallLog: unknown source "
        + "'syslog': use a file path (with a '/'), kmsg, journal, nflog:GROUP, - (standard input) "
        + "or auto");
  }

  @Test
  void badNflogGroup() {
    assertOptionsProblem("FirewallLog = nflog:65536", "knockd.conf:2: FirewallLog: nflog:GROUP "
        + "needs a group 0-65535, not '65536'");
    assertOptionsProblem("FirewallLog = nflog:", "knockd.conf:2: FirewallLog: nflog:GROUP "
        + "needs a group 0-65535, not ''");
    assertOptionsProblem("FirewallLog = nflog:x5", "knockd.conf:2: FirewallLog: nflog:GROUP "
        + "needs a group 0-65535, not 'x5'");
  }

  @Test
  void logPrefixTooLong() {
    assertOptionsProblem("LogPrefix = \"THIS PREFIX IS FAR TOO LONG FOR IT\"",
        "knockd.conf:2: LogPrefix: at most 29 characters (iptables' limit), not 34");
  }

  @Test
  void logPrefixWithQuote() {
    assertOptionsProblem("LogPrefix = KNOCK'",
        "knockd.conf:2: LogPrefix: use printable ASCII without quotes or backslashes");
  }

  @Test
  void badYesNo() {
    assertOptionsProblem("UdpKnocks = maybe", "knockd.conf:2: UdpKnocks: use yes or no, not 'maybe'");
  }

  @Test
  void badCount() {
    assertOptionsProblem("MaxSources = 0",
        "knockd.conf:2: MaxSources: use a whole number from 1 to 16777216, not '0'");
  }

  @Test
  void countAboveItsMaxWithTenDigits() {
    assertOptionsProblem("MaxTagChecks = 1073741825",
        "knockd.conf:2: MaxTagChecks: use a whole number from 1 to 1073741824, not '1073741825'");
    assertOptionsProblem("MaxTagChecks = 99999999999",
        "knockd.conf:2: MaxTagChecks: use a whole number from 1 to 1073741824, not '99999999999'");
  }

  /** Found by bench/junk.sh: 1,000,000,000 (ten digits, below the max of 2^30) was refused. */
  @Test
  void tenDigitCountBelowItsMaxIsAccepted() throws ConfigException {
    assertThat(parse("[options]\nMaxTagChecks = 1000000000\n" + USER).options().maxTagChecks())
        .isEqualTo(1_000_000_000);
    assertThat(parse("[options]\nMaxTagChecks = 1073741824\n" + USER).options().maxTagChecks())
        .isEqualTo(1 << 30);
  }

  @Test
  void commandFirewallWithoutCommands() {
    assertOptionsProblem("Firewall = command",
        "knockd.conf:2: Firewall = command needs OpenCommand and CloseCommand");
  }

  @Test
  void openCommandWithoutCommandFirewall() {
    assertOptionsProblem("OpenCommand = /usr/local/bin/grant %IP%",
        "knockd.conf:2: OpenCommand is only used with Firewall = command");
  }

  @Test
  void commandProgramNotAbsolute() {
    assertOptionsProblem("Firewall = command\nOpenCommand = grant %IP%\n"
            + "CloseCommand = /usr/local/bin/revoke %IP%",
        "knockd.conf:3: OpenCommand: the program must be an absolute path, not 'grant'");
  }

  @Test
  void commandUnknownPlaceholder() {
    assertOptionsProblem("Firewall = command\nOpenCommand = /usr/local/bin/grant %HOST%\n"
            + "CloseCommand = /usr/local/bin/revoke %IP%",
        "knockd.conf:3: OpenCommand: unknown placeholder %HOST%: use %IP%, %PORT%, %PROTO%, "
            + "%SECONDS%");
  }

  @Test
  void nftSetWithIptables() {
    assertOptionsProblem("Firewall = iptables\nNftSet = inet filter knock_granted",
        "knockd.conf:3: NftSet is only used with Firewall = nftables");
  }

  @Test
  void unknownOnExit() {
    assertOptionsProblem("OnExit = delete",
        "knockd.conf:2: OnExit: unknown value 'delete': use keep or remove");
  }

  @Test
  void unknownKnockReply() {
    assertOptionsProblem("KnockReply = reject",
        "knockd.conf:2: KnockReply: unknown reply 'reject': use drop, reset or auto");
  }

  @Test
  void knockReplyWhereKnockdWritesNoRules() {
    assertOptionsProblem("NftSet = inet filter knock_granted\nKnockReply = reset",
        "knockd.conf:3: KnockReply is only used when knockd writes the rules itself "
            + "(Firewall = nftables without NftSet, or iptables)");
    assertOptionsProblem("Firewall = none\nKnockReply = drop",
        "knockd.conf:3: KnockReply is only used when knockd writes the rules itself "
            + "(Firewall = nftables without NftSet, or iptables)");
  }

  @Test
  void badNftSet() {
    assertOptionsProblem("NftSet = filter knock_granted",
        "knockd.conf:2: NftSet: use FAMILY TABLE SET, e.g. inet filter knock_granted");
  }

  @Test
  void optionsTwice() {
    assertProblem("[options]\n[options]\n" + USER,
        "knockd.conf:2: [options] is given twice (first on line 1)");
  }

  @Test
  void keyGivenTwiceInSection() {
    assertOptionsProblem("Cipher = twofish\ncipher = blowfish",
        "knockd.conf:3: cipher is given twice in [options] (first on line 2)");
  }

  @Test
  void valueOutsideSection() {
    assertProblem("Cipher = twofish\n" + USER, "knockd.conf:1: Cipher is outside any section: "
        + "put it under [options], [user NAME], [action NAME] or a door [NAME]");
  }

  @Test
  void lineWithoutEquals() {
    assertProblem(USER + "open 22\n", "knockd.conf:4: expected KEY = VALUE or [SECTION]");
  }

  @Test
  void emptyValue() {
    assertProblem("[options]\nCipher =\n" + USER, "knockd.conf:2: Cipher has no value");
  }

  @Test
  void unclosedHeader() {
    assertProblem("[options\n" + USER, "knockd.conf:1: section header must end with ']'");
  }

  @Test
  void nothingToDo() {
    assertProblem("[options]\n",
        "knockd.conf: no [user NAME] and no door: knockd would have nothing to do");
  }

  @Test
  void allowNamesMissingAction() {
    assertProblem("[user alice]\nKey = /k/alice.key\nAllow = open 22, run backup\n",
        "knockd.conf:3: Allow: run backup: there is no [action backup] section");
  }

  @Test
  void allowUnknownItem() {
    assertProblem("[user alice]\nKey = /k/alice.key\nAllow = opne 22\n", "knockd.conf:3: Allow: "
        + "cannot use 'opne 22': use open PORT[/PROTO], open *, open FORWARD, close, "
        + "deny-further or run ACTION");
  }

  @Test
  void closeTakesNoPort() {
    assertProblem("[user alice]\nKey = /k/alice.key\nAllow = open 22, close 22\n",
        "knockd.conf:3: Allow: cannot use 'close 22': use open PORT[/PROTO], open *, "
            + "open FORWARD, close, deny-further or run ACTION");
  }

  @Test
  void userWithoutAllow() {
    assertProblem("[user alice]\nKey = /k/alice.key\n",
        "knockd.conf:1: user alice may do nothing: add e.g. Allow = open 22/tcp");
  }

  @Test
  void userWithoutKey() {
    assertProblem("[user alice]\nAllow = open 22\n",
        "knockd.conf:1: user alice has no Key: add Key = FILE");
  }

  @Test
  void userWithoutName() {
    assertProblem("[user]\nKey = /k/alice.key\nAllow = open 22\n",
        "knockd.conf:1: [user] needs a name: [user NAME]");
  }

  @Test
  void badUserName() {
    assertProblem("[user al/ice]\nKey = /k/alice.key\nAllow = open 22\n",
        "knockd.conf:1: bad user name 'al/ice': use 1-64 letters, digits, '.', '_' or '-'");
  }

  @Test
  void keyAndPassphrase() {
    assertProblem("[user alice]\nKey = /k/alice.key\nPassphrase = correct horse battery\n"
        + "Allow = open 22\n", "knockd.conf:3: give Key or Passphrase, not both");
  }

  @Test
  void keyFileReadableByOthers() {
    files.put("/k/open.key", files.text("/k/alice.key"), 0644);
    assertProblem("[user alice]\nKey = /k/open.key\nAllow = open 22\n",
        "knockd.conf:2: key file /k/open.key is readable by others (mode 0644): chmod 600 "
            + "/k/open.key");
  }

  @Test
  void keyFileReadableByGroup() {
    files.put("/k/group.key", files.text("/k/alice.key"), 0640);
    assertProblem("[user alice]\nKey = /k/group.key\nAllow = open 22\n",
        "knockd.conf:2: key file /k/group.key is readable by its group (mode 0640): chmod 600 "
            + "/k/group.key");
  }

  @Test
  void missingKeyFile() {
    assertProblem("[user alice]\nKey = /k/nobody.key\nAllow = open 22\n",
        "knockd.conf:2: key file /k/nobody.key does not exist: make one with 'knock keygen' "
            + "(mode 600), or set CreateKey = yes");
  }

  @Test
  void badKeyFile() {
    files.put("/k/bad.key", "# a key\nnot base64 at all!\n", 0600);
    assertProblem("[user alice]\nKey = /k/bad.key\nAllow = open 22\n",
        "knockd.conf:2: key file /k/bad.key is not base64");
  }

  @Test
  void shortKeyFile() {
    files.put("/k/short.key", "AAAAAAAAAAAAAAAAAAAAAA==\n", 0600);
    assertProblem("[user alice]\nKey = /k/short.key\nAllow = open 22\n",
        "knockd.conf:2: key file /k/short.key: key must be 32 bytes (256 bits), not 16");
  }

  @Test
  void duplicateUser() {
    assertProblem(USER + "[user alice]\nKey = /k/bob.key\nAllow = open 22\n",
        "knockd.conf:4: [user alice] is given twice (first on line 1)");
  }

  @Test
  void duplicateKey() {
    assertProblem(USER + "[user bob]\nKey = /k/alice.key\nAllow = open 22\n",
        "knockd.conf:5: user bob has the same key as user alice (line 2)");
  }

  @Test
  void passphraseInReadableConfig() {
    assertThatThrownBy(() -> ConfigParser.parse(FILE,
        "[user alice]\nPassphrase = correct horse battery\nAllow = open 22\n", 0644, files))
        .hasMessage("knockd.conf:2: Passphrase in a file readable by others (mode 0644): "
            + "chmod 600 knockd.conf, or use a Key file");
  }

  @Test
  void passphraseTooShort() {
    assertProblem("[options]\nServerAddress = 203.0.113.5\n[user alice]\nPassphrase = short\n"
        + "Allow = open 22\n",
        "knockd.conf:4: Passphrase: passphrase too short: use at least 12 characters");
  }

  @Test
  void actionWithRelativeProgram() {
    assertProblem(USER + "[action backup]\nCommand = backup.sh %IP%\n",
        "knockd.conf:5: Command: the program must be an absolute path, not 'backup.sh'");
  }

  @Test
  void actionWithoutCommand() {
    assertProblem(USER + "[action backup]\nTimeout = 5m\n",
        "knockd.conf:4: action backup has no Command");
  }

  @Test
  void actionIdsCollide() {
    String[] twins = collidingActionNames();
    assertProblem(USER + "[action " + twins[0] + "]\nCommand = /bin/true\n"
            + "[action " + twins[1] + "]\nCommand = /bin/true\n",
        String.format("knockd.conf:6: action %s has the same id (0x%04x) as action %s (line 4): "
            + "rename one of them", twins[1], Payload.actionId(twins[0]), twins[0]));
  }

  @Test
  void duplicateDoor() {
    assertProblem("[ssh]\nSequence = 7000\nCommand = /bin/true\n"
            + "[ssh]\nSequence = 8000\nCommand = /bin/true\n",
        "knockd.conf:4: door [ssh] is given twice (first on line 1)");
  }

  @Test
  void badSequencePort() {
    assertProblem("[ssh]\nSequence = 7000,abc,9000\nCommand = /bin/true\n",
        "knockd.conf:2: Sequence: bad port 'abc': use a number 1-65535");
  }

  @Test
  void badSequenceProtocol() {
    assertProblem("[ssh]\nSequence = 7000:icmp\nCommand = /bin/true\n",
        "knockd.conf:2: Sequence: bad protocol in '7000:icmp': use :tcp or :udp");
  }

  @Test
  void emptySequenceItem() {
    assertProblem("[ssh]\nSequence = 7000,,9000\nCommand = /bin/true\n",
        "knockd.conf:2: Sequence: empty item in '7000,,9000'");
  }

  @Test
  void doorWithoutCommand() {
    assertProblem("[ssh]\nSequence = 7000\n", "knockd.conf:1: door ssh has no Start_Command");
  }

  @Test
  void doorWithoutSequence() {
    assertProblem("[ssh]\nCommand = /bin/true\n", "knockd.conf:1: door ssh has no Sequence");
  }

  @Test
  void badTcpFlag() {
    assertProblem("[ssh]\nSequence = 7000\nTCPFlags = syn,!ak\nCommand = /bin/true\n",
        "knockd.conf:3: TCPFlags: unknown flag '!ak': use fin, syn, rst, psh, ack, urg, each "
            + "optionally with '!'");
  }

  @Test
  void badOneTimeSequenceFile() {
    files.put("/k/ots", "# used\n 7000,8000\n 7000,99999\n", 0600);
    assertProblem("[ssh]\nOne_Time_Sequences = /k/ots\nCommand = /bin/true\n",
        "knockd.conf:2: /k/ots line 3: sequence: port 99999 is out of range 1-65535");
  }

  @Test
  void doorKeyTypoGetsHint() {
    assertProblem("[ssh]\nSequense = 7000\nCommand = /bin/true\n",
        "knockd.conf:1: door ssh has no Sequence\n"
            + "knockd.conf:2: unknown key 'Sequense' in door [ssh]; did you mean Sequence?");
  }

  @Test
  void everyProblemIsReportedInLineOrder() {
    assertThatThrownBy(() -> parse("[options]\nCipher = aes\n[user alice]\nKey = /k/none.key\n"
        + "Allow = open 22\nMaxDuration = forever\n"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
            "knockd.conf:2: Cipher: unknown cipher 'aes': use twofish or blowfish",
            "knockd.conf:4: key file /k/none.key does not exist: make one with 'knock keygen' "
                + "(mode 600), or set CreateKey = yes",
            "knockd.conf:6: MaxDuration: bad duration 'forever': use a number followed by s, m, "
                + "h or d"));
  }

  /** Two action names whose 16-bit ids are equal (found by search; the birthday bound is ~300). */
  private static String[] collidingActionNames() {
    Map<Integer, String> seen = new HashMap<>();
    for (int i = 0; i < 100_000; i++) {
      String name = "a" + i;
      String twin = seen.putIfAbsent(Payload.actionId(name), name);
      if (twin != null) {
        return new String[] {twin, name};
      }
    }
    throw new AssertionError("no collision in 100000 names");
  }

  @Test
  void serverAddressTakesAddressLiteralsOnly() {
    assertOptionsProblem("ServerAddress = gateway.example", "knockd.conf:2: ServerAddress: "
        + "'gateway.example' is not an IPv4 or IPv6 address (names are not resolved)");
    assertOptionsProblem("ServerAddress = 203.0.113.5, 256.1.1.1", "knockd.conf:2: ServerAddress: "
        + "'256.1.1.1' is not an IPv4 or IPv6 address (names are not resolved)");
    assertOptionsProblem("ServerAddress = 203.0.113.5,", "knockd.conf:2: ServerAddress: empty "
        + "item in '203.0.113.5,'");
    assertOptionsProblem("ServerAddress = 203.0.113.5, 203.0.113.5",
        "knockd.conf:2: ServerAddress: 203.0.113.5 is listed twice");
  }

  @Test
  void serverAddressAndAcceptVersion1AreRead() throws Exception {
    Config c = parse("[options]\nServerAddress = 203.0.113.5, 2001:db8::1\n" + USER
        + "AcceptVersion1 = yes\n");
    assertThat(c.options().serverAddresses()).extracting(a -> a.getHostAddress())
        .containsExactly("203.0.113.5", "2001:db8:0:0:0:0:0:1");
    assertThat(c.options().decoderSettings().serverAddresses()).hasSize(2);
    assertThat(c.users().get(0).acceptVersion1()).isTrue();
    assertThat(parse(USER).users().get(0).acceptVersion1()).as("default").isFalse();
    assertThat(ConfigReport.render(c)).contains("ServerAddress      = 203.0.113.5, 2001:db8:0:0:0:0:0:1")
        .contains("AcceptVersion1");
  }

  @Test
  void aByteOrderMarkIsSkipped() throws Exception {
    Config c = parse("\uFEFF[options]\nFirewall = none\n" + USER);
    assertThat(c.options().firewall()).isEqualTo(FirewallType.NONE);
    assertProblem("\uFEFF[options]\nColour = red\n" + USER,
        "knockd.conf:2: unknown key 'Colour' in [options]");
  }
}
