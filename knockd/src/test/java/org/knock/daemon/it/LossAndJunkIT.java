package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Knocks through what the Internet and an attacker do to them (issue 11), through a real kernel:
 * the real {@code bin/knockd} (nftables, /dev/kmsg, SequenceTimeout 2 s) in a server namespace,
 * the real {@code bin/knock} in a client namespace. Loss is real (an nftables rule in the client
 * namespace drops one SYN of a knock); junk SYNs are real SYNs from the knocker's own address
 * ({@code bin/knock SERVER PORT…}, a static sequence, sent as one burst), as an attacker who
 * spoofs the knocker or sits behind the same NAT would send them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ScenarioTimer.class)
@Timeout(120)
class LossAndJunkIT implements ScenarioTimer.Diagnosis {
  private static final long OPEN_WITHIN_MS = 1000;
  private static final int BASE = 20000;
  /**
   * How long after a knock was sent its ports count as out of knockd's sliding window
   * (SequenceTimeout 2 s): 2.6 s, no less than the fixed 2.1 s pause after a close and its
   * until-shut (at least 0.5 s) gave before.
   */
  private static final long WINDOW_MS = 2600;

  private Path dir;
  private Lab lab;
  private Knockd knockd;
  private AuditTrail audit;
  private Path alice;
  private String client;
  private int scenarioMark;
  /** When the client's latest knock had been sent (System.nanoTime()); 0: none yet. */
  private long lastKnockSent;
  private final Random random = new Random();

  @BeforeAll
  void setUp(@TempDir Path tmp) throws Exception {
    dir = tmp;
    lab = Lab.open("lj", "10.204.11", dir);
    client = lab.clientIp();
    alice = lab.keygen("alice");
    knockd = lab.knockd("knockd", Knockd.Settings.defaults(), "[user alice]\n"
        + "Key               = " + alice + "\n"
        + "Allow             = open 22/tcp, close\n"
        + "AllowOtherAddress = yes\n");
    knockd.start();
    audit = knockd.audit();
  }

  @AfterAll
  void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void portIsShut() throws Exception {
    lab.noNat();
    scenarioMark = audit.mark();
    assertThat(lab.reachable()).as("port 22 before the scenario").isFalse();
  }

  /** A scenario that failed before its close leaves port 22 shut for the next one all the same. */
  @AfterEach
  void shutWhateverHappened() throws Exception {
    lab.noNat();
    if (lab.reachable()) {
      lab.tryKnock(alice, "close 22");
      lastKnockSent = System.nanoTime();
      lab.until(false, 2000);
    }
  }

  @Override
  public String diagnosis() {
    return "audit log of the scenario:" + AuditTrail.describe(audit.since(scenarioMark));
  }

  @Test
  @Order(1)
  @DisplayName("a knock that lost one SYN, then a fresh knock 0.5 s later: opens, 5 of 5")
  void freshKnockAfterAPartialOne() throws Exception {
    for (int round = 0; round < 5; round++) {
      // let the previous round's ports leave the sliding window (SequenceTimeout 2 s): a leftover
      // byte at the lost position would complete the partial knock when it happens to be the
      // right one (1 in 256), and this scenario is about the partial and the fresh knock alone
      awaitWindowClear();
      int position = random.nextInt(20);
      List<Integer> partial = lab.print(alice, "open 22 30s");
      // the same holds for the fresh knock's own SYN at the lost position: carrying the lost byte
      // (1 in 256), it completes the partial knock and both are accepted, as designed (seen in
      // CI). The fresh knock is drawn so that it does not; what is left is loss and a retry alone
      List<Integer> fresh = lab.print(alice, "open 22 30s");
      for (int i = 0; i < 20 && at(fresh, position) == at(partial, position); i++) {
        fresh = lab.print(alice, "open 22 30s");
      }
      assertThat(at(fresh, position)).as("a fresh knock without the lost byte, in 20 prints")
          .isNotEqualTo(at(partial, position));
      dropPosition(position);
      int mark = audit.mark();
      staticKnock(partial); // one burst, as bin/knock sends a knock; the lossy path drops one SYN
      undropPosition();
      Thread.sleep(500);
      assertThat(lab.reachable()).as("round %d: the partial knock opened nothing", round)
          .isFalse();
      staticKnock(fresh);
      assertThat(lab.until(true, OPEN_WITHIN_MS)).as("round %d (position %d lost): ms until open",
          round, position).isBetween(0L, OPEN_WITHIN_MS);
      audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client);
      assertThat(audit.count(mark, "knock-accepted")).isEqualTo(1);
      close();
    }
  }

  /** The port of an indexed knock that carries its byte at {@code position}. */
  private static int at(List<Integer> knock, int position) {
    int lo = BASE + 256 * position;
    return knock.stream().filter(p -> p >= lo && p <= lo + 255).findFirst()
        .orElseThrow(() -> new AssertionError("no port at position " + position + ": " + knock));
  }

  @Test
  @Order(2)
  @DisplayName("16 junk SYNs on 16 distinct positions from the knocker's address, then a knock: "
      + "opens, 5 of 5")
  void sixteenJunkPortsBeforeAKnock() throws Exception {
    for (int round = 0; round < 5; round++) {
      List<Integer> positions = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        positions.add(i);
      }
      Collections.shuffle(positions, random);
      List<Integer> junk = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        junk.add(BASE + 256 * positions.get(i) + random.nextInt(256));
      }
      junkThenKnock(junk, "round " + round);
    }
  }

  @Test
  @Order(3)
  @DisplayName("64 junk SYNs spread over the range from the knocker's address, then a knock: opens")
  void sixtyFourJunkPortsBeforeAKnock() throws Exception {
    Set<Integer> junk = new HashSet<>();
    while (junk.size() < 64) {
      junk.add(BASE + random.nextInt(5120));
    }
    junkThenKnock(new ArrayList<>(junk), "64 junk");
  }

  @Test
  @Order(4)
  @DisplayName("a jammed --source knock re-sent from a second address: that address gets nothing")
  void aStolenSourceKnockIsRefused() throws Exception {
    List<Integer> junk = new ArrayList<>();
    for (int pos = 0; pos < 16; pos++) {
      junk.add(BASE + 256 * pos + random.nextInt(256));
    }
    List<Integer> knock = lab.print(alice, "open 22 30s", "--source");
    int mark = audit.mark();
    staticKnock(junk);
    staticKnock(knock); // the user's --source knock, sent into the junk
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client, "grant", client);
    // knock-accepted is written before the grant, access-granted after it: the user's
    // access-granted must be in before the mark, or the thief's count below would see it
    audit.await(mark, 1000, "access-granted", "user", "alice", "addr", client, "port", "22/tcp");

    String thief = lab.clientAlias(3);
    lab.natFrom(thief); // the eavesdropper re-sends the captured ports from its own address
    mark = audit.mark();
    staticKnock(knock);
    audit.await(mark, 1000, "knock-rejected", "src", thief, "reason", "replay");
    assertThat(lab.reachable()).as("port 22 from the thief's address").isFalse();
    assertThat(audit.count(mark, "access-granted")).isZero();
    lab.noNat();
    assertThat(lab.reachable()).as("port 22 from the user's address").isTrue();
    close();
  }

  @Test
  @Order(5)
  @DisplayName("an open held back by an attacker and delivered after the user's close: refused, "
      + "port stays shut")
  void aHeldBackOpenDeliveredAfterACloseIsSuperseded() throws Exception {
    // the attacker keeps the user's knock from arriving (here: it is printed, never sent) ...
    List<Integer> held = lab.print(alice, "open 22 30s");
    awaitNextSecond(); // ... the user's next knocks are sealed in a later second
    knock("open 22 30s");
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until open").isBetween(0L,
        OPEN_WITHIN_MS);
    close();
    int mark = audit.mark();
    staticKnock(held); // ... and delivers it, from behind the user's NAT (the same address)
    audit.await(mark, 2000, "knock-rejected", "src", client, "reason", "superseded");
    assertThat(lab.reachable()).as("port 22 after the held-back open").isFalse();
    assertThat(audit.count(mark, "knock-accepted")).isZero();
    assertThat(audit.count(mark, "access-granted")).isZero();
  }

  @Test
  @Order(6)
  @DisplayName("an open that lost a SYN, its retry, then a close whose port carries the lost "
      + "byte: the close still closes")
  void aCloseCarryingTheBytePartialOpenLostStillCloses() throws Exception {
    // seen once in CI (1 in 256 per close): the close's port completed the old partial open and
    // was then missing from the close, so the port stayed open. Made certain here: the open is
    // one that shares a port (position and byte) with the close, and loses exactly that SYN
    awaitWindowClear(); // the previous scenario's ports leave the window (SequenceTimeout 2 s)
    List<Integer> close = lab.print(alice, "close 22");
    List<Integer> open = List.of();
    Integer shared = null;
    for (int i = 0; i < 150 && shared == null; i++) { // 7.5 % of opens share one: ~13 prints
      open = lab.print(alice, "open 22 30s");
      shared = open.stream().filter(close::contains).findFirst().orElse(null);
    }
    assertThat(shared).as("an open sharing a port with the close, in 150 prints").isNotNull();
    int mark = audit.mark();
    List<Integer> partial = new ArrayList<>(open);
    partial.remove(shared);
    staticKnock(partial); // the open, its SYN to the shared port lost
    knock("open 22 30s"); // the user's retry
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("ms until open").isBetween(0L, OPEN_WITHIN_MS);
    List<Integer> order = new ArrayList<>(close);
    order.remove(shared);
    order.add(0, shared); // the shared port first: it completes the old open at once
    staticKnock(order);
    assertThat(lab.until(false, 1000)).as("ms until shut by the close").isBetween(0L, 1000L);
    audit.await(mark, 1000, "access-closed", "port", "22/tcp", "by", "knock");
  }

  @Test
  @Order(7)
  @DisplayName("thirty knocks back to back from one address behind a junk SYN: 30 of 30 open")
  void thirtyKnocksInARowFromOneAddressAllOpen() throws Exception {
    // a script, or users behind one NAT: 600 ports within SequenceTimeout, over the cap of 512
    // a source, in a sequence a junk port keeps from starting over. The cap forgot the
    // assembler's oldest ports as if the decided knocks were still held there, and so took the
    // knock arriving; a knock that a kept port completed one SYN early left its own last SYN
    // behind as junk (seen in bench/latency.sh: ~1 knock in 100 did not open)
    awaitWindowClear();
    List<List<Integer>> knocks = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      knocks.add(lab.print(alice, "open 22 30s")); // in order: none older than one before it
    }
    List<Integer> burst = new ArrayList<>(List.of(BASE + 256 * 3 + 7)); // the junk SYN
    knocks.forEach(burst::addAll);
    int mark = audit.mark();
    staticKnock(burst, "-d", "1"); // 1 ms apart: no kmsg overrun
    for (int i = 0; i < 30 && audit.count(mark, "knock-accepted") < 30; i++) {
      Thread.sleep(100); // bounded: 3 s
    }
    assertThat(audit.count(mark, "knock-accepted", "user", "alice", "src", client))
        .as("knocks accepted of 30").isEqualTo(30);
    assertThat(audit.count(mark, "knock-rejected")).as("knocks refused (replay, superseded …)")
        .isZero();
    assertThat(lab.reachable()).as("port 22 after the knocks").isTrue();
    Thread.sleep(1200); // alerts are written within 1 s of a threshold crossed
    assertThat(audit.count(mark, "scan") + audit.count(mark, "knock-hunt"))
        .as("scan or knock-hunt alerts about a user whose knocks all opened (fail2ban bans on "
            + "them)").isZero();
    close();
  }

  private void junkThenKnock(List<Integer> junk, String what) throws Exception {
    int mark = audit.mark();
    staticKnock(junk);
    knock("open 22 30s");
    assertThat(lab.until(true, OPEN_WITHIN_MS)).as("%s: ms until open after junk %s", what, junk)
        .isBetween(0L, OPEN_WITHIN_MS);
    audit.await(mark, 1000, "knock-accepted", "user", "alice", "src", client);
    // the junk really reached the logged range, from the knocker's address
    int j = junk.get(junk.size() - 1);
    assertThat(Probes.kernelLogLine(knockd.prefix().strip(), "SRC=" + client + " ",
        "DPT=" + j + " ")).as("%s: kernel LOG line of junk SYN to %d", what, j).isNotNull();
    close();
  }

  /**
   * {@code bin/knock [OPTION…] SERVER PORT…} in the client namespace: one SYN per port, one
   * burst.
   */
  private void staticKnock(List<Integer> ports, String... options) {
    List<String> argv = new ArrayList<>(List.of("env", "KNOCK_HOME=" + dir.resolve("home"),
        Lab.script("knock")));
    argv.addAll(List.of(options));
    argv.add(lab.serverIp());
    ports.forEach(p -> argv.add(String.valueOf(p)));
    lab.inClient(argv.toArray(new String[0]));
    lastKnockSent = System.nanoTime();
  }

  /** {@code bin/knock -k alice SERVER COMMAND} in the client namespace. */
  private void knock(String command) {
    lab.knock(alice, command);
    lastKnockSent = System.nanoTime();
  }

  /**
   * Waits until {@link #WINDOW_MS} have passed since the client's latest knock was sent (at once
   * if it has sent none): its ports have left knockd's window, so that a leftover byte cannot
   * complete the next knock. This replaces a fixed 2.1 s pause counted from a later moment.
   */
  private void awaitWindowClear() throws InterruptedException {
    if (lastKnockSent != 0) {
      long left = WINDOW_MS - (System.nanoTime() - lastKnockSent) / 1_000_000;
      if (left > 0) {
        Thread.sleep(left);
      }
    }
  }

  /**
   * Waits until the wall clock's second has changed since the call (≤ 1 s): a knock made now
   * carries a later second than one printed before the call. This replaces a fixed 1.1 s pause.
   */
  private static void awaitNextSecond() throws InterruptedException {
    long second = System.currentTimeMillis() / 1000;
    while (System.currentTimeMillis() / 1000 == second) {
      Thread.sleep(1000 - System.currentTimeMillis() % 1000 + 10);
    }
  }

  /** A lossy path: the client namespace drops its SYNs to one position of the indexed range. */
  private void dropPosition(int position) throws Exception {
    int lo = BASE + 256 * position;
    Path rules = dir.resolve("loss.nft");
    Files.writeString(rules, "table ip loss {\n"
        + "  chain out {\n"
        + "    type filter hook output priority 0; policy accept;\n"
        + "    tcp dport " + lo + "-" + (lo + 255) + " drop\n"
        + "  }\n"
        + "}\n");
    lab.inClient("nft", "-f", rules.toString());
  }

  private void undropPosition() {
    lab.inClient("nft", "delete", "table", "ip", "loss");
  }

  private void close() throws Exception {
    int mark = audit.mark();
    knock("close 22");
    assertThat(lab.until(false, 1000)).as("ms until shut by close 22").isBetween(0L, 1000L);
    audit.await(mark, 1000, "access-closed", "port", "22/tcp", "by", "knock");
  }
}
