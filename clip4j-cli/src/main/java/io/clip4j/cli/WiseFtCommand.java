package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.train.ModelFiles;
import io.clip4j.train.WiseFt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** clip4j wise-ft: weight-space ensembling of two models. */
@Command(name = "wise-ft", mixinStandardHelpOptions = true,
        description = {"WiSE-FT: interpolate the weights of two models.",
                "Writes (1 − α)·FROM + α·TO (every weight, logit_scale and SigLIP's logit_bias) as a new model; both models must have the same architecture. Preprocessing and tokenizer files are taken from TO."})
final class WiseFtCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "DIR", description = "Model A (e.g. the zero-shot model).") Path from;
    @Option(names = "--to", required = true, paramLabel = "DIR", description = "Model B (e.g. the fine-tuned model).") Path to;
    @Option(names = "--alpha", required = true, description = "Weight of B, 0..1.") double alpha;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the interpolated model (Hugging Face layout).") Path out;

    @Override public Integer call() throws Exception {
        if (!(alpha >= 0 && alpha <= 1)) throw new Clip4jException("--alpha must be in [0, 1]");
        try (ClipModel a = ClipModel.load(from, ClipModel.Options.defaults().withWeights(ClipModel.WeightStorage.HEAP)); ClipModel b = ClipModel.load(to)) {
            float ls = WiseFt.interpolateInto(a, b, alpha);
            float lb = (float) ((1 - alpha) * a.logitBias() + alpha * b.logitBias());   // SigLIP's bias (0 for CLIP)
            ModelFiles.write(out, a.config(), a, ls, lb, ModelFiles.preprocessorJson(to, b.config(), ModelFiles.alphaBackground(to)), to);
        }
        System.err.printf("wrote %s = %.3f·%s + %.3f·%s%n", out, 1 - alpha, from, alpha, to);
        return 0;
    }
}
