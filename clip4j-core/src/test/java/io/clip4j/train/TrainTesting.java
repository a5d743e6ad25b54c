package io.clip4j.train;

import io.clip4j.io.DType;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.model.Activation;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.RandomInit;
import io.clip4j.model.TextConfig;
import io.clip4j.model.TowerConfig;
import io.clip4j.model.VisionConfig;
import io.clip4j.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Helpers for the trainer tests: a very small CLIP, small tables over the shared emoji images. */
public final class TrainTesting {
    private TrainTesting() {}

    /** Vision 64 wide × 1 layer on 32 px images (patch 8), text 32 wide × 1 layer × 2 heads, CLIP vocabulary, E = 32. */
    public static ModelConfig micro() {
        return new ModelConfig(Family.CLIP, 32,
                new VisionConfig(new TowerConfig(64, 256, 1, 1, 1e-5f, Activation.QUICK_GELU), 32, 8, 3),
                new TextConfig(new TowerConfig(32, 128, 1, 2, 1e-5f, Activation.QUICK_GELU), 49408, 77, 49406, 49407, 1), 2.6592f);
    }

    /** The fixture tokenizer (CLIP BPE) folder. */
    public static Path tokenizerDir() { return Fixtures.path("models/tiny/hf"); }

    /** Writes a randomly initialised micro model (HF layout, with the CLIP tokenizer files) into dir. */
    public static Path microModel(Path dir, long seed) throws IOException {
        ModelConfig c = micro();
        ClipModel m = new ClipModel(c, new RandomInit(c, seed), c.logitScaleInit());
        HfCheckpointWriter.write(dir, c, m.params(), m.logitScale(), DType.F32);
        HfCheckpointWriter.writeJson(dir.resolve("preprocessor_config.json"), ModelFiles.clipPreprocessorJson(32));
        ModelFiles.copyTokenizer(tokenizerDir(), dir);
        return dir;
    }

    /** A copy of the SigLIP fixture model siglip/siglip_tiny in dir (training writes next to it; the fixture stays untouched). */
    public static Path siglipModel(Path dir) throws IOException {
        Path src = Fixtures.path("siglip/siglip_tiny");
        Files.createDirectories(dir);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    /**
     * A micro model (vision as {@link #micro()}) with its own small BPE vocabulary (614 symbols, learnt from the
     * captions of table): a few hundred KB on disk, so checkpoints are quick to write and to load.
     */
    public static Path microModelSmallVocab(Path dir, long seed, Path table) throws IOException {
        List<String> captions = new ArrayList<>();
        for (String l : Files.readAllLines(table)) captions.add(l.substring(l.indexOf('\t') + 1));
        io.clip4j.text.BpeVocabulary v = io.clip4j.text.BpeTrainer.train(captions, io.clip4j.text.BpeTrainer.MIN_VOCAB_SIZE + 100);
        v.write(dir);
        io.clip4j.text.ClipBpeTokenizer tok = io.clip4j.text.ClipBpeTokenizer.load(dir);
        ModelConfig c = io.clip4j.model.Architectures.withVocab(micro(), tok.vocabSize(), tok.sotId(), tok.eotId(), 0);
        ClipModel m = new ClipModel(c, new RandomInit(c, seed), c.logitScaleInit());
        HfCheckpointWriter.write(dir, c, m.params(), m.logitScale(), DType.F32);
        HfCheckpointWriter.writeJson(dir.resolve("preprocessor_config.json"), ModelFiles.clipPreprocessorJson(32));
        return dir;
    }

    public static Path emojiRoot() { return Fixtures.repoRoot().resolve("../shared/data/emoji").normalize(); }

    /** The first n images of the emoji captions.tsv (all their captions), as a table in dir with absolute paths. */
    public static Path emojiTable(Path dir, String name, int n) throws IOException {
        Path root = emojiRoot();
        List<String> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (String l : Files.readAllLines(root.resolve("captions.tsv"))) {
            String p = l.substring(0, l.indexOf('\t'));
            if (!seen.contains(p)) {
                if (seen.size() == n) break;
                seen.add(p);
            }
            out.add(root.resolve(p) + l.substring(l.indexOf('\t')));
        }
        Path t = dir.resolve(name);
        Files.write(t, out);
        return t;
    }
}
