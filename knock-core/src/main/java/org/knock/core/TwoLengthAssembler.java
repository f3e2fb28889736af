package org.knock.core;

import java.time.Instant;

/**
 * An indexed sequence that decodes both message lengths: 20-byte knocks (positions 0-19) and
 * 36-byte knocks (address mode 2, an IPv6 address: positions 0-35), for a knock range of 9216
 * ports. Every port goes to a 20-byte and a 36-byte {@link IndexedAssembler}; each keeps its own
 * newest-first check and depth search (a 36-byte knock's first 20 ports cost the 20-byte side one
 * failed check; 20-byte knocks never complete the 36-byte side). A message whose tag verifies on
 * one side leaves both. Not thread-safe.
 */
final class TwoLengthAssembler extends SequenceAssembler {
  private final IndexedAssembler short20;
  private final IndexedAssembler long36;

  TwoLengthAssembler(KnockDecoder decoder, int source, int destination, byte[] source6,
      byte[] destination6) {
    super(decoder, source, destination, source6, destination6);
    short20 = new IndexedAssembler(decoder, source, destination, source6, destination6,
        Sealer.MESSAGE_SIZE);
    long36 = new IndexedAssembler(decoder, source, destination, source6, destination6,
        Sealer.LONG_MESSAGE_SIZE);
    short20.twin = long36;
    long36.twin = short20;
  }

  @Override
  public int size() {
    return Math.max(short20.size(), long36.size()); // the 36-byte side holds every port
  }

  @Override
  public void clear() {
    short20.clear();
    long36.clear();
  }

  @Override
  public void forgetBefore(long oldestMillis) {
    short20.forgetBefore(oldestMillis);
    long36.forgetBefore(oldestMillis);
  }

  @Override
  public void forgetOldest(int n) {
    short20.forgetOldest(n);
    long36.forgetOldest(n);
  }

  @Override
  public long oldestKeptMillis() {
    return Math.min(short20.oldestKeptMillis(), long36.oldestKeptMillis());
  }

  @Override
  public boolean onlyKept() {
    return short20.onlyKept() && long36.onlyKept();
  }

  @Override
  public int combinationsTried() {
    return short20.combinationsTried() + long36.combinationsTried();
  }

  @Override
  public boolean hasPending() {
    return short20.hasPending() || long36.hasPending();
  }

  @Override
  public DecodeResult offer(int port, Instant now, CheckAllowance allowance) {
    // an accepted knock's own port come late: kept on both sides, checked on neither
    if (short20.late(port, now)) {
      long36.keep(port, now);
      return DecodeResult.INCOMPLETE;
    }
    if (long36.late(port, now)) {
      short20.keep(port, now);
      return DecodeResult.INCOMPLETE;
    }
    int before = short20.verified;
    DecodeResult r = short20.offer(port, now, allowance);
    if (short20.verified != before) { // the port was that message's newest: kept on both sides
      long36.keep(port, now);
      return r;
    }
    return both(r, long36.offer(port, now, allowance));
  }

  @Override
  public DecodeResult retryPending(Instant now, CheckAllowance allowance) {
    return both(short20.retryPending(now, allowance), long36.retryPending(now, allowance));
  }

  /** An accepted knock if either side has one, else the stronger refusal; checks add up. */
  private static DecodeResult both(DecodeResult a, DecodeResult b) {
    int n = a.combinations() + b.combinations();
    if (a.isAccepted() || b.isAccepted()) {
      return DecodeResult.accepted(a.isAccepted() ? a.knock() : b.knock(), n);
    }
    Rejection r = a.rejection() == null ? b.rejection() : b.rejection() == null ? a.rejection()
        : a.rejection().ordinal() >= b.rejection().ordinal() ? a.rejection() : b.rejection();
    return r == null ? DecodeResult.INCOMPLETE : DecodeResult.rejected(r, n);
  }

  @Override
  boolean newestMessage(byte[] msg) {
    return false; // each side checks its own
  }

  @Override
  void removeMessage(byte[] msg, boolean accepted, long now) {
    // each side removes its own verified messages (and tells its twin)
  }

  @Override
  boolean usesKept(byte[] msg) {
    return false; // each side checks its own
  }
}
