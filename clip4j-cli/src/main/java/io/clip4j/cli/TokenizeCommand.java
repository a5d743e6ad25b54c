package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.model.ModelConfig;
import io.clip4j.text.Tokenizers;
import io.clip4j.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Token ids as the model sees them. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Print the token ids of each text as the model sees them.",
                "One JSON array per input, one per line,",
                "padded to the model's context length as its processor pads (CLIP: start token, ids, end token,",
                "zeros, 77; SigLIP: ids, </s>, padding to 64; SigLIP 2: ids, <eos>, zeros to 64). Long texts are cut",
                "with the end token kept last."})
final class TokenizeCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--texts-json", paramLabel = "FILE", description = "A JSON array of texts (a UTF-8 file), tokenized after the positional ones.")
    Path textsJson;

    @Parameters(paramLabel = "TEXT", description = "Texts to tokenize.")
    List<String> texts = new ArrayList<>();

    @Spec CommandSpec spec;

    @Override public Integer call() throws IOException {
        List<String> all = new ArrayList<>(texts);
        if (textsJson != null) all.addAll(Json.readStringArray(textsJson));
        if (all.isEmpty()) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "nothing to tokenize: give TEXT or --texts-json");
        Path dir = modelOptions.modelDir();
        ModelConfig config = Files.isRegularFile(dir.resolve("config.json")) ? ModelConfig.fromHfConfig(dir.resolve("config.json"))
                : ModelConfig.fromOpenClipConfig(dir.resolve("open_clip_config.json"));
        Path tokDir = modelOptions.tokenizer != null ? modelOptions.tokenizer : dir;
        Tokenizer tok;
        try {
            tok = Tokenizers.load(tokDir);
        } catch (IOException e) {
            throw new Clip4jException(e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        for (int[] row : tok.tokenize(all, config.text().maxPositions(), true)) out.println(Json.intArray(row));
        return 0;
    }
}
