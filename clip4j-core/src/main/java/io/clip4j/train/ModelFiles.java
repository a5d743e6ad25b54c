package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;
import io.clip4j.image.PreprocessConfig;
import io.clip4j.io.DType;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The files of a trained model directory (Hugging Face layout, loadable by {@link ClipModel#load} and every CLI
 * command): config.json, model.safetensors (F32), preprocessor_config.json, the tokenizer files.
 *
 * <p>{@code --alpha-background} is recorded in preprocessor_config.json as {@code "alpha_background": [r, g, b]}
 * (a clip4j key; Hugging Face ignores unknown keys). {@link #preprocessConfig} reads it back.
 */
public final class ModelFiles {
    private ModelFiles() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Tokenizer files copied along with a model (whichever exist). */
    public static final List<String> TOKENIZER_FILES = List.of("vocab.json", "merges.txt", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.json", "spiece.model", "tokenizer.model", "added_tokens.json");

    /** The clip4j key of preprocessor_config.json holding the background colour transparent images are composited onto. */
    public static final String ALPHA_BACKGROUND_KEY = "alpha_background";

    /** Writes the model (weights with the given logit_scale, the model's own logit bias) and its companion files. */
    public static void write(Path dir, ModelConfig config, ClipModel model, float logitScale, ObjectNode preprocessorJson, Path tokenizerDir) throws IOException {
        write(dir, config, model, logitScale, model.logitBias(), preprocessorJson, tokenizerDir);
    }

    /**
     * Writes the model (weights with the given logit_scale and, for SigLIP families, logit_bias) and its companion
     * files into dir (each file atomically).
     */
    public static void write(Path dir, ModelConfig config, ClipModel model, float logitScale, float logitBias, ObjectNode preprocessorJson,
                             Path tokenizerDir) throws IOException {
        boolean same = tokenizerDir != null && tokenizerDir.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize());
        write(dir, config, model, logitScale, logitBias, preprocessorJson, tokenizerDir == null || same ? null : TokenizerFiles.read(tokenizerDir));
    }

    /** As above, with the tokenizer files taken from memory (null: none written). */
    public static void write(Path dir, ModelConfig config, ClipModel model, float logitScale, float logitBias, ObjectNode preprocessorJson,
                             TokenizerFiles tokenizer) throws IOException {
        Files.createDirectories(dir);
        HfCheckpointWriter.write(dir, config, model.params(), logitScale, logitBias, DType.F32);
        HfCheckpointWriter.writeJson(dir.resolve("preprocessor_config.json"), preprocessorJson);
        if (tokenizer != null) tokenizer.writeTo(dir);
    }

    /**
     * The tokenizer files of a directory ({@link #TOKENIZER_FILES}, whichever exist), read into memory. A training run
     * writes them into every checkpoint and into its final model, while the directory they came from (the checkpoint it
     * resumed from, a model under its own output) may be replaced or pruned by that same run: so it reads them once,
     * at its start.
     */
    public record TokenizerFiles(java.util.Map<String, byte[]> files) {
        public static TokenizerFiles read(Path dir) throws IOException {
            java.util.Map<String, byte[]> m = new java.util.LinkedHashMap<>();
            for (String f : TOKENIZER_FILES) {
                Path src = dir.resolve(f);
                if (Files.isRegularFile(src)) m.put(f, Files.readAllBytes(src));
            }
            return new TokenizerFiles(java.util.Collections.unmodifiableMap(m));
        }

        /** Writes each file into dir atomically ({@link HfCheckpointWriter#writeAtomically}). */
        public void writeTo(Path dir) throws IOException {
            for (var e : files.entrySet()) HfCheckpointWriter.writeAtomically(dir.resolve(e.getKey()), e.getValue());
        }
    }

    /**
     * Removes the temporary files an interrupted {@link #write} can leave in dir: {@code .NAME.….tmp} for each file it
     * writes (each is written to such a file and renamed into place).
     */
    public static void cleanTemporaries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        List<String> names = new java.util.ArrayList<>(List.of("model.safetensors", "config.json", "preprocessor_config.json"));
        names.addAll(TOKENIZER_FILES);
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!n.endsWith(".tmp") || !Files.isRegularFile(p)) continue;
                for (String f : names) if (n.startsWith("." + f + ".")) { Files.deleteIfExists(p); break; }
            }
        }
    }

    public static void copyTokenizer(Path from, Path to) throws IOException {
        if (from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) return;
        TokenizerFiles.read(from).writeTo(to);
    }

    /** preprocessor_config.json as Hugging Face's CLIPImageProcessor writes it, for image size n. */
    public static ObjectNode clipPreprocessorJson(int size) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("crop_size").put("height", size).put("width", size);
        n.put("do_center_crop", true).put("do_convert_rgb", true).put("do_normalize", true).put("do_rescale", true).put("do_resize", true);
        n.put("image_processor_type", "CLIPImageProcessor");
        n.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        n.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        n.put("resample", 3);
        n.put("rescale_factor", 1.0 / 255);
        n.putObject("size").put("shortest_edge", size);
        return n;
    }

    /** preprocessor_config.json as Hugging Face's SiglipImageProcessor writes it, for image size n. */
    public static ObjectNode siglipPreprocessorJson(int size) {
        ObjectNode n = JSON.createObjectNode();
        n.put("do_convert_rgb", true).put("do_normalize", true).put("do_rescale", true).put("do_resize", true);
        n.put("image_processor_type", "SiglipImageProcessor");
        n.putArray("image_mean").add(0.5).add(0.5).add(0.5);
        n.putArray("image_std").add(0.5).add(0.5).add(0.5);
        n.put("processor_class", "SiglipProcessor");
        n.put("resample", 3);
        n.put("rescale_factor", 1.0 / 255);
        n.putObject("size").put("height", size).put("width", size);
        return n;
    }

    /**
     * preprocessor_config.json as Hugging Face's Siglip2ImageProcessor (NaFlex) writes it: patch size P, at most
     * maxNumPatches patches per image, bilinear, mean = std = 0.5.
     */
    public static ObjectNode siglip2PreprocessorJson(int patchSize, int maxNumPatches) {
        ObjectNode n = JSON.createObjectNode();
        n.put("do_convert_rgb", true).put("do_normalize", true).put("do_rescale", true).put("do_resize", true);
        n.put("image_processor_type", "Siglip2ImageProcessor");
        n.putArray("image_mean").add(0.5).add(0.5).add(0.5);
        n.putArray("image_std").add(0.5).add(0.5).add(0.5);
        n.put("max_num_patches", maxNumPatches);
        n.put("patch_size", patchSize);
        n.put("processor_class", "Siglip2Processor");
        n.put("resample", 2);
        n.put("rescale_factor", 1.0 / 255);
        return n;
    }

    /**
     * The source directory's preprocessor_config.json or, without one, the family's defaults for config (CLIP's or
     * SigLIP's image processor at the model's image size; for SigLIP 2 NaFlex, Siglip2ImageProcessor with
     * max_num_patches = the model's position grid, G²), with alpha_background set when given.
     */
    public static ObjectNode preprocessorJson(Path sourceDir, ModelConfig config, int[] alphaBackground) {
        if (config.family() != Family.SIGLIP2) return preprocessorJson(sourceDir, config.family(), config.vision().imageSize(), alphaBackground);
        ObjectNode n = readPreprocessorJson(sourceDir);
        if (n == null) n = siglip2PreprocessorJson(config.vision().patchSize(), config.vision().numPatches());
        if (alphaBackground != null) {
            ArrayNode a = n.putArray(ALPHA_BACKGROUND_KEY);
            for (int v : alphaBackground) a.add(v);
        }
        return n;
    }

    private static ObjectNode readPreprocessorJson(Path sourceDir) {
        if (sourceDir == null || !Files.isRegularFile(sourceDir.resolve("preprocessor_config.json"))) return null;
        try {
            JsonNode j = JSON.readTree(sourceDir.resolve("preprocessor_config.json").toFile());
            return j instanceof ObjectNode o ? o : null;
        } catch (IOException e) {
            throw new Clip4jException("cannot read " + sourceDir.resolve("preprocessor_config.json") + ": " + e.getMessage(), e);
        }
    }

    /** The source directory's preprocessor_config.json (or CLIP's defaults), with alpha_background set or removed. */
    public static ObjectNode preprocessorJson(Path sourceDir, int imageSize, int[] alphaBackground) {
        return preprocessorJson(sourceDir, Family.CLIP, imageSize, alphaBackground);
    }

    /**
     * The source directory's preprocessor_config.json (or the family's defaults: CLIP's or SigLIP's image processor),
     * with alpha_background set or removed.
     */
    public static ObjectNode preprocessorJson(Path sourceDir, Family family, int imageSize, int[] alphaBackground) {
        ObjectNode n = readPreprocessorJson(sourceDir);
        if (n == null) n = family == Family.CLIP ? clipPreprocessorJson(imageSize) : siglipPreprocessorJson(imageSize);
        if (alphaBackground != null) {
            ArrayNode a = n.putArray(ALPHA_BACKGROUND_KEY);
            for (int v : alphaBackground) a.add(v);
        }
        return n;
    }

    /** alpha_background of a model directory's preprocessor_config.json, or null. */
    public static int[] alphaBackground(Path dir) {
        Path f = dir == null ? null : dir.resolve("preprocessor_config.json");
        if (f == null || !Files.isRegularFile(f)) return null;
        try {
            JsonNode a = JSON.readTree(f.toFile()).get(ALPHA_BACKGROUND_KEY);
            if (a == null || a.isNull()) return null;
            if (!a.isArray() || a.size() != 3) throw new Clip4jException(f + ": " + ALPHA_BACKGROUND_KEY + " must be [r, g, b]");
            return new int[]{a.get(0).asInt(), a.get(1).asInt(), a.get(2).asInt()};
        } catch (IOException e) {
            throw new Clip4jException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /**
     * The fixed-resolution preprocessing of a model directory including alpha_background, or null when the directory
     * has no preprocessor_config.json. As written there: {@link #preprocessConfig(Path, Family, int)} adds what the
     * family's processor does beyond the file.
     */
    public static PreprocessConfig preprocessConfig(Path dir) {
        Path f = dir.resolve("preprocessor_config.json");
        if (!Files.isRegularFile(f)) return null;
        PreprocessConfig p = PreprocessConfig.fromHfFile(f);
        int[] bg = alphaBackground(dir);
        return bg == null ? p : p.withAlphaBackground(bg[0], bg[1], bg[2]);
    }

    /**
     * The fixed-resolution preprocessing a model of this family gets from dir, as {@link ClipModel#load} builds it:
     * the directory's preprocessor_config.json (SigLIP's processor converting to RGB before the resize), or the
     * family's defaults at imageSize (CLIP: resize the shorter side + centre crop; SigLIP: resize to the square) when
     * dir is null or has none.
     */
    public static PreprocessConfig preprocessConfig(Path dir, Family family, int imageSize) {
        PreprocessConfig p = dir == null ? null : preprocessConfig(dir);
        if (p == null) return family == Family.CLIP ? PreprocessConfig.clip(imageSize) : PreprocessConfig.siglip(imageSize);
        return family == Family.CLIP ? p : p.withConvertRgbFirst(true);
    }

    /**
     * Loads a model directory (an optional separate tokenizer folder). alpha_background in its preprocessor_config.json
     * is honoured by the loader itself ({@link PreprocessConfig#fromHfJson} reads it).
     */
    public static ClipModel load(Path dir, Path tokenizerDir) {
        ClipModel.Options o = ClipModel.Options.defaults().withWeights(ClipModel.WeightStorage.HEAP);
        if (tokenizerDir != null) o = o.withTokenizerDir(tokenizerDir);
        return ClipModel.load(dir, o);
    }

    /** Parses "white", "black", "#rrggbb" or "r,g,b". */
    public static int[] parseColor(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        switch (t) {
            case "white": return new int[]{255, 255, 255};
            case "black": return new int[]{0, 0, 0};
            case "gray", "grey": return new int[]{128, 128, 128};
            case "none": return null;
            default:
        }
        try {
            if (t.startsWith("#") && t.length() == 7) {
                int v = Integer.parseInt(t.substring(1), 16);
                return new int[]{(v >> 16) & 255, (v >> 8) & 255, v & 255};
            }
            String[] p = t.split(",");
            if (p.length == 3) {
                int[] c = {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Integer.parseInt(p[2].trim())};
                for (int v : c) if (v < 0 || v > 255) throw new NumberFormatException();
                return c;
            }
        } catch (NumberFormatException ignored) {
        }
        throw new Clip4jException("invalid colour \"" + s + "\": use white, black, gray, #rrggbb or r,g,b");
    }
}
