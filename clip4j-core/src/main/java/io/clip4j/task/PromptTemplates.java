package io.clip4j.task;

import io.clip4j.Clip4jException;
import io.clip4j.text.TextInput;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prompt templates for zero-shot classification: each turns a label into a caption. A template holds the
 * placeholder {@code {}} or {@code {c}} once or more, where the label goes.
 *
 * <p>Built-in sets: {@link #imagenet()} (the 80 ImageNet templates of the CLIP paper, as in OpenAI's notebook
 * "Prompt_Engineering_for_ImageNet" and OpenCLIP's {@code OPENAI_IMAGENET_TEMPLATES}), {@link #simple()} (the
 * 7-template subset that notebook singles out, OpenCLIP's {@code SIMPLE_IMAGENET_TEMPLATES}), {@link #single()}
 * ("a photo of a {}.") and {@link #none()} (the label alone).
 */
public final class PromptTemplates {
    private final String name;
    private final List<String> templates;

    private PromptTemplates(String name, List<String> templates) {
        if (templates.isEmpty()) throw new Clip4jException("no prompt templates" + (name == null ? "" : " in " + name));
        for (String t : templates) {
            if (!t.contains("{}") && !t.contains("{c}")) {
                throw new Clip4jException("prompt template \"" + t + "\"" + (name == null ? "" : " in " + name)
                        + " has no placeholder: write {} (or {c}) where the label goes");
            }
        }
        this.name = name;
        this.templates = List.copyOf(templates);
    }

    /** The 80 templates of the CLIP paper's ImageNet ensemble, in the published order. */
    public static final List<String> IMAGENET = List.of(
            "a bad photo of a {}.",
            "a photo of many {}.",
            "a sculpture of a {}.",
            "a photo of the hard to see {}.",
            "a low resolution photo of the {}.",
            "a rendering of a {}.",
            "graffiti of a {}.",
            "a bad photo of the {}.",
            "a cropped photo of the {}.",
            "a tattoo of a {}.",
            "the embroidered {}.",
            "a photo of a hard to see {}.",
            "a bright photo of a {}.",
            "a photo of a clean {}.",
            "a photo of a dirty {}.",
            "a dark photo of the {}.",
            "a drawing of a {}.",
            "a photo of my {}.",
            "the plastic {}.",
            "a photo of the cool {}.",
            "a close-up photo of a {}.",
            "a black and white photo of the {}.",
            "a painting of the {}.",
            "a painting of a {}.",
            "a pixelated photo of the {}.",
            "a sculpture of the {}.",
            "a bright photo of the {}.",
            "a cropped photo of a {}.",
            "a plastic {}.",
            "a photo of the dirty {}.",
            "a jpeg corrupted photo of a {}.",
            "a blurry photo of the {}.",
            "a photo of the {}.",
            "a good photo of the {}.",
            "a rendering of the {}.",
            "a {} in a video game.",
            "a photo of one {}.",
            "a doodle of a {}.",
            "a close-up photo of the {}.",
            "a photo of a {}.",
            "the origami {}.",
            "the {} in a video game.",
            "a sketch of a {}.",
            "a doodle of the {}.",
            "a origami {}.",
            "a low resolution photo of a {}.",
            "the toy {}.",
            "a rendition of the {}.",
            "a photo of the clean {}.",
            "a photo of a large {}.",
            "a rendition of a {}.",
            "a photo of a nice {}.",
            "a photo of a weird {}.",
            "a blurry photo of a {}.",
            "a cartoon {}.",
            "art of a {}.",
            "a sketch of the {}.",
            "a embroidered {}.",
            "a pixelated photo of a {}.",
            "itap of the {}.",
            "a jpeg corrupted photo of the {}.",
            "a good photo of a {}.",
            "a plushie {}.",
            "a photo of the nice {}.",
            "a photo of the small {}.",
            "a photo of the weird {}.",
            "the cartoon {}.",
            "art of the {}.",
            "a drawing of the {}.",
            "a photo of the large {}.",
            "a black and white photo of a {}.",
            "the plushie {}.",
            "a dark photo of a {}.",
            "itap of a {}.",
            "graffiti of the {}.",
            "a toy {}.",
            "itap of my {}.",
            "a photo of a cool {}.",
            "a photo of a small {}.",
            "a tattoo of the {}.");

    /** The 7-template subset of {@link #IMAGENET} selected in OpenAI's prompt-engineering notebook. */
    public static final List<String> SIMPLE = List.of(
            "itap of a {}.",
            "a bad photo of the {}.",
            "a origami {}.",
            "a photo of the large {}.",
            "a {} in a video game.",
            "art of the {}.",
            "a photo of the small {}.");

    public static final String PHOTO = "a photo of a {}.";

    public static PromptTemplates imagenet() { return new PromptTemplates("imagenet", IMAGENET); }
    public static PromptTemplates simple() { return new PromptTemplates("simple", SIMPLE); }
    public static PromptTemplates single() { return new PromptTemplates("single", List.of(PHOTO)); }
    /** The label itself as the caption. */
    public static PromptTemplates none() { return new PromptTemplates("none", List.of("{}")); }

    /** Custom templates, each with a {@code {}} or {@code {c}} placeholder. */
    public static PromptTemplates of(List<String> templates) { return new PromptTemplates(null, templates); }

    public static PromptTemplates of(String... templates) { return of(List.of(templates)); }

    /** The names {@link #named} accepts. */
    public static final List<String> NAMES = List.of("imagenet", "simple", "single", "none");

    /** A built-in set by name: imagenet, simple, single, none. */
    public static PromptTemplates named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "imagenet" -> imagenet();
            case "simple" -> simple();
            case "single" -> single();
            case "none" -> none();
            default -> throw new Clip4jException("unknown template set \"" + name + "\": expected one of " + NAMES + " or a file");
        };
    }

    /**
     * Templates from a UTF-8 file: a JSON array of strings, or plain text with one template per line (blank lines and
     * lines starting with {@code #} are skipped).
     */
    public static PromptTemplates fromFile(Path file) {
        String text;
        try {
            text = TextInput.readUtf8(file);
        } catch (NoSuchFileException e) {
            throw new Clip4jException("template file not found: " + file);
        } catch (IOException e) {
            throw new Clip4jException("cannot read template file " + file + ": " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        if (text.stripLeading().startsWith("[")) {
            try {
                var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
                for (var n : node) {
                    if (!n.isTextual()) throw new Clip4jException(file + ": expected a JSON array of strings");
                    out.add(TextInput.requireUnicode(n.asText(), file + ": element " + out.size()));
                }
            } catch (IOException e) {
                throw new Clip4jException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
        } else {
            for (String line : text.split("\\R")) {
                String s = line.strip();
                if (!s.isEmpty() && !s.startsWith("#")) out.add(s);
            }
        }
        return new PromptTemplates(file.toString(), out);
    }

    /** A built-in name, else a file path. */
    public static PromptTemplates parse(String nameOrFile) {
        if (NAMES.contains(nameOrFile.toLowerCase(Locale.ROOT)) && !Files.isRegularFile(Path.of(nameOrFile))) return named(nameOrFile);
        Path p = Path.of(nameOrFile);
        if (!Files.isRegularFile(p)) throw new Clip4jException("unknown template set \"" + nameOrFile + "\": expected one of " + NAMES + " or a file of templates");
        return fromFile(p);
    }

    /** This set followed by other's templates. */
    public PromptTemplates plus(PromptTemplates other) {
        List<String> all = new ArrayList<>(templates);
        all.addAll(other.templates);
        return new PromptTemplates(name == null && other.name == null ? null : (name + "+" + other.name), all);
    }

    /** The template with every placeholder replaced by the label. */
    public static String fill(String template, String label) {
        StringBuilder sb = new StringBuilder(template.length() + label.length());
        for (int i = 0; i < template.length(); ) {
            if (template.startsWith("{}", i)) { sb.append(label); i += 2; }
            else if (template.startsWith("{c}", i)) { sb.append(label); i += 3; }
            else sb.append(template.charAt(i++));
        }
        return sb.toString();
    }

    /** The captions for one label, one per template, in template order. */
    public List<String> captions(String label) {
        List<String> out = new ArrayList<>(templates.size());
        for (String t : templates) out.add(fill(t, label));
        return out;
    }

    public List<String> templates() { return templates; }

    /** The built-in name or file this came from (null for custom lists). */
    public String name() { return name; }

    public int size() { return templates.size(); }

    @Override public boolean equals(Object o) { return o instanceof PromptTemplates p && p.templates.equals(templates); }
    @Override public int hashCode() { return templates.hashCode(); }
    @Override public String toString() { return (name != null ? name : "custom") + " (" + templates.size() + " templates)"; }
}
