package io.clip4j.model;

import io.clip4j.nn.Param;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The SigLIP architectures of {@code clip4j init}: shapes, vocabulary from the tokenizer, initialisation. */
class ArchitecturesTest {

    @Test void realShapedSiglipBaseIsViTB16() {
        ModelConfig c = Architectures.byName("siglip-b-16");
        assertEquals(Family.SIGLIP, c.family());
        assertEquals(224, c.vision().imageSize());
        assertEquals(16, c.vision().patchSize());
        assertEquals(196, c.vision().numPatches());
        TowerConfig v = c.vision().tower(), t = c.text().tower();
        assertArrayEquals(new int[]{768, 3072, 12, 12}, new int[]{v.hiddenSize(), v.intermediateSize(), v.numLayers(), v.numHeads()});
        assertArrayEquals(new int[]{768, 3072, 12, 12}, new int[]{t.hiddenSize(), t.intermediateSize(), t.numLayers(), t.numHeads()});
        assertEquals(64, c.text().maxPositions());
        assertEquals(768, c.projectionDim());
        assertEquals(Activation.GELU_TANH, v.activation());
        ModelConfig n = Architectures.byName("siglip2-b-16");
        assertEquals(Family.SIGLIP2, n.family());
        assertEquals(256, n.vision().numPatches(), "a 16 × 16 position grid");
    }

    @Test void tinySiglipsTakeTheTokenizersVocabularyAndInitialiseEveryParameter() throws Exception {
        String[][] cases = {{"siglip-tiny", "siglip/siglip_tiny", "800", "1", "1"}, {"siglip2-tiny", "siglip/siglip2_tiny", "1000", "1", "0"}};
        for (String[] c : cases) {
            ModelConfig config = Architectures.forTokenizer(Architectures.byName(c[0]), Fixtures.path(c[1]));
            assertEquals(Integer.parseInt(c[2]), config.text().vocabSize(), c[0] + " vocabulary = the SentencePiece model's pieces");
            assertEquals(Integer.parseInt(c[3]), config.text().eosId());
            assertEquals(Integer.parseInt(c[4]), config.text().padId());
            ClipModel m = new ClipModel(config, new RandomInit(config, 3), config.logitScaleInit(), Architectures.logitBiasInit(config));
            assertEquals(-10f, m.logitBias());
            assertEquals((float) Math.log(10), m.logitScale(), 1e-6f);
            for (Param p : m.params()) {
                double sum = 0, sq = 0;
                for (float x : p.data) { assertTrue(Float.isFinite(x), p.name); sum += x; sq += (double) x * x; }
                double mean = sum / p.data.length, std = Math.sqrt(sq / p.data.length - mean * mean);
                if (p.name.endsWith("bias")) assertEquals(0.0, sq, p.name + " starts at 0");
                else if (p.name.contains("norm") && p.name.endsWith(".weight")) assertEquals(p.data.length, sum, 1e-6, p.name + " starts at 1");
                else assertTrue(std > 1e-3 && std < 0.5, p.name + ": std " + std);
            }
            // same seed, same weights
            ClipModel again = new ClipModel(config, new RandomInit(config, 3), config.logitScaleInit());
            for (int i = 0; i < m.params().size(); i++) assertArrayEquals(m.params().get(i).data, again.params().get(i).data);
        }
    }
}
