package io.clip4j.text;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MojibakeHeuristicTest {
    /** The spelled-out \s table is exactly str.isspace over the whole BMP. */
    @Test void pythonSpaceTableIsStrIsspace() {
        for (int c = 0; c < 0x10000; c++) assertEquals(PythonText.isSpace(c), MojibakeHeuristic.PY_SPACE.contains(c), "U+" + Integer.toHexString(c));
        assertFalse(MojibakeHeuristic.PY_SPACE.contains(0x1F600));
    }

    /**
     * The one rule ending in \w, [accented][punctuation]\w: "é»" followed by a word character is bad, by nothing else;
     * as in Python's re, a letter beyond the BMP is a word character and an emoji is not.
     */
    @Test void wordCharacterRule() {
        assertFalse(MojibakeHeuristic.isBad("x\u00E9\u00BB"));
        assertFalse(MojibakeHeuristic.isBad("x\u00E9\u00BB "));
        assertTrue(MojibakeHeuristic.isBad("x\u00E9\u00BBy"));
        assertTrue(MojibakeHeuristic.isBad("x\u00E9\u00BB\uD835\uDC00"));          // U+1D400, a letter
        assertFalse(MojibakeHeuristic.isBad("x\u00E9\u00BB\uD83D\uDE00"));         // U+1F600, an emoji
        assertFalse(MojibakeHeuristic.isBad("a photo of a caf\u00E9"));
    }
}
