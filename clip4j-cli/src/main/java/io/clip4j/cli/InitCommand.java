package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.io.DType;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.model.Architectures;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.RandomInit;
import io.clip4j.train.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

/** Writes a randomly initialised CLIP, SigLIP or SigLIP 2 (NaFlex) model in Hugging Face layout. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Write a randomly initialised CLIP, SigLIP or SigLIP 2 model.",
                "Hugging Face layout (config.json, model.safetensors, preprocessor_config.json",
                "and the tokenizer files of --tokenizer-from), for training or benchmarks.",
                "CLIP architectures take CLIP's BPE (vocab.json + merges.txt); SigLIP ones",
                "(siglip-*, siglip2-*) a SentencePiece tokenizer (spiece.model or",
                "tokenizer.model, e.g. a SigLIP model directory). The text vocabulary follows",
                "the tokenizer."})
final class InitCommand implements Callable<Integer> {
    @Option(names = "--arch", required = true, description = "Architecture: ${COMPLETION-CANDIDATES}.", completionCandidates = ArchNames.class)
    String arch;

    @Option(names = "--out", required = true, description = "Output directory (created; existing model files are replaced).")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tokenizer-from", description = "Directory whose tokenizer files (vocab.json + merges.txt, spiece.model, tokenizer.model, …) are copied.")
    Path tokenizerFrom;

    @Option(names = "--dtype", defaultValue = "F32", description = "Storage type: F32, F16 or BF16 (default: ${DEFAULT-VALUE}).")
    DType dtype;

    static final class ArchNames implements Iterable<String> {
        @Override public java.util.Iterator<String> iterator() { return Architectures.ALL.keySet().iterator(); }
    }

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) throw new Clip4jException("--dtype must be F32, F16 or BF16");
        ModelConfig config = Architectures.byName(arch);
        // the token embedding table gets one row per token of the tokenizer (e.g. a vocabulary learned for the data)
        if (tokenizerFrom != null) config = Architectures.forTokenizer(config, tokenizerFrom);
        ClipModel model = new ClipModel(config, new RandomInit(config, seed), config.logitScaleInit(), Architectures.logitBiasInit(config));
        HfCheckpointWriter.write(out, config, model.params(), model.logitScale(), model.logitBias(), dtype);
        HfCheckpointWriter.writeJson(out.resolve("preprocessor_config.json"), ModelFiles.preprocessorJson(null, config, null));
        if (tokenizerFrom != null) {
            for (String f : ModelFiles.TOKENIZER_FILES) {
                Path src = tokenizerFrom.resolve(f);
                if (Files.isRegularFile(src)) {
                    Files.copy(src, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                    io.clip4j.io.SafeTensors.readableByAll(out.resolve(f));
                }
            }
        }
        long params = model.params().stream().mapToLong(p -> p.numel()).sum() + (config.family() == io.clip4j.model.Family.CLIP ? 1 : 2);
        spec.commandLine().getErr().printf("wrote %s: %s (%s), %,d parameters, seed %d%n", out, arch, config.family(), params, seed);
        return 0;
    }
}
