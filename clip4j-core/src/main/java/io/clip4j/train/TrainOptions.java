package io.clip4j.train;

import java.nio.file.Path;

/** Settings of a training run ({@code clip4j train}'s options); public fields with open_clip-like defaults. */
public final class TrainOptions {
    /** Start from this model directory… */
    public Path model;
    /** …or from a random init of this architecture (Architectures.byName). */
    public String initArch;
    /** Tokenizer files for --init (vocabulary size of the new model = the tokenizer's), or a model without its own. */
    public Path tokenizerFrom;

    /** Training data: a caption table (.tsv/.csv/.jsonl) or WebDataset tar shard(s). */
    public String data;
    public Path splitJson;
    public String split = "train";
    /** Validation table (null = none); its split (with splitJson) is valSplit. */
    public String val;
    public String valSplit = "val";
    /** metadata.jsonl for zero-shot evaluation (null = metadata.jsonl next to the val table, if any). */
    public Path metadata;
    /** Use only the first n images of the training table (0 = all). */
    public int limit;
    public int valLimit;

    public Path out;
    public int batchSize = 64;
    public int epochs = 1;
    /** Total steps (> 0 overrides epochs). */
    public int steps;
    public double lr = 5e-4;
    public double weightDecay = 0.2;
    public int warmup = 0;
    public String schedule = "cosine";
    public String optimizer = "adamw";
    public double beta1 = 0.9, beta2 = 0.98, eps = 1e-6;
    public double momentum = 0.0;
    public long seed = 0;
    public boolean shuffle = true;
    public boolean augment = true;
    public int accum = 1;
    public boolean lockImage;
    /** With lockImage: open_clip's unlocked_groups (1 = the projection; 2 = + last block and ln_post; …). */
    public int unlockLast;
    public boolean lockText;
    public Path resume;
    public int[] alphaBackground;
    public double cropScaleMin = 0.9, cropScaleMax = 1.0;
    /** Clip the global gradient norm to this (≤ 0 = off). */
    public double gradClip;
    public int evalEvery;
    public int saveEvery;
    /** Checkpoints kept (oldest removed). */
    public int keep = 2;
    public int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
    public int prefetch = 2;
    /** Stop (with a checkpoint) after this many steps of this run; 0 = run to the end (simulates an interruption). */
    public int stopAfter;
    public boolean plot = true;
}
