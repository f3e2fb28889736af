package org.knock.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Grants through netlink from the JVM (JDK 17's jdk.incubator.foreign), in a namespace with the
 * real table: the element and its timeout as {@code nft list set} shows them, a re-grant that
 * replaces the timeout, revokes of IPv4 and IPv6 elements, the table deleted behind knockd's back
 * (netlink fails, the nft path reports its error as before, the fallback logged once), and a JVM
 * without the module granting through nft. The JVM runs {@link NetlinkGrantDriver} inside the
 * namespace, since a netlink socket belongs to its process's namespace.
 */
class NetlinkGrantIT {
  private static final String TABLE = "knnlgrant";
  private static final List<String> FOREIGN = List.of("--add-modules", "jdk.incubator.foreign",
      "--enable-native-access=ALL-UNNAMED");

  private static String drive(Netns ns, List<String> jvmFlags, String... steps) {
    String root = System.getProperty("knock.root");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString()));
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-cp", root + "/knockd/target/test-classes:" + root
        + "/knockd/target/knockd.jar:" + root + "/knockd/target/lib/*",
        NetlinkGrantDriver.class.getName(), TABLE));
    cmd.addAll(List.of(steps));
    Netns.Result r = ns.exec(cmd.toArray(String[]::new));
    System.out.println(r.out() + r.err());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("== closed");
    return r.out();
  }

  /** What the driver printed for one step, up to the next. */
  private static String step(String out, String name) {
    int start = out.indexOf("== " + name + "\n");
    assertThat(start).as("step " + name).isNotNegative();
    int end = out.indexOf("\n== ", start + 1);
    return out.substring(start, end < 0 ? out.length() : end);
  }

  /** The element's timeout and what remains of it, e.g. [20m, 19m59s996ms]. */
  private static List<String> timeout(String listing, String element) {
    Matcher m = Pattern.compile(Pattern.quote(element) + " timeout (\\S+) expires ([0-9a-z]+)")
        .matcher(listing);
    assertThat(m.find()).as(element + " in\n" + listing).isTrue();
    return List.of(m.group(1), m.group(2));
  }

  @Test
  void grantsRegrantsRevokesThroughNetlinkAndFallsBackToNftWhenTheTableIsGone() {
    try (Netns ns = Netns.create("nlg")) {
      String out = drive(ns, FOREIGN, "grant:10.9.8.7:3600", "grant:10.9.8.7:1200",
          "grant:2001:db8::5:300", "revoke:10.9.8.7", "revoke:2001:db8::5", "drop-table",
          "grant:10.9.8.7:60", "grant:10.9.8.8:60");
      assertThat(out).contains("nftables grants: grants and revokes of sets 'granted' and "
          + "'granted6' go straight through netlink");
      assertThat(timeout(step(out, "grant:10.9.8.7:3600"), "10.9.8.7 . tcp . 22").get(0))
          .isEqualTo("1h");
      List<String> regrant = timeout(step(out, "grant:10.9.8.7:1200"), "10.9.8.7 . tcp . 22");
      assertThat(regrant.get(0)).as("the re-grant replaced the timeout").isEqualTo("20m");
      assertThat(regrant.get(1)).as("and restarted it").startsWith("19m5");
      assertThat(timeout(step(out, "grant:2001:db8::5:300"), "2001:db8::5 . tcp . 22").get(0))
          .isEqualTo("5m");
      String revoked = step(out, "revoke:10.9.8.7");
      assertThat(revoked).startsWith("== revoke:10.9.8.7\nok\n").doesNotContain("10.9.8.7 .")
          .contains("2001:db8::5 . tcp . 22");
      assertThat(step(out, "revoke:2001:db8::5")).contains("ok\n").doesNotContain("elements");
      assertThat(step(out, "drop-table")).contains("ok\n").doesNotContain("set granted");
      for (String grant : List.of("grant:10.9.8.7:60", "grant:10.9.8.8:60")) {
        assertThat(step(out, grant)).as("nft's error, as without netlink")
            .containsPattern("error: .*No such file or directory");
      }
      assertThat(out.split("netlink could not write", -1)).as("the fallback, logged once")
          .hasSize(2);
      assertThat(step(out, "drop-table")).as("the fallback's one line comes at the first failure")
          .doesNotContain("netlink could not write");
    }
  }

  @Test
  void aJvmWithoutTheForeignModuleGrantsThroughNft() {
    try (Netns ns = Netns.create("nlg")) {
      String out = drive(ns, List.of(), "grant:10.9.8.7:600", "revoke:10.9.8.7");
      assertThat(out).contains("nftables grants go through nft -i: this JVM has no module "
          + "jdk.incubator.foreign");
      assertThat(timeout(step(out, "grant:10.9.8.7:600"), "10.9.8.7 . tcp . 22").get(0))
          .isEqualTo("10m");
      assertThat(step(out, "revoke:10.9.8.7")).contains("ok\n").doesNotContain("elements");
    }
  }
}
