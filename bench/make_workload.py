#!/usr/bin/python3
"""Builds the benchmark workload: N image paths and N captions, chosen deterministically.

  /usr/bin/python3 bench/make_workload.py --n 96 --out bench/out/workload

Images: the "real" photos of the fixtures (images/inputs, kind "real" in images.json: three PNG
and two JPEG photos of 300-640 px; at most N/8 of them) plus 64x64 RGBA PNG emoji from
../shared/data/emoji: evenly spaced emoji, each in its Noto and its Twemoji drawing. Captions: distinct captions of the
emoji data set with at most --max-tokens BPE tokens (without start/end), evenly spaced; and a longer list of
--n-many captions drawn the same way, for the sustained caption rate (enough batches that the JIT's warm-up is a
small part of the run).

Writes (absolute paths, so the list works from any directory):
  images.txt      one image path per line
  texts.json      JSON array of N captions
  text1.json      JSON array with one caption (the "load + one caption" baseline run)
  texts_many.json JSON array of --n-many captions (default 5 N)
  workload.json   what was chosen and from where
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_clip as tc  # noqa: E402

SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "shared"))


def evenly(items, k):
    """k items spread evenly over the list (deterministic)."""
    if k >= len(items):
        return list(items)
    return [items[(i * len(items)) // k] for i in range(k)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=96, help="number of images and of captions")
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", default=SHARED, help="the shared/ folder (fixtures/ and data/emoji/)")
    ap.add_argument("--max-tokens", type=int, default=20)
    ap.add_argument("--n-many", type=int, default=None, help="captions in texts_many.json (default: 5 N)")
    args = ap.parse_args()

    fixtures = os.path.join(args.shared, "fixtures")
    emoji = os.path.join(args.shared, "data", "emoji")
    for p in (fixtures, emoji):
        if not os.path.isdir(p):
            sys.exit(f"make_workload: missing {p}")

    # Images: fixture photos first, then emoji.
    with open(os.path.join(fixtures, "images", "images.json")) as f:
        real = [os.path.join(fixtures, "images", "inputs", im["file"])
                for im in json.load(f) if im["kind"] == "real"]
    real = real[: max(0, args.n // 8)]  # at most 1/8 of the batch: the rest are emoji
    with open(os.path.join(emoji, "metadata.jsonl"), encoding="utf-8") as f:
        meta = [json.loads(l) for l in f if l.strip()]
    k = args.n - len(real)
    # metadata.jsonl lists the google (Noto) images, then the twitter ones, in the same emoji order.
    google = [m["path"] for m in meta if m["style"] == "google"]
    emoji_paths = []
    for p in evenly(google, (k + 1) // 2):
        emoji_paths += [p, p.replace("images/google/", "images/twitter/")]
    emoji_paths = [os.path.join(emoji, p) for p in emoji_paths[:k]]
    images = [os.path.abspath(p) for p in real + emoji_paths][: args.n]

    # Captions: distinct, short enough, evenly spread over the (category-ordered) file.
    tok = tc.ClipTokenizer(os.path.join(fixtures, "models", "tiny", "hf"))
    seen, captions = set(), []
    with open(os.path.join(emoji, "captions.tsv"), encoding="utf-8") as f:
        for line in f:
            cap = line.rstrip("\n").split("\t", 1)[1]
            if cap not in seen:
                seen.add(cap)
                captions.append(cap)
    short = [c for c in captions if len(tok.encode(c)) <= args.max_tokens]
    texts = evenly(short, args.n)
    many = evenly(short, 5 * args.n if args.n_many is None else args.n_many)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "images.txt"), "w", encoding="utf-8") as f:
        f.write("".join(p + "\n" for p in images))
    with open(os.path.join(args.out, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False, indent=0)
    with open(os.path.join(args.out, "text1.json"), "w", encoding="utf-8") as f:
        json.dump(texts[:1], f, ensure_ascii=False)
    with open(os.path.join(args.out, "texts_many.json"), "w", encoding="utf-8") as f:
        json.dump(many, f, ensure_ascii=False, indent=0)
    lengths = [len(tok.encode(c)) for c in texts]
    info = {"n_images": len(images), "n_texts": len(texts), "n_texts_many": len(many), "fixture_photos": len(real),
            "emoji_images": len(images) - len(real),
            "caption_tokens_mean": sum(lengths) / max(1, len(lengths)),
            "caption_tokens_max": max(lengths, default=0),
            "sources": {"fixtures": fixtures, "emoji": emoji}}
    with open(os.path.join(args.out, "workload.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(f"make_workload: {len(images)} images ({len(real)} photos, {len(images) - len(real)} emoji), "
          f"{len(texts)} captions ({info['caption_tokens_mean']:.1f} tokens mean, "
          f"{info['caption_tokens_max']} max), {len(many)} captions for the sustained rate -> {args.out}")


if __name__ == "__main__":
    main()
