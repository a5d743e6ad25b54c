#!/usr/bin/python3
"""The PyTorch side of the whole-process benchmark: the equivalent of `clip4j embed`.

  /usr/bin/python3 bench/torch_embed.py --model DIR [--images-list FILE] [--texts-json FILE] \
      [--batch-size 32] [--threads N] [--dtype fp32|bf16] [--text-pad 77|longest] \
      [--out FILE] [--timings FILE]

Loads the model, reads and preprocesses the images listed in --images-list (one path a line),
embeds them in batches, tokenizes and embeds the captions of --texts-json (a JSON array of
strings) in batches, and writes one JSON line per input to --out (default stdout), images first:

  {"kind": "image", "input": "<path>", "embedding": [...]}   (L2-normalised, float32 values)
  {"kind": "text",  "input": "<caption>", "embedding": [...]}

Timings (seconds, and throughputs) are printed as one JSON line on stderr, or written to
--timings. bf16 runs the forward under torch.autocast("cpu", torch.bfloat16).
"""

import time

T0 = time.perf_counter()  # before importing torch: the import is part of the process's cost

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from contextlib import nullcontext  # noqa: E402

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_clip as tc  # noqa: E402

T_IMPORT = time.perf_counter()


def blas_name() -> str:
    """Which BLAS torch's float32 matrix products use (Debian's torch calls libblas.so.3)."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        if hasattr(lib, "openblas_get_config"):
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return (f"OpenBLAS {lib.openblas_get_config().decode()} "
                    f"core {lib.openblas_get_corename().decode()}")
        return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        return "unknown"


def batches(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def write_rows(out, kind, inputs, feats):
    feats = feats.float()
    feats = feats / feats.norm(dim=-1, keepdim=True)
    for inp, row in zip(inputs, feats.tolist()):
        out.write(json.dumps({"kind": kind, "input": inp, "embedding": row}, ensure_ascii=False))
        out.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--images-list", help="file with one image path per line")
    ap.add_argument("--texts-json", help="JSON array of captions")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--text-pad", choices=["77", "longest"], default="77",
                    help="77: every caption padded to the context length, as clip.tokenize does "
                         "(default); longest: cut each batch after its longest caption, as HF's "
                         "padding=True does (same results: the causal mask hides what follows)")
    ap.add_argument("--out", help="JSON Lines output (default: stdout)")
    ap.add_argument("--timings", help="write the timings JSON here instead of stderr")
    args = ap.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    images = []
    if args.images_list:
        with open(args.images_list, encoding="utf-8") as f:
            images = [l.rstrip("\n") for l in f if l.strip()]
    texts = []
    if args.texts_json:
        with open(args.texts_json, encoding="utf-8") as f:
            texts = json.load(f)

    t = {"tool": "torch", "torch": torch.__version__, "threads": torch.get_num_threads(),
         "dtype": args.dtype, "text_pad": args.text_pad, "batch_size": args.batch_size, "blas": blas_name(),
         "ftfy": tc.HAVE_FTFY, "images": len(images), "texts": len(texts),
         "import_s": T_IMPORT - T0}

    t1 = time.perf_counter()
    model, pre, tok = tc.load(args.model)
    t["load_s"] = time.perf_counter() - t1

    autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if args.dtype == "bf16"
                else nullcontext())
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    pre_s = enc_s = write_s = 0.0
    first = None  # when the first embedding was written
    with torch.inference_mode(), autocast:
        # Images: decode + preprocess a batch, run the vision tower, write.
        for paths in batches(images, args.batch_size):
            a = time.perf_counter()
            pixels = torch.stack([pre(p) for p in paths])
            b = time.perf_counter()
            feats = model.encode_image(pixels)
            c = time.perf_counter()
            write_rows(out, "image", paths, feats)
            first = first or time.perf_counter()
            pre_s, enc_s, write_s = pre_s + b - a, enc_s + c - b, write_s + time.perf_counter() - c
        t.update(image_preprocess_s=pre_s, image_encode_s=enc_s)

        # Texts: tokenize a batch, run the text tower, write.
        tok_s = txt_s = 0.0
        for caps in batches(texts, args.batch_size):
            a = time.perf_counter()
            ids = tok(caps)
            if args.text_pad == "longest":
                ends = model.eos_positions(ids)  # where each caption is pooled
                ids = ids[:, : int(ends.max()) + 1]
            b = time.perf_counter()
            feats = model.encode_text(ids)
            c = time.perf_counter()
            write_rows(out, "text", caps, feats)
            first = first or time.perf_counter()
            tok_s, txt_s, write_s = tok_s + b - a, txt_s + c - b, write_s + time.perf_counter() - c
        t.update(text_tokenize_s=tok_s, text_encode_s=txt_s, write_s=write_s)
    if out is not sys.stdout:
        out.close()

    if first is not None:
        t["load_to_first_embedding_s"] = first - t1                   # load + first batch, as clip4j reports it
    if images:
        t["images_per_s"] = len(images) / (pre_s + enc_s)             # decode + preprocess + forward
        t["images_per_s_forward"] = len(images) / enc_s               # forward only
    if texts:
        t["captions_per_s"] = len(texts) / (tok_s + txt_s)            # tokenize + forward
        t["captions_per_s_forward"] = len(texts) / txt_s
    t["total_s"] = time.perf_counter() - T0
    t["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in t.items()})
    if args.timings:
        with open(args.timings, "w") as f:
            f.write(line + "\n")
    else:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
