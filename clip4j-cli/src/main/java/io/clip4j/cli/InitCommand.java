package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.io.DType;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.model.Architectures;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.RandomInit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/** Writes a randomly initialised CLIP in Hugging Face layout. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Write a randomly initialised CLIP model (Hugging Face layout: config.json, model.safetensors,",
                "preprocessor_config.json, and the tokenizer files of --tokenizer-from) for training or benchmarks."})
final class InitCommand implements Callable<Integer> {
    @Option(names = "--arch", required = true, description = "Architecture: ${COMPLETION-CANDIDATES}.", completionCandidates = ArchNames.class)
    String arch;

    @Option(names = "--out", required = true, description = "Output directory (created; existing model files are replaced).")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tokenizer-from", description = "Directory whose tokenizer files (vocab.json, merges.txt, …) are copied.")
    Path tokenizerFrom;

    @Option(names = "--dtype", defaultValue = "F32", description = "Storage type: F32, F16 or BF16 (default: ${DEFAULT-VALUE}).")
    DType dtype;

    static final class ArchNames implements Iterable<String> {
        @Override public java.util.Iterator<String> iterator() { return Architectures.ALL.keySet().iterator(); }
    }

    static final List<String> TOKENIZER_FILES = List.of("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json");

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) throw new Clip4jException("--dtype must be F32, F16 or BF16");
        ModelConfig config = Architectures.byName(arch);
        if (tokenizerFrom != null) {
            for (String f : List.of("vocab.json", "merges.txt")) {
                if (!Files.isRegularFile(tokenizerFrom.resolve(f))) throw new Clip4jException("tokenizer file missing: " + tokenizerFrom.resolve(f));
            }
            // the token embedding table gets one row per token of the tokenizer (e.g. a vocabulary learned for the data)
            io.clip4j.text.ClipBpeTokenizer tok = io.clip4j.text.ClipBpeTokenizer.load(tokenizerFrom);
            config = Architectures.withVocab(config, tok.vocabSize(), tok.sotId(), tok.eotId(), config.text().padId());
        }
        ClipModel model = new ClipModel(config, new RandomInit(config, seed), config.logitScaleInit());
        HfCheckpointWriter.write(out, config, model.params(), model.logitScale(), dtype);
        HfCheckpointWriter.writeJson(out.resolve("preprocessor_config.json"), io.clip4j.train.ModelFiles.clipPreprocessorJson(config.vision().imageSize()));
        if (tokenizerFrom != null) {
            for (String f : TOKENIZER_FILES) {
                Path src = tokenizerFrom.resolve(f);
                if (Files.isRegularFile(src)) {
                    Files.copy(src, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                    io.clip4j.io.SafeTensors.readableByAll(out.resolve(f));
                }
            }
        }
        long params = model.params().stream().mapToLong(p -> p.numel()).sum() + 1;
        spec.commandLine().getErr().printf("wrote %s: %s, %,d parameters, seed %d%n", out, arch, params, seed);
        return 0;
    }
}
