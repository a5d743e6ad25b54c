package io.clip4j.task;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Checks a top-k answer against independently computed scores, allowing only genuine ties to swap. */
final class Ranking {
    private Ranking() {}

    /**
     * @param ids      the answer's item ids, best first
     * @param scores   the answer's scores
     * @param expected every item's expected score (by id)
     */
    static void assertRanked(List<Integer> ids, List<Double> scores, double[] expected, int k, double eps) {
        assertEquals(Math.min(k, expected.length), ids.size(), "answer size");
        for (int r = 0; r < ids.size(); r++) {
            assertEquals(expected[ids.get(r)], scores.get(r), eps, "score of rank " + r);
            if (r > 0) assertTrue(scores.get(r) <= scores.get(r - 1), "scores descend");
        }
        List<Integer> rest = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) if (!ids.contains(i)) rest.add(i);
        double last = ids.isEmpty() ? Double.POSITIVE_INFINITY : expected[ids.get(ids.size() - 1)];
        for (int i : rest) assertTrue(expected[i] <= last + eps, "item " + i + " (" + expected[i] + ") should be in the top " + k);
    }
}
