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
  private static final byte[] NO_ADDRESS = new byte[16];
  /** The IPv6 destination of the last assembler made: see {@link #shared}. */
  private byte[] lastDestination6 = new byte[16];

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

  /** A new, empty sequence for one source address (IPv4 as int), destination unknown. */
  public SequenceAssembler newSequence(int source) {
    return newSequence(source, 0);
  }

  /**
   * A new, empty sequence of the ports one source address sent to one destination address (IPv4
   * as int): the address a version-2 knock must be bound to unless the settings list the
   * server's addresses.
   */
  public SequenceAssembler newSequence(int source, int destination) {
    return settings.longMessages() ? new TwoLengthAssembler(this, source, destination, null, null)
        : settings.mapping() == PortMapping.INDEXED
        ? new IndexedAssembler(this, source, destination)
        : new ClassicAssembler(this, source, destination);
  }

  /**
   * A new, empty sequence of the ports one IPv6 source sent to one IPv6 destination (16 bytes
   * each; a null destination is unknown): the knock's own source, if it asks for that, is the
   * IPv6 source, and a version-2 knock must be bound to the IPv6 destination unless the settings
   * list the server's addresses.
   */
  public SequenceAssembler newSequence6(byte[] source16, byte[] destination16) {
    return newSequence6(source16, destination16, 0);
  }

  /**
   * As {@link #newSequence6(byte[], byte[])}; the assembler's {@link SequenceAssembler#destination}
   * is {@code destinationKey}, the caller's key for {@code destination16}.
   */
  public SequenceAssembler newSequence6(byte[] source16, byte[] destination16,
      int destinationKey) {
    if (source16.length != 16 || (destination16 != null && destination16.length != 16)) {
      throw new IllegalArgumentException("an IPv6 address has 16 bytes");
    }
    byte[] s = source16.clone();
    byte[] d = shared(destination16 == null ? NO_ADDRESS : destination16);
    return settings.longMessages() ? new TwoLengthAssembler(this, 0, destinationKey, s, d)
        : settings.mapping() == PortMapping.INDEXED
        ? new IndexedAssembler(this, 0, destinationKey, s, d)
        : new ClassicAssembler(this, 0, destinationKey, s, d);
  }

  /**
   * A copy of {@code destination16} that the assemblers of one destination share (they only read
   * it): a flood of sources to the server's address holds one array for it, not one a source.
   */
  private byte[] shared(byte[] destination16) {
    if (!java.util.Arrays.equals(lastDestination6, destination16)) {
      lastDestination6 = destination16.clone();
    }
    return lastDestination6;
  }

  /**
   * Tag checks one candidate message costs: one per user and server address, plus one per user
   * whose version-1 knocks are accepted.
   */
  public int checksPerMessage() {
    int bindings = Math.max(1, settings.serverAddresses().size());
    int n = 0;
    for (KnockUser u : users) {
      n += (u.onlyFor() != null ? 1 : bindings) + (u.acceptVersion1() ? 1 : 0);
    }
    return Math.max(1, n);
  }

  /**
   * What checking one message gave: a knock, a refusal after a verified tag (the sender held a
   * key), or neither (no user's tag matched).
   */
  record Verdict(Knock knock, Rejection refusal) {
    static final Verdict BAD_TAG = new Verdict(null, null);

    boolean verified() {
      return knock != null || refusal != null;
    }
  }

  /**
   * Checks one complete 20-byte message from a source (IPv4 as int, or {@code source6} if not
   * null) sent to {@code sentTo} against every user's key: a version-2 tag bound to
   * {@code sentTo} (or to one of the settings' server addresses), or a version-1 tag where the
   * user accepts it. A message whose tag verifies is burned on sight: its (user, timestamp,
   * nonce) goes into the replay cache before anything else is checked, so it can never be
   * accepted later, from any source, whatever this check decides.
   */
  Verdict check(byte[] message, int source, byte[] source6, ServerBinding sentTo, Instant now) {
    Rejection refusal = null;
    List<ServerBinding> listed = settings.serverAddresses();
    int bindings = listed.isEmpty() ? 1 : listed.size(); // none listed: where the ports went
    for (int u = 0; u < tags.size(); u++) {
      int version = 0;
      ServerBinding only = users.get(u).onlyFor();
      for (int b = 0; b < bindings && version == 0; b++) {
        ServerBinding server = listed.isEmpty() ? sentTo : listed.get(b);
        if ((only == null || only.equals(server)) && tags.get(u).verify(message, server)) {
          version = Payload.VERSION_2;
        }
      }
      if (version == 0 && users.get(u).acceptVersion1() && tags.get(u).verify(message)) {
        version = Payload.VERSION;
      }
      if (version == 0) {
        continue;
      }
      Sealer s = sealers[u];
      if (s == null) {
        s = sealers[u] = new Sealer(users.get(u).key(), settings.suite());
      }
      Rejection[] worst = {refusal};
      Knock k = checkPlaintext(users.get(u), version, s.decrypt(message), source, source6, now,
          worst);
      if (k != null) {
        return new Verdict(k.withDrawOf(users.get(u).key()), null);
      }
      refusal = worst[0];
    }
    return refusal == null ? Verdict.BAD_TAG : new Verdict(null, refusal);
  }

  private Knock checkPlaintext(
      KnockUser user, int version, byte[] plain, int source, byte[] source6, Instant now,
      Rejection[] worst) {
    long window = settings.timeWindow().getSeconds();
    // burned on sight: timestamp and nonce sit at fixed offsets whatever the rest says
    ReplayCache.Result r = replay.record(
        new ReplayKey(user.name(), Payload.timestampOf(plain), Payload.nonceOf(plain)),
        now.getEpochSecond());
    if (r == ReplayCache.Result.STORE_FAILED) {
      raise(worst, Rejection.REPLAY_STORE_FAILED);
      return null;
    }
    if (r == ReplayCache.Result.ALREADY_SEEN) {
      raise(worst, Rejection.REPLAY);
      return null;
    }
    Payload p;
    try {
      p = Payload.fromBytes(plain);
    } catch (KnockException e) {
      raise(worst, Rejection.MALFORMED);
      return null;
    }
    if (p.version() != version) { // the header must say what the tag said
      raise(worst, Rejection.MALFORMED);
      return null;
    }
    long t = now.getEpochSecond();
    if (p.timestamp() < t - window) {
      raise(worst, Rejection.STALE);
      return null;
    }
    if (p.timestamp() > t + window) {
      raise(worst, Rejection.FUTURE);
      return null;
    }
    if (r != ReplayCache.Result.RECORDED) { // not remembered: never accepted (fails closed)
      // BEFORE_BOOT is said only of a knock still inside the window; TOO_OLD of a knock older
      // than the cache's widest window, which is at least TimeWindow in knockd (so stale above),
      // unless a cache was made for a narrower window than the decoder's
      raise(worst, r == ReplayCache.Result.BEFORE_BOOT ? Rejection.BEFORE_BOOT : Rejection.STALE);
      return null;
    }
    if (p.addressMode() == Payload.ADDRESS_IPV6) { // an IPv6 address, from either family
      byte[] grant6 = p.address6();
      if (!java.util.Arrays.equals(grant6, source6) && !user.allowOtherAddress()) {
        raise(worst, Rejection.ADDRESS_NOT_ALLOWED);
        return null;
      }
      return new Knock(user.name(), p, source, 0, source6, grant6);
    }
    if (p.grantsSource64()) { // the source's /64: an IPv6 source only
      if (source6 == null) {
        raise(worst, Rejection.ADDRESS_NOT_ALLOWED);
        return null;
      }
      return new Knock(user.name(), p, 0, 0, source6, Knock.prefix64(source6));
    }
    if (source6 != null) { // an IPv6 source: its own address, or (mixed) an IPv4 address
      if (!p.grantsSource() && !user.allowOtherAddress()) {
        raise(worst, Rejection.ADDRESS_NOT_ALLOWED);
        return null;
      }
      return new Knock(user.name(), p, 0, p.grantsSource() ? 0 : p.address(), source6,
          p.grantsSource() ? source6 : null);
    }
    int grant = p.grantsSource() ? source : p.address();
    if (grant != source && !user.allowOtherAddress()) {
      raise(worst, Rejection.ADDRESS_NOT_ALLOWED);
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
