#!/usr/bin/python3
"""Checks bench/torch_clip.py against the golden fixtures in ../shared/fixtures.

  1. model forward: for models tiny and small (hf/), runs the fixture input_ids and pixel_values
     and prints the max abs difference of image_features, text_features and logits_per_image
     against expected.safetensors (a float32 implementation should agree to ~1e-6..1e-5);
     also tiny's hf_f16/ (F16 + BF16 weights) against expected_f16.safetensors.
  2. tokenizer: context ids of the 42 strings vs tokenizer/expected_tokens.json (exact).
  3. preprocessing: pixel_values vs images/preprocessed_{32,64}.safetensors for every image
     (JPEG decoding may legitimately differ with another libjpeg; the others should be exact).

Exits non-zero when the model differences exceed 1e-4 or a non-JPEG image differs by more than
one uint8 step. Usage: /usr/bin/python3 bench/check_torch_clip.py [--fixtures DIR]
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_clip as tc  # noqa: E402

REPO = os.path.dirname(HERE)
DEFAULT_FIXTURES = os.path.normpath(os.path.join(REPO, "..", "shared", "fixtures"))


def maxdiff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def check_model(fx: str, name: str, hf: str = "hf", expected: str = "expected.safetensors") -> float:
    model_dir = os.path.join(fx, "models", name, hf)
    exp = tc.read_safetensors(os.path.join(fx, "models", name, expected))
    model = tc.ClipModel(model_dir)
    with torch.inference_mode():
        img = model.encode_image(torch.from_numpy(exp["pixel_values"]))
        txt = model.encode_text(torch.from_numpy(exp["input_ids"]))
        per_image, _ = model.logits(img, txt)
    d = {"image_features": maxdiff(img, exp["image_features"]),
         "text_features": maxdiff(txt, exp["text_features"]),
         "logits_per_image": maxdiff(per_image, exp["logits_per_image"]),
         "logit_scale_exp": maxdiff(model.logit_scale.exp(), exp["logit_scale_exp"])}
    print(f"model {name}/{hf}: " + ", ".join(f"{k} max|diff| {v:.2e}" for k, v in d.items()))
    return max(d.values())


def check_tokenizer(fx: str) -> int:
    tok = tc.ClipTokenizer(os.path.join(fx, "models", "tiny", "hf"))
    cases = json.load(open(os.path.join(fx, "tokenizer", "expected_tokens.json"), encoding="utf-8"))
    ids = tok([c["text"] for c in cases]).numpy()
    bad = []
    for row, c in zip(ids, cases):
        if row.tolist() != c["context_ids"]:
            bad.append(c["id"])
            print(f"  tokenizer mismatch {c['id']}: cleaned ours {tok.clean(c['text'])!r} "
                  f"vs {c['cleaned']!r}")
    ftfy = "ftfy" if tc.HAVE_FTFY else "built-in ftfy approximation"
    print(f"tokenizer ({ftfy}): {len(cases) - len(bad)}/{len(cases)} strings exact"
          + (f"; differ: {', '.join(bad)}" if bad else ""))
    return len(bad)


def check_preprocessing(fx: str) -> float:
    images = json.load(open(os.path.join(fx, "images", "images.json")))
    worst_non_jpeg = 0.0
    for n in (32, 64):
        exp = tc.read_safetensors(os.path.join(fx, "images", f"preprocessed_{n}.safetensors"))
        pre = tc.ImagePreprocessor(n, [0.48145466, 0.4578275, 0.40821073],
                                   [0.26862954, 0.26130258, 0.27577711])
        parts = []
        for im in images:
            path = os.path.join(fx, "images", "inputs", im["file"])
            ours = pre(path).numpy()
            d = maxdiff(ours, exp[im["name"] + ".pixel_values"])
            jpeg = im["file"].endswith(".jpg")
            if not jpeg:
                worst_non_jpeg = max(worst_non_jpeg, d)
            parts.append(f"{im['name']}{' (jpeg)' if jpeg else ''} {d:.1e}")
        print(f"preprocessing {n}px max|diff| per image: " + ", ".join(parts))
    print(f"preprocessing: worst non-JPEG max|diff| {worst_non_jpeg:.2e} "
          f"(one uint8 step = {1 / (255 * 0.26130258):.4f})")
    return worst_non_jpeg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=DEFAULT_FIXTURES)
    args = ap.parse_args()
    fx = args.fixtures
    torch.set_num_threads(1)

    worst_model = max(check_model(fx, "tiny"), check_model(fx, "small"))
    worst_f16 = check_model(fx, "tiny", "hf_f16", "expected_f16.safetensors")
    tok_bad = check_tokenizer(fx)
    worst_pre = check_preprocessing(fx)

    ok = worst_model < 1e-4 and worst_f16 < 1e-4 and worst_pre < 0.015
    print(f"summary: model max|diff| {worst_model:.2e} (f16 weights {worst_f16:.2e}), "
          f"tokenizer mismatches {tok_bad}, preprocessing non-JPEG max|diff| {worst_pre:.2e} -> "
          + ("OK" if ok else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
