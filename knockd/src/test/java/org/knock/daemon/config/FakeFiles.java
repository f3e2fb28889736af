package org.knock.daemon.config;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.knock.core.KnockKey;

/** Files in memory, for the parser's tests. */
final class FakeFiles implements ConfigFiles {
  private final Map<Path, Content> files = new HashMap<>();
  final List<Path> created = new ArrayList<>();
  private final Random random = new Random(42);
  /** The uid knockd runs as; files are owned by it unless {@link #put} says otherwise. */
  int euid = 0;

  FakeFiles put(String path, String text, int mode) {
    return put(path, text, mode, euid);
  }

  FakeFiles put(String path, String text, int mode, int owner) {
    files.put(Path.of(path), new Content(text, mode, owner));
    return this;
  }

  /** A key file with a fresh key, mode 0600. */
  FakeFiles key(String path) {
    return put(path, "# test key\n" + KnockKey.generate(random).toBase64() + "\n", 0600);
  }

  String text(String path) {
    return files.get(Path.of(path)).text();
  }

  @Override
  public Content read(Path file) throws IOException {
    Content c = files.get(file);
    if (c == null) {
      throw new NoSuchFileException(file.toString());
    }
    return c;
  }

  @Override
  public int effectiveUid() {
    return euid;
  }

  @Override
  public Content createKey(Path file, String userName) throws IOException {
    if (files.containsKey(file)) {
      throw new FileAlreadyExistsException(file.toString());
    }
    created.add(file);
    key(file.toString());
    return files.get(file);
  }
}
