package org.knock.daemon;

/**
 * Nodes keyed by an int (an IPv4 source), in least-recently-used order, without boxing: an
 * open-addressing table (linear probing, backward-shift deletion) that grows by doubling, and an
 * intrusive doubly-linked list through the nodes. Lookups allocate nothing. Not thread-safe.
 */
final class LruTable<N extends LruTable.Node> {
  /** What the table holds; a node is in at most one table. */
  abstract static class Node {
    int key;
    Node prev;
    Node next;
  }

  private int[] keys = new int[64];
  private Node[] slots = new Node[64];
  private int size;
  private Node head;
  private Node tail;

  int size() {
    return size;
  }

  /** The node for key, or null. Does not change the order. */
  @SuppressWarnings("unchecked")
  N get(int key) {
    int mask = slots.length - 1;
    for (int i = index(key, mask); slots[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return (N) slots[i];
      }
    }
    return null;
  }

  /** Adds a node whose key is not in the table, as the most recently used. */
  void add(N node) {
    if ((size + 1) * 2 > slots.length) {
      grow();
    }
    insert(node.key, node);
    size++;
    node.prev = tail;
    node.next = null;
    if (tail == null) {
      head = node;
    } else {
      tail.next = node;
    }
    tail = node;
  }

  /** Makes node (in the table) the most recently used. */
  void touch(N node) {
    if (node == tail) {
      return;
    }
    unlink(node);
    node.prev = tail;
    node.next = null;
    tail.next = node;
    tail = node;
  }

  /** Removes key's node, if any; returns it. */
  N remove(int key) {
    int mask = slots.length - 1;
    int i = index(key, mask);
    while (slots[i] != null && keys[i] != key) {
      i = (i + 1) & mask;
    }
    @SuppressWarnings("unchecked")
    N n = (N) slots[i];
    if (n == null) {
      return null;
    }
    slots[i] = null;
    size--;
    unlink(n);
    // backward-shift: move later entries of the probe run into the hole they may have skipped
    for (int j = (i + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
      int k = index(keys[j], mask);
      boolean movable = i <= j ? (k <= i || k > j) : (k <= i && k > j);
      if (movable) {
        keys[i] = keys[j];
        slots[i] = slots[j];
        slots[j] = null;
        i = j;
      }
    }
    return n;
  }

  /** The least recently used node, or null when empty. */
  @SuppressWarnings("unchecked")
  N eldest() {
    return (N) head;
  }

  /** The most recently used node, or null when empty. */
  @SuppressWarnings("unchecked")
  N newest() {
    return (N) tail;
  }

  /** The node used just before n, or null: for walking from {@link #newest}. */
  @SuppressWarnings("unchecked")
  N older(N n) {
    return (N) n.prev;
  }

  /** The node used just after n, or null: for walking from {@link #eldest} (n may be removed after). */
  @SuppressWarnings("unchecked")
  N newer(N n) {
    return (N) n.next;
  }

  private void unlink(Node n) {
    if (n.prev == null) {
      head = n.next;
    } else {
      n.prev.next = n.next;
    }
    if (n.next == null) {
      tail = n.prev;
    } else {
      n.next.prev = n.prev;
    }
    n.prev = null;
    n.next = null;
  }

  private void insert(int key, Node node) {
    int mask = slots.length - 1;
    int i = index(key, mask);
    while (slots[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    slots[i] = node;
  }

  private void grow() {
    int[] oldKeys = keys;
    Node[] old = slots;
    keys = new int[old.length * 2];
    slots = new Node[old.length * 2];
    for (int i = 0; i < old.length; i++) {
      if (old[i] != null) {
        insert(oldKeys[i], old[i]);
      }
    }
  }

  private static int index(int key, int mask) {
    int h = key * 0x9E3779B9;
    return (h ^ (h >>> 16)) & mask;
  }
}
