package org.knock.core;

/**
 * What offering one more port to a {@link SequenceAssembler} gave: not yet a complete sequence,
 * an accepted knock, or a rejection with its reason.
 *
 * @param status the outcome
 * @param knock the knock, when accepted
 * @param rejection the reason, when rejected
 * @param combinations how many port combinations this offer tried
 */
public record DecodeResult(Status status, Knock knock, Rejection rejection, int combinations) {
  /** The three outcomes. */
  public enum Status {
    INCOMPLETE,
    ACCEPTED,
    REJECTED
  }

  static final DecodeResult INCOMPLETE = new DecodeResult(Status.INCOMPLETE, null, null, 0);

  static DecodeResult accepted(Knock k, int combinations) {
    return new DecodeResult(Status.ACCEPTED, k, null, combinations);
  }

  static DecodeResult rejected(Rejection r, int combinations) {
    return new DecodeResult(Status.REJECTED, null, r, combinations);
  }

  public boolean isAccepted() {
    return status == Status.ACCEPTED;
  }
}
