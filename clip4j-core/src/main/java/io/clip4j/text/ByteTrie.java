package io.clip4j.text;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;

/**
 * An immutable trie over UTF-8 byte strings with an int value per key, used to enumerate the pieces that
 * start at a position (in order of increasing length, as darts-clone's traverse does) and to find the
 * longest user-defined symbol at a position. Children are stored compactly (sorted labels per node).
 */
final class ByteTrie {
    private final int[] childStart;   // node → first index into labels/targets; size nodes + 1
    private final byte[] labels;
    private final int[] targets;
    private final int[] values;       // node → value, or -1

    private ByteTrie(int[] childStart, byte[] labels, int[] targets, int[] values) {
        this.childStart = childStart;
        this.labels = labels;
        this.targets = targets;
        this.values = values;
    }

    /** Builds the trie; for a key given twice, the first value wins. Values must be non-negative. */
    static ByteTrie build(List<byte[]> keys, int[] keyValues) {
        HashMap<Long, Integer> edges = new HashMap<>();
        int nodes = 1;
        int[] vals = new int[16];
        Arrays.fill(vals, -1);
        for (int k = 0; k < keys.size(); k++) {
            byte[] key = keys.get(k);
            int node = 0;
            for (byte b : key) {
                long e = ((long) node << 8) | (b & 0xFF);
                Integer next = edges.get(e);
                if (next == null) {
                    next = nodes++;
                    edges.put(e, next);
                    if (nodes > vals.length) {
                        int old = vals.length;
                        vals = Arrays.copyOf(vals, old * 2);
                        Arrays.fill(vals, old, vals.length, -1);
                    }
                }
                node = next;
            }
            if (vals[node] < 0) vals[node] = keyValues[k];
        }
        // compressed sparse rows: children of each node sorted by label
        int[] count = new int[nodes + 1];
        for (long e : edges.keySet()) count[(int) (e >>> 8) + 1]++;
        for (int i = 0; i < nodes; i++) count[i + 1] += count[i];
        int[] fill = Arrays.copyOf(count, nodes);
        int m = edges.size();
        long[] packed = new long[m];
        for (var e : edges.entrySet()) {
            int parent = (int) (e.getKey() >>> 8);
            packed[fill[parent]++] = ((e.getKey() & 0xFF) << 32) | e.getValue();
        }
        byte[] labels = new byte[m];
        int[] targets = new int[m];
        for (int node = 0; node < nodes; node++) {
            Arrays.sort(packed, count[node], count[node + 1]);
            for (int i = count[node]; i < count[node + 1]; i++) {
                labels[i] = (byte) (packed[i] >>> 32);
                targets[i] = (int) packed[i];
            }
        }
        return new ByteTrie(count, labels, targets, Arrays.copyOf(vals, nodes));
    }

    /** The child of {@code node} along byte {@code b}, or -1. */
    int child(int node, int b) {
        int lo = childStart[node], hi = childStart[node + 1] - 1;
        b &= 0xFF;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int l = labels[mid] & 0xFF;
            if (l < b) lo = mid + 1;
            else if (l > b) hi = mid - 1;
            else return targets[mid];
        }
        return -1;
    }

    /** The value of the key ending at {@code node}, or -1 if no key ends there. */
    int value(int node) { return values[node]; }

    /** The byte length of the longest key that is a prefix of {@code s[from, to)}, or 0. */
    int longestPrefix(byte[] s, int from, int to) {
        int node = 0, best = 0;
        for (int i = from; i < to; i++) {
            node = child(node, s[i]);
            if (node < 0) break;
            if (values[node] >= 0) best = i - from + 1;
        }
        return best;
    }
}
