package org.knock.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The daemon's half of the protocol: checks candidate messages against every user's key, then the
 * plaintext, the time window, the address rule and the replay cache, in that order. Sequences of
 * ports from one source are assembled by a {@link SequenceAssembler} from {@link #newSequence}.
 * No I/O and no clock: the time is passed in. Not thread-safe.
 */
public final class KnockDecoder {
  private final DecoderSettings settings;
  private final List<KnockUser> users;
  private final List<TagCheck> tags;
  private final Sealer[] sealers;
  private final ReplayCache replay;

  public KnockDecoder(DecoderSettings settings, List<KnockUser> users, ReplayCache replay) {
    this.settings = Objects.requireNonNull(settings);
    this.users = List.copyOf(users);
    this.replay = Objects.requireNonNull(replay);
    this.tags = new ArrayList<>(this.users.size());
    for (KnockUser u : this.users) {
      tags.add(new TagCheck(u.key(), settings.suite()));
    }
    this.sealers = new Sealer[this.users.size()]; // made when a user's tag first matches

  }

  public DecoderSettings settings() {
    return settings;
  }

  public List<KnockUser> users() {
    return users;
  }

  /** A new, empty sequence for one source address (IPv4 as int). */
  public SequenceAssembler newSequence(int source) {
    return settings.mapping() == PortMapping.INDEXED
        ? new IndexedAssembler(this, source)
        : new ClassicAssembler(this, source);
  }

  /**
   * Checks one complete 20-byte message from a source. Returns the accepted knock, or null and
   * raises {@code worst} to the strongest rejection seen.
   */
  Knock check(byte[] message, int source, Instant now, Rejection[] worst) {
    for (int u = 0; u < tags.size(); u++) {
      if (!tags.get(u).verify(message)) {
        continue;
      }
      Sealer s = sealers[u];
      if (s == null) {
        s = sealers[u] = new Sealer(users.get(u).key(), settings.suite());
      }
      Knock k = checkPlaintext(users.get(u), s.decrypt(message), source, now, worst);
      if (k != null) {
        return k;
      }
    }
    return null;
  }

  private Knock checkPlaintext(
      KnockUser user, byte[] plain, int source, Instant now, Rejection[] worst) {
    Payload p;
    try {
      p = Payload.fromBytes(plain);
    } catch (KnockException e) {
      raise(worst, Rejection.MALFORMED);
      return null;
    }
    long window = settings.timeWindow().getSeconds();
    long t = now.getEpochSecond();
    if (p.timestamp() < t - window) {
      raise(worst, Rejection.STALE);
      return null;
    }
    if (p.timestamp() > t + window) {
      raise(worst, Rejection.FUTURE);
      return null;
    }
    int grant = p.grantsSource() ? source : p.address();
    if (grant != source && !user.allowOtherAddress()) {
      raise(worst, Rejection.ADDRESS_NOT_ALLOWED);
      return null;
    }
    ReplayCache.Result r = replay.record(new ReplayKey(user.name(), p.timestamp(), p.nonce()));
    if (r == ReplayCache.Result.ALREADY_SEEN) {
      raise(worst, Rejection.REPLAY);
      return null;
    }
    if (r == ReplayCache.Result.STORE_FAILED) {
      raise(worst, Rejection.REPLAY_STORE_FAILED);
      return null;
    }
    return new Knock(user.name(), p, source, grant);
  }

  static void raise(Rejection[] worst, Rejection r) {
    if (worst[0] == null || r.ordinal() > worst[0].ordinal()) {
      worst[0] = r;
    }
  }
}
