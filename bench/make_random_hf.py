#!/usr/bin/python3
"""Writes a randomly initialised CLIP in Hugging Face layout (the benchmark's fallback model).

  /usr/bin/python3 bench/make_random_hf.py --arch vit-b-32 --out bench/out/vit-b-32-py \
      --seed 0 --tokenizer-from ../shared/fixtures/models/tiny/hf

Writes config.json, model.safetensors (F32, no position_ids tensors), preprocessor_config.json
and copies vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json from
--tokenizer-from. Same contract as `clip4j init`, so either can feed the benchmark.

Initialisation follows OpenAI CLIP's (std width^-0.5 for attention, (2·width)^-0.5 for the first
MLP layer, width^-0.5·(2·layers)^-0.5 for the output projections, 0.02 / 0.01 for token /
text-position embeddings), then, like the golden fixtures, LayerNorm weights 1 + 0.1·N(0,1),
LayerNorm biases 0.1·N(0,1) and linear biases 0.02·N(0,1), so that every parameter matters.
Only numpy is needed (no torch).
"""

import argparse
import json
import os
import shutil

import numpy as np

# name: (image_size, patch, vision width, vision layers, text width, text layers, text heads, proj)
ARCHS = {
    "tiny":     (32, 8, 128, 2, 64, 2, 2, 32),     # = the fixtures' tiny model's shapes
    "vit-b-32": (224, 32, 768, 12, 512, 12, 8, 512),
    "vit-b-16": (224, 16, 768, 12, 512, 12, 8, 512),
    "vit-l-14": (224, 14, 1024, 24, 768, 12, 12, 768),
}
VOCAB, CONTEXT = 49408, 77
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
TOKENIZER_FILES = ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"]


def write_safetensors(path: str, tensors: dict, metadata: dict | None = None):
    """Minimal safetensors writer for float32 / int64 numpy arrays (C order, little endian)."""
    names = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for k, a in tensors.items():
        header[k] = {"dtype": names[a.dtype], "shape": list(a.shape),
                     "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # keep the data section 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for a in tensors.values():
            f.write(np.ascontiguousarray(a).tobytes())


def random_weights(arch: str, seed: int) -> dict:
    size, patch, vw, vl, tw, tl, th, proj = ARCHS[arch]
    rng = np.random.default_rng(seed)
    normal = lambda shape, std: (rng.standard_normal(shape, dtype=np.float32) * np.float32(std))
    w = {}

    def layer_norm(name, width):
        w[name + ".weight"] = 1 + normal((width,), 0.1)
        w[name + ".bias"] = normal((width,), 0.1)

    def linear(name, n_out, n_in, std):
        w[name + ".weight"] = normal((n_out, n_in), std)
        w[name + ".bias"] = normal((n_out,), 0.02)

    def blocks(prefix, width, layers):
        attn_std, proj_std, fc_std = width ** -0.5, width ** -0.5 * (2 * layers) ** -0.5, (2 * width) ** -0.5
        for i in range(layers):
            p = f"{prefix}.encoder.layers.{i}."
            layer_norm(p + "layer_norm1", width)
            for q in ("q", "k", "v"):
                linear(p + f"self_attn.{q}_proj", width, width, attn_std)
            linear(p + "self_attn.out_proj", width, width, proj_std)
            layer_norm(p + "layer_norm2", width)
            linear(p + "mlp.fc1", 4 * width, width, fc_std)
            linear(p + "mlp.fc2", width, 4 * width, proj_std)

    grid = size // patch
    scale = vw ** -0.5
    w["vision_model.embeddings.class_embedding"] = normal((vw,), scale)
    # torch's default conv init: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform, a=sqrt(5))
    bound = (3 * patch * patch) ** -0.5
    w["vision_model.embeddings.patch_embedding.weight"] = rng.uniform(
        -bound, bound, (vw, 3, patch, patch)).astype(np.float32)
    w["vision_model.embeddings.position_embedding.weight"] = normal((grid * grid + 1, vw), scale)
    layer_norm("vision_model.pre_layrnorm", vw)
    blocks("vision_model", vw, vl)
    layer_norm("vision_model.post_layernorm", vw)
    w["visual_projection.weight"] = normal((proj, vw), scale)

    w["text_model.embeddings.token_embedding.weight"] = normal((VOCAB, tw), 0.02)
    w["text_model.embeddings.position_embedding.weight"] = normal((CONTEXT, tw), 0.01)
    blocks("text_model", tw, tl)
    layer_norm("text_model.final_layer_norm", tw)
    w["text_projection.weight"] = normal((proj, tw), tw ** -0.5)
    w["logit_scale"] = np.array(np.log(1 / 0.07), dtype=np.float32)
    return w


def hf_config(arch: str) -> dict:
    size, patch, vw, vl, tw, tl, th, proj = ARCHS[arch]
    common = {"hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "attention_dropout": 0.0,
              "dropout": 0.0, "initializer_factor": 1.0, "initializer_range": 0.02,
              "projection_dim": proj}
    return {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": proj,
        "logit_scale_init_value": 2.6592, "initializer_factor": 1.0, "torch_dtype": "float32",
        "text_config": {**common, "model_type": "clip_text_model", "hidden_size": tw,
                        "intermediate_size": 4 * tw, "num_attention_heads": th,
                        "num_hidden_layers": tl, "max_position_embeddings": CONTEXT,
                        "vocab_size": VOCAB, "bos_token_id": 49406, "eos_token_id": 49407,
                        "pad_token_id": 1},
        "vision_config": {**common, "model_type": "clip_vision_model", "hidden_size": vw,
                          "intermediate_size": 4 * vw, "num_attention_heads": vw // 64,
                          "num_hidden_layers": vl, "image_size": size, "patch_size": patch,
                          "num_channels": 3},
    }


def preprocessor_config(size: int) -> dict:
    return {"crop_size": {"height": size, "width": size}, "do_center_crop": True,
            "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
            "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": MEAN,
            "image_processor_type": "CLIPImageProcessor", "image_std": STD, "resample": 3,
            "rescale_factor": 1 / 255, "size": {"shortest_edge": size}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=sorted(ARCHS), default="vit-b-32")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tokenizer-from", required=True, help="directory with vocab.json and merges.txt")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    w = random_weights(args.arch, args.seed)
    write_safetensors(os.path.join(args.out, "model.safetensors"), w, {"format": "pt"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(hf_config(args.arch), f, indent=2)
    with open(os.path.join(args.out, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor_config(ARCHS[args.arch][0]), f, indent=2)
    for name in TOKENIZER_FILES:
        src = os.path.join(args.tokenizer_from, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(args.out, name))
    n = sum(a.size for a in w.values())
    print(f"make_random_hf: {args.arch} seed {args.seed}: {n:,} parameters -> {args.out}")


if __name__ == "__main__":
    main()
