package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ModelConfig;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** The options every model-using command shares. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR", description = "Model directory (Hugging Face or OpenCLIP layout).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Directory with vocab.json and merges.txt, when the model directory has none.")
    Path tokenizer;

    Path modelDir() {
        if (model == null) throw new Clip4jException("no model given: pass --model DIR (a Hugging Face or OpenCLIP model directory)");
        if (!Files.isDirectory(model)) throw new Clip4jException("model directory not found: " + model);
        if (!ModelConfig.isModelDir(model)) throw new Clip4jException(model + " is not a model directory: expected config.json (Hugging Face) or open_clip_config.json (OpenCLIP)");
        return model;
    }

    ClipModel load() {
        ClipModel.Options o = ClipModel.Options.defaults();
        if (tokenizer != null) o = o.withTokenizerDir(tokenizer);
        return ClipModel.load(modelDir(), o);
    }
}
