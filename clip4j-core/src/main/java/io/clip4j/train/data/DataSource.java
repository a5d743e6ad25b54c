package io.clip4j.train.data;

import java.util.Iterator;

/** Image–caption pairs, epoch by epoch, in an order fixed by (seed, epoch): resumable at any position. */
public interface DataSource {
    /**
     * The samples of one epoch in order, starting after the first {@code skip} of them (resuming mid-epoch).
     * The order and the captions depend only on (seed, epoch, shuffle).
     */
    Iterator<Sample> epoch(int epoch, long seed, boolean shuffle, long skip);

    /** Samples per epoch. */
    long size();
}
