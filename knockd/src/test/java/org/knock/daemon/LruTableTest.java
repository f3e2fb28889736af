package org.knock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The table against a LinkedHashMap in access order, over random adds, touches and removes. */
class LruTableTest {
  private static final class Item extends LruTable.Node {
    Item(int key) {
      this.key = key;
    }
  }

  @Test
  void behavesLikeALinkedHashMapInAccessOrder() {
    SplittableRandom r = new SplittableRandom(3);
    LruTable<Item> table = new LruTable<>();
    Map<Integer, Item> model = new LinkedHashMap<>(16, 0.75f, true);
    for (int step = 0; step < 200_000; step++) {
      // few distinct keys, clustered, so that probe runs collide and wrap around
      int key = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(3000) * 64;
      int op = r.nextInt(10);
      Item found = table.get(key);
      assertThat(found).isSameAs(model.get(key)); // the model's get also touches: mirror it
      if (found != null) {
        table.touch(found);
      }
      if (op < 5 && found == null) {
        Item it = new Item(key);
        table.add(it);
        model.put(key, it);
      } else if (op < 8) {
        assertThat(table.remove(key)).isSameAs(model.remove(key));
      } else if (op == 8 && table.size() > 0) {
        Item eldest = table.eldest();
        assertThat(eldest).isSameAs(model.values().iterator().next());
        assertThat(table.remove(eldest.key)).isSameAs(eldest);
        model.remove(eldest.key);
      }
      assertThat(table.size()).isEqualTo(model.size());
    }
    List<Item> order = new ArrayList<>();
    for (Item i = table.eldest(); i != null; i = table.newer(i)) {
      order.add(i);
    }
    assertThat(order).containsExactlyElementsOf(model.values());
  }

  @Test
  void removingWhileWalkingFromTheEldestVisitsEveryNodeOnce() {
    LruTable<Item> table = new LruTable<>();
    for (int k = 0; k < 1000; k++) {
      table.add(new Item(k * 7919));
    }
    int visited = 0;
    for (Item i = table.eldest(); i != null; ) {
      Item next = table.newer(i);
      if (i.key % 2 == 0) {
        table.remove(i.key);
      }
      visited++;
      i = next;
    }
    assertThat(visited).isEqualTo(1000);
    assertThat(table.size()).isEqualTo(500);
    for (int k = 0; k < 1000; k++) {
      assertThat(table.get(k * 7919) != null).isEqualTo((k * 7919) % 2 != 0);
    }
  }
}
