package io.clip4j.index;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

import java.io.IOException;

/**
 * Lucene's HNSW vectors format (default graph parameters) with a higher dimension limit: Lucene's formats stop at
 * 1024 dimensions, while some CLIP-family embeddings are wider (ViT-bigG-14: 1280, SigLIP So400m: 1152).
 * Registered by name through Java's service loader, so that Lucene finds it again when it reads the index.
 */
public final class ClipHnswVectorsFormat extends KnnVectorsFormat {
    public static final String NAME = "Clip4jHnsw";
    public static final int MAX_DIMENSIONS = 4096;

    private final KnnVectorsFormat delegate = new Lucene99HnswVectorsFormat();

    public ClipHnswVectorsFormat() { super(NAME); }

    @Override public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException { return delegate.fieldsWriter(state); }

    @Override public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException { return delegate.fieldsReader(state); }

    @Override public int getMaxDimensions(String fieldName) { return MAX_DIMENSIONS; }

    @Override public String toString() { return NAME + "(" + delegate + ")"; }
}
