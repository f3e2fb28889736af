package org.knock.daemon.config;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Loads a config file and every file it names (key files, one-time sequence files) from disk.
 * A {@code [user]} with {@code CreateKey = yes} whose key file does not exist gets a new random
 * key file, mode 0600; {@link Config#notices()} says so.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /**
   * Reads and checks a config file.
   *
   * @throws ConfigException listing every problem, one {@code file:line: message} line each
   */
  public static Config load(Path file) throws ConfigException {
    LocalFiles files = new LocalFiles();
    ConfigFiles.Content c;
    try {
      c = files.read(file);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read config: " + UserSection.why(e));
    }
    return ConfigParser.parse(file, c.text(), c.mode(), files);
  }
}
