package io.clip4j.index;

import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.VectorSimilarityFunction;

/** The index's document layout and commit metadata keys. */
final class Fields {
    private Fields() {}

    static final String PATH = "path", SIZE = "size", MTIME = "mtime", SHA = "sha256", WIDTH = "width", HEIGHT = "height", VECTOR = "vector";

    static final String META_FORMAT = "clip4j.format", META_MODEL = "clip4j.model", META_DIM = "clip4j.dim";
    static final String FORMAT = "1";

    static Document document(Entry e, float[] unitVector) {
        Document d = new Document();
        d.add(new StringField(PATH, e.path(), Field.Store.YES));
        d.add(new StoredField(SIZE, e.size()));
        d.add(new StoredField(MTIME, e.mtimeMillis()));
        d.add(new StringField(SHA, e.sha256(), Field.Store.YES));
        d.add(new StoredField(WIDTH, e.width()));
        d.add(new StoredField(HEIGHT, e.height()));
        d.add(new KnnFloatVectorField(VECTOR, unitVector, VectorSimilarityFunction.DOT_PRODUCT));
        return d;
    }

    static Entry entry(Document d) {
        return new Entry(d.get(PATH), d.getField(SIZE).numericValue().longValue(), d.getField(MTIME).numericValue().longValue(),
                d.get(SHA), d.getField(WIDTH).numericValue().intValue(), d.getField(HEIGHT).numericValue().intValue());
    }

    private static final KnnVectorsFormat VECTORS = new ClipHnswVectorsFormat();

    /** Lucene's current codec with the wider-vectors HNSW format. */
    static Codec codec() {
        return new Lucene103Codec() {
            @Override public KnnVectorsFormat getKnnVectorsFormatForField(String field) { return VECTORS; }
        };
    }
}
