package org.knock.daemon.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.knock.core.DecoderSettings;
import org.knock.core.KnockUser;

/**
 * A whole, valid configuration: every name unique, every reference resolved, every key loaded.
 * Built only by {@link ConfigLoader}.
 *
 * @param file the config file
 * @param options the options with defaults applied
 * @param users the users, in file order
 * @param actions the actions, in file order
 * @param doors the static doors, in file order
 * @param notices things the admin should know that are not errors (e.g. a key file created),
 *     one line each, for the operational log and {@code knockd --check}
 * @param forwards the {@code [forward NAME]} sections, in file order
 */
public record Config(
    Path file,
    Options options,
    List<UserConfig> users,
    List<ActionConfig> actions,
    List<DoorConfig> doors,
    List<String> notices,
    List<ForwardConfig> forwards) {

  public Config {
    Objects.requireNonNull(file);
    Objects.requireNonNull(options);
    users = List.copyOf(users);
    actions = List.copyOf(actions);
    doors = List.copyOf(doors);
    notices = List.copyOf(notices);
    forwards = List.copyOf(forwards);
  }

  /** A config without forwards. */
  public Config(Path file, Options options, List<UserConfig> users, List<ActionConfig> actions,
      List<DoorConfig> doors, List<String> notices) {
    this(file, options, users, actions, doors, notices, List.of());
  }

  /** The forward an {@code open NAME} knock names by its 16-bit id. */
  public Optional<ForwardConfig> forwardById(int id) {
    return forwards.stream().filter(f -> f.id() == id).findFirst();
  }

  /** The decoder's settings from the options. */
  public DecoderSettings decoderSettings() {
    return options.decoderSettings();
  }

  /** The users as the decoder sees them, in file order. */
  public List<KnockUser> knockUsers() {
    return users.stream().flatMap(u -> u.knockUsers().stream()).toList();
  }

  public Optional<UserConfig> user(String name) {
    return users.stream().filter(u -> u.name().equals(name)).findFirst();
  }

  public Optional<ActionConfig> action(String name) {
    return actions.stream().filter(a -> a.name().equals(name)).findFirst();
  }

  /** The action a {@code run} knock names by its 16-bit id. */
  public Optional<ActionConfig> actionById(int id) {
    return actions.stream().filter(a -> a.id() == id).findFirst();
  }

  public Optional<DoorConfig> door(String name) {
    return doors.stream().filter(d -> d.name().equals(name)).findFirst();
  }
}
