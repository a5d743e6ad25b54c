package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.io.DType;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.train.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/** Rewrites a CLIP, SigLIP or SigLIP 2 model in Hugging Face layout, optionally in half precision. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Rewrite a model in Hugging Face layout as F32, F16 or BF16.",
                "Takes CLIP (Hugging Face or OpenCLIP layout), SigLIP and SigLIP 2 models;",
                "F16 is half the size (embeddings change by ~1e-3).",
                "Tokenizer (vocab.json, merges.txt, spiece.model, tokenizer.model, …) and preprocessor files are copied."})
final class ConvertCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--dtype", defaultValue = "F16", description = "F32, F16 or BF16 (default: ${DEFAULT-VALUE}).")
    DType dtype;

    @Spec CommandSpec spec;

    /** preprocessor_config.json and every tokenizer file a model directory may hold (a method: ModelFiles' static
     *  initialiser would otherwise run for every command line, since picocli builds every subcommand). */
    static List<String> copied() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of("preprocessor_config.json"), ModelFiles.TOKENIZER_FILES.stream()).toList();
    }

    @Override public Integer call() throws Exception {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) throw new Clip4jException("--dtype must be F32, F16 or BF16");
        Path src = modelOptions.modelDir();
        if (Files.exists(out) && Files.isSameFile(src, out)) throw new Clip4jException("--out must differ from the model directory " + src);
        try (ClipModel model = ClipModel.load(src)) {
            // the family's layout: CLIP's, or SigLIP's / SigLIP 2's (logit_scale and logit_bias of shape [1], MAP head)
            HfCheckpointWriter.write(out, model.config(), model.params(), model.logitScale(), model.logitBias(), dtype);
        }
        for (String f : copied()) {
            Path p = src.resolve(f);
            if (Files.isRegularFile(p)) {
                Files.copy(p, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                SafeTensors.readableByAll(out.resolve(f));
            }
        }
        spec.commandLine().getErr().printf("wrote %s (%s, %,d bytes of weights)%n", out, dtype, Files.size(out.resolve("model.safetensors")));
        return 0;
    }
}
