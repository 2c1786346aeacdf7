package dev.strata.collect;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A map from {@code long} keys to non-null values, open-addressed: two arrays and no object per
 * entry, about 20 bytes an entry where a {@code HashMap<Long, V>} takes 80. It shrinks as
 * entries go, so a table that held a walk's worth of nodes gives its memory back once the
 * kernel forgets them. Not thread-safe: its owners hold their own locks.
 *
 * @param <V> the values; never null
 */
public final class LongMap<V> {
  private static final int MIN_CAPACITY = 16;
  private static final long MIX = 0x9E3779B97F4A7C15L;

  private long[] keys;
  private Object[] values;
  private int size;
  /** 64 minus the table's log2 size: the hash's top bits pick the slot. */
  private int shift;

  public LongMap() {
    allocate(MIN_CAPACITY);
  }

  /** Returns the number of entries. */
  public int size() {
    return size;
  }

  /** Returns the value of {@code key}, or null. */
  @SuppressWarnings("unchecked")
  public V get(long key) {
    int mask = keys.length - 1;
    for (int i = slot(key); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return (V) values[i];
      }
    }
    return null;
  }

  /** Maps {@code key} to {@code value}; returns the value it replaced, or null. */
  @SuppressWarnings("unchecked")
  public V put(long key, V value) {
    Objects.requireNonNull(value, "value");
    int mask = keys.length - 1;
    int i = slot(key);
    for (; values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        V old = (V) values[i];
        values[i] = value;
        return old;
      }
    }
    keys[i] = key;
    values[i] = value;
    if (++size > keys.length * 3 / 4) {
      resize(keys.length * 2);
    }
    return null;
  }

  /** Removes {@code key}; returns its value, or null if it had none. */
  @SuppressWarnings("unchecked")
  public V remove(long key) {
    int mask = keys.length - 1;
    for (int i = slot(key); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        V old = (V) values[i];
        delete(i);
        return old;
      }
    }
    return null;
  }

  /** Removes {@code key} only while it maps to {@code value} (by identity); returns whether it did. */
  public boolean remove(long key, V value) {
    int mask = keys.length - 1;
    for (int i = slot(key); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        if (values[i] != value) {
          return false;
        }
        delete(i);
        return true;
      }
    }
    return false;
  }

  /** Returns the values, in no particular order, as a new list. */
  @SuppressWarnings("unchecked")
  public List<V> values() {
    List<V> out = new ArrayList<>(size);
    for (Object v : values) {
      if (v != null) {
        out.add((V) v);
      }
    }
    return out;
  }

  /**
   * Empties slot {@code i} and moves back the entries after it that probed past it (linear
   * probing's deletion without tombstones), so that lookups never walk over dead slots.
   */
  private void delete(int i) {
    int mask = keys.length - 1;
    int hole = i;
    for (int j = (i + 1) & mask; values[j] != null; j = (j + 1) & mask) {
      int home = slot(keys[j]);
      // The entry at j may fill the hole if its home is not cyclically within (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j];
        values[hole] = values[j];
        hole = j;
      }
    }
    values[hole] = null;
    keys[hole] = 0;
    size--;
    if (keys.length > MIN_CAPACITY && size < keys.length / 8) {
      resize(keys.length / 2);
    }
  }

  private int slot(long key) {
    return (int) ((key * MIX) >>> shift);
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    values = new Object[capacity];
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
  }

  private void resize(int capacity) {
    long[] oldKeys = keys;
    Object[] oldValues = values;
    allocate(capacity);
    int mask = capacity - 1;
    for (int k = 0; k < oldKeys.length; k++) {
      if (oldValues[k] != null) {
        int i = slot(oldKeys[k]);
        while (values[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = oldKeys[k];
        values[i] = oldValues[k];
      }
    }
  }
}
