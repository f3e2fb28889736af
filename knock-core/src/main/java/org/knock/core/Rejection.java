package org.knock.core;

/**
 * Why a knock sequence was refused, weakest first: a reason later in this list says more (the tag
 * was right, so the sender held a key) and wins when several combinations fail differently.
 */
public enum Rejection {
  /** No combination carried a valid tag for any user's key. */
  BAD_TAG("bad-tag"),
  /** More combinations than the bound would have to be tried (too much junk). */
  TOO_MANY_COMBINATIONS("too-many-combinations"),
  /**
   * The daemon's budget of tag checks was spent (by other sources) when this sequence became
   * complete; its newest-first check waits for a share of the next second's budget.
   */
  DECODER_BUSY("decoder-busy"),
  /** The tag was right but the plaintext has an unknown version or reserved bits set. */
  MALFORMED("malformed"),
  /** The timestamp is older than the time window. */
  STALE("stale"),
  /** The timestamp is further ahead than the time window. */
  FUTURE("future"),
  /** The knock asks to grant another address and the user may not. */
  ADDRESS_NOT_ALLOWED("address-not-allowed"),
  /**
   * The knock was sealed before the server's running kernel booted: its replay record may have
   * been lost with the page cache in a power loss, so it is refused as a possible replay.
   */
  BEFORE_BOOT("before-boot"),
  /** This knock was accepted before. */
  REPLAY("replay"),
  /** The replay cache could not record the knock, so it is refused. */
  REPLAY_STORE_FAILED("replay-store-failed");

  private final String word;

  Rejection(String word) {
    this.word = word;
  }

  /** The word used in the audit log, e.g. {@code bad-tag}. */
  public String word() {
    return word;
  }
}
