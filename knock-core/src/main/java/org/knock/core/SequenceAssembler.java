package org.knock.core;

import java.time.Instant;

/**
 * The ports one source has sent into the knock range, offered one at a time as they are seen.
 *
 * <p>Each offer runs two searches. First the <em>newest-first check</em>: the message made of the
 * newest port at every position (indexed) or of the last ports in order (classic). A complete
 * knock is always newest-first once its last port arrives, however much junk the same source sent
 * before it, so this one check per packet lets a knock through junk, a partial earlier knock and
 * any number of retries. It is not charged to the combination budget. Second, the combinations
 * that the new port makes possible, in order of <em>depth</em> (how many newer ports a combination
 * passes over), for junk interleaved with a knock: each is tried at most once, from a budget of
 * {@code maxCombinations} that refills at {@code maxCombinations} per second (so one packet costs
 * at most that many checks, and junk that keeps a source's budget spent leaves it the newest-first
 * check alone). Candidates are never overwritten: a spoofed port for a position adds a
 * combination instead of destroying the real one.
 *
 * <p>Both searches take every message check from a {@link CheckAllowance} (the daemon's budget of
 * tag checks per second); a newest-first check it refuses is kept {@linkplain #hasPending pending}
 * and retried by {@link #retryPending}. When a message's tag verifies, accepted or not, that
 * message's ports are forgotten, and the rest of the sequence stays (a knock replayed by an
 * attacker into a user's knock removes only the replay).
 *
 * <p>But for the verified message's newest port, which is <em>kept</em>: it may belong to a later
 * message as well. A message that lost a port is completed by the first later port that carries
 * the lost byte at its position (1 in 256 per later message), typically the user's next knock,
 * which then needs that port too: without it, a {@code close} sent within SequenceTimeout of a
 * partial {@code open} was swallowed by it. A kept port is a candidate like any other, except that
 * the newest-first message passes over it where its position holds another, it is never the
 * newest port of a message checked (an older partial knock that it would complete now, e.g. an
 * open behind the close that kept it, would be acted on after that later knock), a failed check
 * that includes one raises nothing, and a sequence that holds only kept ports is
 * {@linkplain #onlyKept as good as empty}. Where a kept port lent an accepted knock its byte (the
 * knock then verifies before its own port there has come), that own port, if it is the source's
 * very next port, is held as kept too: it belongs to a decided message, and as a free port it
 * would fail the next knocks' combinations and be reported as a bad tag when the sequence ends
 * (IndexedAssembler). Not thread-safe.
 */
public abstract class SequenceAssembler {
  final KnockDecoder decoder;
  final int source;
  final int destination;
  /** IPv6 source (16 bytes), or null for an IPv4 sequence. */
  final byte[] source6;
  /**
   * IPv6 destination (16 bytes), or null: the destination is the int. Never written: the
   * decoder's copy, which the assemblers of one destination share.
   */
  private final byte[] destination6;
  /**
   * The address a version-2 knock in this sequence must be bound to: where its ports went. Made
   * at the first message check: most sequences (scans) never have one, and each object is one
   * more for the young collections to copy.
   */
  private ServerBinding server;
  final int length;
  /** Combinations tried by the depth search since the sequence was last empty. */
  int tried;
  /** The depth search's budget: up to maxCombinations, refilled at that many per second. */
  private long tokens = -1;
  private long tokensAt;
  /** A newest-first check is owed (refused by the allowance, or ports were just removed). */
  boolean pending;
  /** Ports held that were the newest of a message whose tag verified (see the class comment). */
  int kept;
  /** Marks a stored value (the byte is its low 8 bits) as kept, in the subclasses' tables. */
  static final int KEPT = 0x100;
  /** The newest-first message checked last; made at the first such check (most sources: none). */
  private byte[] lastNewest;
  private boolean lastNewestValid;

  SequenceAssembler(KnockDecoder decoder, int source, int destination) {
    this(decoder, source, destination, null, null);
  }

  SequenceAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
      byte[] destination6) {
    this(decoder, source, destination, source6, destination6,
        decoder.settings().mapping().length());
  }

  /** A sequence of messages of {@code length} bytes (20, or 36 for address mode 2). */
  SequenceAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
      byte[] destination6, int length) {
    this.decoder = decoder;
    this.source = source;
    this.destination = destination;
    this.source6 = source6;
    this.destination6 = destination6;
    this.length = length;
  }

  /** The source address (IPv4 as int). */
  public int source() {
    return source;
  }

  /**
   * The destination address (IPv4 as int; for IPv6 the caller's key for it) the ports were sent
   * to; 0 if unknown.
   */
  public int destination() {
    return destination;
  }

  private ServerBinding server() {
    if (server == null) {
      server = destination6 != null ? ServerBinding.of(destination6)
          : ServerBinding.ipv4(destination);
    }
    return server;
  }

  /** Combinations tried by the depth search since the sequence was last empty. */
  public int combinationsTried() {
    return tried;
  }

  /** True if a newest-first check is owed: {@link #retryPending} should be called. */
  public boolean hasPending() {
    return pending;
  }

  /** Number of distinct ports held. */
  public abstract int size();

  /**
   * True if every port held (if any) is one kept from a message whose tag verified: nothing of
   * this sequence has failed or is waiting to complete that another message does not explain.
   */
  public boolean onlyKept() {
    return size() == kept;
  }

  /** Forgets every port, and the combinations tried. */
  public abstract void clear();

  /**
   * The sliding window: forgets the ports last seen before {@code oldestMillis}.
   */
  public abstract void forgetBefore(long oldestMillis);

  /**
   * Forgets the {@code n} ports seen longest ago: the daemon's backstop for a source whose
   * assembler holds more than its cap of ports after the sliding window (ports of one
   * millisecond, a clock set back).
   */
  public abstract void forgetOldest(int n);

  /**
   * When the kept port seen longest ago was last seen (epoch ms), or {@link Long#MAX_VALUE} if none
   * is held: a kept port may outlive everything else of its sequence, and must still go after
   * the sliding window ({@link #forgetBefore}).
   */
  public abstract long oldestKeptMillis();

  /** {@link #offer(int, Instant, CheckAllowance)} without a budget. */
  public final DecodeResult offer(int port, Instant now) {
    return offer(port, now, CheckAllowance.UNLIMITED);
  }

  /**
   * Adds a destination port seen from this source and tries the newest-first message, then the
   * new combinations in order of depth while the budget and the allowance last.
   *
   * @param port the destination port; ports outside the knock range are ignored
   * @param now the daemon's clock: the port's arrival time and the time window's reference
   * @param allowance the daemon's budget of checks, asked before every message check
   */
  public abstract DecodeResult offer(int port, Instant now, CheckAllowance allowance);

  /** Runs an owed newest-first check; INCOMPLETE if none is owed or nothing is complete. */
  public DecodeResult retryPending(Instant now, CheckAllowance allowance) {
    if (!pending) {
      return DecodeResult.INCOMPLETE;
    }
    pending = false;
    Attempt a = new Attempt(now, allowance);
    newest(a, a.msg);
    return a.result();
  }

  /**
   * Fills {@code msg} with the newest-first message; false if some position has no port yet, or
   * if the message's newest port is a kept one.
   */
  abstract boolean newestMessage(byte[] msg);

  /**
   * Forgets the ports that make up {@code msg} (a message whose tag verified at {@code now},
   * {@code accepted} or refused), but for its newest, which is kept (see the class comment).
   */
  abstract void removeMessage(byte[] msg, boolean accepted, long now);

  /** True if one of the ports that make up {@code msg} (the message being checked) is kept. */
  abstract boolean usesKept(byte[] msg);

  /**
   * The newest-first check: skipped when nothing is complete or when the newest message is the
   * one checked last time. Returns true if it settled the offer (a verified tag).
   */
  final boolean newest(Attempt a, byte[] msg) {
    if (!newestMessage(msg)) {
      return false;
    }
    if (lastNewestValid && java.util.Arrays.equals(msg, lastNewest)) {
      a.checkedNewest = true;
      return false;
    }
    if (!a.allowance.take()) {
      pending = true;
      a.raise(Rejection.DECODER_BUSY);
      return false;
    }
    if (lastNewest == null) {
      lastNewest = new byte[length];
    }
    System.arraycopy(msg, 0, lastNewest, 0, length);
    lastNewestValid = true;
    a.checkedNewest = true;
    return a.check(msg);
  }

  /** Forgets the newest message checked, e.g. after ports were removed. */
  final void resetNewest() {
    lastNewestValid = false;
  }

  /**
   * Takes one combination from the budget and the allowance; false (and the attempt marked as
   * cut short) when either is spent.
   */
  final boolean takeCombination(Attempt a) {
    long max = decoder.settings().maxCombinations();
    long t = a.now.toEpochMilli();
    if (tokens < 0) {
      tokens = max;
    } else if (t > tokensAt) {
      tokens = Math.min(max, tokens + (t - tokensAt) * max / 1000);
    }
    tokensAt = Math.max(tokensAt, t);
    if (tokens == 0) {
      a.raise(Rejection.TOO_MANY_COMBINATIONS);
      return false;
    }
    if (!a.allowance.take()) {
      a.raise(Rejection.DECODER_BUSY);
      return false;
    }
    tokens--;
    tried++;
    return true;
  }

  /** One offer's checks: what was tried and the strongest outcome. */
  final class Attempt {
    final Instant now;
    final CheckAllowance allowance;
    final byte[] msg;
    final Rejection[] worst = new Rejection[1];
    boolean checkedNewest;
    int checked;
    Knock knock;

    Attempt(Instant now, CheckAllowance allowance) {
      this.now = now;
      this.allowance = allowance;
      this.msg = new byte[length];
    }

    void raise(Rejection r) {
      KnockDecoder.raise(worst, r);
    }

    /**
     * Checks one message. If its tag verified (accepted or refused after the tag), its ports are
     * forgotten and the newest-first check of what is left is owed; returns true then.
     */
    boolean check(byte[] m) {
      checked++;
      KnockDecoder.Verdict v = decoder.check(m, source, source6, server(), now);
      if (!v.verified()) {
        if (kept == 0 || !usesKept(m)) { // a kept port's byte may be another message's
          raise(Rejection.BAD_TAG);
        }
        return false;
      }
      if (v.knock() != null) {
        knock = v.knock();
      } else {
        raise(v.refusal());
      }
      removeMessage(m, v.knock() != null, now.toEpochMilli());
      resetNewest();
      pending = size() > kept;
      return true;
    }

    DecodeResult result() {
      if (knock != null) {
        if (size() == kept) {
          tried = 0;
        }
        return DecodeResult.accepted(knock, checked);
      }
      if (worst[0] == null) {
        return DecodeResult.INCOMPLETE;
      }
      return DecodeResult.rejected(worst[0], checked);
    }
  }
}
