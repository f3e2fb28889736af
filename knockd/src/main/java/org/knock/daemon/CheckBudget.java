package org.knock.daemon;

/**
 * The daemon's budget of tag checks per second, shared fairly across sources, so that junk from
 * many sources cannot starve a real knock whatever the number of users. A tag check is one
 * candidate message against one user's key: a message costs as many checks as there are users.
 *
 * <p>Guarantees, per calendar second of the daemon's clock: at most {@code perSecond} checks are
 * spent. Checks asked for by packets may use three quarters of that: the first half first come,
 * first served; past half, a source gets a message only while it has spent less than an equal
 * share of half the budget among the sources that asked this second or the last (and at least one
 * message). The last quarter is kept for the sweep, which serves the checks that packets were
 * refused, sources that spent least this second first ({@link #spentThisSecond(Account, long)}).
 * A real knock needs one message; sources that keep asking run into their share first and queue
 * behind it. The budget is paced through the second: by {@code t} ms into it at most
 * {@code (t + 100) / 1000} of it may be spent (plus the sweep's quarter), so junk cannot spend a
 * whole second's budget in one burst at its start and stall the log reader while the kernel's
 * ring buffer (about 120 ms of a 5,000 SYN/s flood here) overruns. Not thread-safe.
 */
final class CheckBudget {
  /** One source's account: what it spent in which second. */
  static class Account {
    private long second = Long.MIN_VALUE;
    private long spent;
  }

  /** How far ahead of the clock the budget may be spent. */
  static final long PACE_AHEAD_MS = 100;
  private final long perSecond;
  private final long cost;
  private long second = Long.MIN_VALUE;
  private long spent;
  private int spenders;
  private int lastSpenders;
  private long refused;

  /**
   * @param perSecond tag checks per second for the whole daemon
   * @param users the number of keys every message is checked against (at least 1)
   */
  CheckBudget(long perSecond, int users) {
    this.perSecond = perSecond;
    this.cost = Math.max(1, users);
  }

  /**
   * Takes one message for {@code a} at {@code nowMillis}; false (nothing taken) if refused.
   *
   * @param sweep true when the sweep serves an owed check (it may use the last quarter)
   */
  boolean take(Account a, long nowMillis, boolean sweep) {
    long sec = Math.floorDiv(nowMillis, 1000);
    if (sec != second) {
      lastSpenders = sec == second + 1 ? spenders : 0;
      second = sec;
      spent = 0;
      spenders = 0;
    }
    if (a.second != sec) {
      a.second = sec;
      a.spent = 0;
      spenders++;
    }
    long limit = sweep ? perSecond : perSecond - perSecond / 4;
    long into = Math.min(1000, nowMillis - sec * 1000 + PACE_AHEAD_MS);
    long paced = perSecond > (1L << 40) ? Long.MAX_VALUE // no budget at all (tests, tools)
        : perSecond * into / 1000 + (sweep ? perSecond / 4 : 0);
    if (spent + cost > Math.min(limit, paced) && spent > 0) {
      refused++;
      return false;
    }
    if (!sweep && spent + cost > perSecond / 2) {
      long share = perSecond / (2L * Math.max(1, Math.max(spenders, lastSpenders)));
      if (a.spent + cost > Math.max(cost, share)) {
        refused++;
        return false;
      }
    }
    spent += cost;
    a.spent += cost;
    return true;
  }

  /** What {@code a} spent in the second of {@code nowMillis} (0 if it spent nothing then). */
  long spentThisSecond(Account a, long nowMillis) {
    return a.second == Math.floorDiv(nowMillis, 1000) ? a.spent : 0;
  }

  /** Messages refused so far. */
  long refused() {
    return refused;
  }

  /** Checks spent in the current second. */
  long spentThisSecond() {
    return spent;
  }
}
