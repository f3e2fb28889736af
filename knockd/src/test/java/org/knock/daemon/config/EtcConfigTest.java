package org.knock.daemon.config;

import org.knock.daemon.firewall.PortSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knock.core.Command;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockKey;
import org.knock.core.Protocol;

/** The repository's etc/knockd.conf parses and says what its comments say. */
class EtcConfigTest {
  private static final Path CONF = Path.of(System.getProperty("knock.root"), "etc", "knockd.conf");

  /** Reads the real files, but creates keys in memory: the test leaves the checkout alone. */
  private static final class NoCreate implements ConfigFiles {
    private final LocalFiles local = new LocalFiles();
    private final FakeFiles fake = new FakeFiles();
    Path created;

    @Override
    public Content read(Path file) throws IOException {
      if (file.equals(created)) {
        return fake.read(file);
      }
      return local.read(file);
    }

    @Override
    public int effectiveUid() {
      return local.effectiveUid();
    }

    @Override
    public Content createKey(Path file, String userName) throws IOException {
      created = file;
      return fake.createKey(file, userName);
    }
  }

  @Test
  void etcKnockdConfParses() throws Exception {
    NoCreate files = new NoCreate();
    String text = Files.readString(CONF);
    Config c = ConfigParser.parse(CONF, text, LocalFiles.mode(CONF), files);
    Path key = CONF.toAbsolutePath().normalize().getParent().resolve("admin.key");
    if (files.created != null) {
      assertThat(files.created).isEqualTo(key);
      assertThat(c.notices()).singleElement().asString().startsWith("created key file " + key);
    }
    Options o = c.options();
    assertThat(o.firewall()).isEqualTo(FirewallType.NFTABLES);
    assertThat(o.firewallLog()).isNull();
    assertThat(o.protect()).containsExactly(new PortSpec(22, Protocol.TCP));
    assertThat(o.logPrefix()).isEqualTo("KNOCK: ");
    assertThat(o.allowRoot()).as("the README runs it with sudo").isTrue();
    assertThat(c.decoderSettings()).isEqualTo(DecoderSettings.defaults());
    UserConfig admin = c.user("admin").orElseThrow();
    assertThat(admin.keySource()).isEqualTo("key file " + key);
    assertThat(admin.refusal(Command.parse("open 22 30m"))).isEmpty();
    assertThat(admin.refusal(Command.parse("close 22"))).isEmpty();
    assertThat(admin.refusal(Command.parse("open 80"))).contains("not-allowed");
    assertThat(c.doors()).isEmpty();
    assertThat(c.actions()).isEmpty();
  }

  @Test
  void realLoaderRefusesAKeyOthersCanRead(@TempDir Path dir) throws Exception {
    Path key = dir.resolve("k.key");
    Files.writeString(key, KnockKey.generate(new Random(1)).toBase64());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, "[user a]\nKey = k.key\nAllow = open 22\n");
    assertThat(catchThrowable(() -> ConfigLoader.load(conf)))
        .hasMessage(conf + ":2: key file " + key + " is readable by others (mode 0644): "
            + "chmod 600 " + key);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
    assertThat(catchThrowable(() -> ConfigLoader.load(conf))).hasMessageContaining(
        "key file " + key + " is readable by its group (mode 0640)");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    assertThat(ConfigLoader.load(conf).users()).hasSize(1);
  }

  @Test
  void missingConfigFile() {
    Path conf = Path.of("/nonexistent/knockd.conf");
    assertThat(catchThrowable(() -> ConfigLoader.load(conf)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("/nonexistent/knockd.conf: cannot read config: no such file or directory");
  }

  @Test
  void createKeyOnDiskIsPrivateAndReadBack(@TempDir Path dir)
      throws Exception {
    Path conf = dir.resolve("knockd.conf");
    Files.writeString(conf, "[user admin]\nKey = admin.key\nCreateKey = yes\nAllow = open 22\n");
    Config first = ConfigLoader.load(conf);
    Path key = dir.resolve("admin.key");
    assertThat(PosixFilePermissions.toString(
        Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(first.notices()).hasSize(1);
    Config second = ConfigLoader.load(conf);
    assertThat(second.notices()).isEmpty();
    assertThat(second.users().get(0).key().toBase64())
        .isEqualTo(first.users().get(0).key().toBase64());
    assertThat(Files.readString(key)).contains(first.users().get(0).key().toBase64());
  }

  @Test
  void keyFileThatIsADirectory(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("knockd.conf");
    Files.createDirectory(dir.resolve("d.key"));
    Files.writeString(conf, "[user a]\nKey = d.key\nAllow = open 22\n");
    assertThat(catchThrowable(() -> ConfigLoader.load(conf)))
        .hasMessage(conf + ":2: cannot read key file " + dir.resolve("d.key")
            + ": not a regular file");
  }

}
