#!/usr/bin/env python3
"""CLIP training in PyTorch with clip4j's recipe, for bench/train_compare.sh: throughput and loss curve.

  torch_train.py --model DIR --data captions.tsv --split-json splits.json [--split train]
                 --threads N --steps 40 --warmup-steps 5 [--batch-size 128] [--lr 1e-3] [--lr-warmup 5]
                 [--weight-decay 0.2] [--text-len 77|longest] [--seed 0] [--out result.json]

The model is the HF-layout CLIP in DIR (made by `clip4j init`), loaded into an open_clip-shaped nn.Module: conv
patch embedding, class token, positions, ln_pre, pre-LN blocks with nn.MultiheadAttention and QuickGELU, ln_post on
the class token, projections; text with a causal mask, pooled at the end-of-text token. The recipe is open_clip's
(and clip4j train's): symmetric InfoNCE on exp(logit_scale)·cos, AdamW(β 0.9/0.98, ε 1e-6) with weight decay on the
≥2-d weights only, linear warmup then cosine, logit_scale clamped to [0, ln 100] after each step.

Data: the images of the split are decoded once at start-up, composited onto white and kept in memory (3,054 64×64
images for the emoji train split); one caption per image per epoch, drawn at random, the image order shuffled per
epoch. A background thread builds the batches (RandomResizedCrop(size, scale (0.8, 1.0), ratio (3/4, 4/3)) as
torchvision computes it, Pillow bicubic resize, ToTensor, Normalize; tokenisation) into a queue of 3, while the
main thread trains; the time the training loop waits for a batch is reported (it should be ~0). Text: --text-len 77
runs the text tower over the full context as open_clip does; --text-len longest cuts each batch after its longest
caption (exact under the causal mask; what clip4j does).

samples/s = steps · batch / (wall time of the steps after the warm-up steps). Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import queue
import random
import sys
import threading
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_clip import ClipConfig, ClipTokenizer, read_safetensors  # noqa: E402


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width: int, heads: int, mlp: int, eps: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, eps=eps)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width, eps=eps)
        self.c_fc = nn.Linear(width, mlp)
        self.gelu = QuickGELU()
        self.c_proj = nn.Linear(mlp, width)

    def forward(self, x, mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.c_proj(self.gelu(self.c_fc(self.ln_2(x))))


class Clip(nn.Module):
    def __init__(self, cfg: ClipConfig):
        super().__init__()
        v, t = cfg.vision, cfg.text
        for tower in (v, t):
            if tower.act != "quick_gelu":
                raise SystemExit(f"torch_train.py: only QuickGELU models (this one: {tower.act})")
        self.cfg = cfg
        g = cfg.image_size // cfg.patch_size
        self.conv1 = nn.Conv2d(3, v.width, cfg.patch_size, stride=cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(v.width))
        self.vis_positional_embedding = nn.Parameter(torch.zeros(g * g + 1, v.width))
        self.ln_pre = nn.LayerNorm(v.width, eps=v.eps)
        self.visual = nn.ModuleList(Block(v.width, v.heads, v.mlp, v.eps) for _ in range(v.layers))
        self.ln_post = nn.LayerNorm(v.width, eps=v.eps)
        self.visual_proj = nn.Linear(v.width, cfg.projection_dim, bias=False)
        self.token_embedding = nn.Embedding(cfg.vocab_size, t.width)
        self.positional_embedding = nn.Parameter(torch.zeros(cfg.context_length, t.width))
        self.transformer = nn.ModuleList(Block(t.width, t.heads, t.mlp, t.eps) for _ in range(t.layers))
        self.ln_final = nn.LayerNorm(t.width, eps=t.eps)
        self.text_proj = nn.Linear(t.width, cfg.projection_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.zeros(()))
        l = cfg.context_length
        self.register_buffer("causal_mask", torch.full((l, l), float("-inf")).triu_(1), persistent=False)

    def load_hf(self, model_dir: str):
        w = {k: torch.from_numpy(a.copy()) for k, a in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()
             if a.dtype == np.float32}
        sd = {"conv1.weight": w["vision_model.embeddings.patch_embedding.weight"],
              "class_embedding": w["vision_model.embeddings.class_embedding"],
              "vis_positional_embedding": w["vision_model.embeddings.position_embedding.weight"],
              "ln_pre.weight": w["vision_model.pre_layrnorm.weight"], "ln_pre.bias": w["vision_model.pre_layrnorm.bias"],
              "ln_post.weight": w["vision_model.post_layernorm.weight"], "ln_post.bias": w["vision_model.post_layernorm.bias"],
              "visual_proj.weight": w["visual_projection.weight"],
              "token_embedding.weight": w["text_model.embeddings.token_embedding.weight"],
              "positional_embedding": w["text_model.embeddings.position_embedding.weight"],
              "ln_final.weight": w["text_model.final_layer_norm.weight"], "ln_final.bias": w["text_model.final_layer_norm.bias"],
              "text_proj.weight": w["text_projection.weight"],
              "logit_scale": w["logit_scale"].reshape(())}
        for mine, hf, n in (("visual", "vision_model", self.cfg.vision.layers), ("transformer", "text_model", self.cfg.text.layers)):
            for i in range(n):
                p, q = f"{hf}.encoder.layers.{i}.", f"{mine}.{i}."
                sd[q + "attn.in_proj_weight"] = torch.cat([w[p + f"self_attn.{x}_proj.weight"] for x in "qkv"])
                sd[q + "attn.in_proj_bias"] = torch.cat([w[p + f"self_attn.{x}_proj.bias"] for x in "qkv"])
                sd[q + "attn.out_proj.weight"] = w[p + "self_attn.out_proj.weight"]
                sd[q + "attn.out_proj.bias"] = w[p + "self_attn.out_proj.bias"]
                for a, b in (("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"), ("c_fc", "mlp.fc1"), ("c_proj", "mlp.fc2")):
                    sd[q + a + ".weight"] = w[p + b + ".weight"]
                    sd[q + a + ".bias"] = w[p + b + ".bias"]
        self.load_state_dict(sd, strict=True)

    def encode_image(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], dim=1) + self.vis_positional_embedding
        x = self.ln_pre(x)
        for b in self.visual:
            x = b(x)
        return self.visual_proj(self.ln_post(x[:, 0, :]))

    def encode_text(self, ids):
        l = ids.shape[1]
        x = self.token_embedding(ids) + self.positional_embedding[:l]
        mask = self.causal_mask[:l, :l]
        for b in self.transformer:
            x = b(x, mask)
        x = self.ln_final(x)
        eos = self.cfg.eos_token_id
        pos = ids.argmax(dim=-1) if eos == 2 else (ids == eos).int().argmax(dim=-1)
        return self.text_proj(x[torch.arange(x.shape[0]), pos])

    def loss(self, pixels, ids):
        img = F.normalize(self.encode_image(pixels), dim=-1)
        txt = F.normalize(self.encode_text(ids), dim=-1)
        logits = self.logit_scale.exp() * img @ txt.t()
        labels = torch.arange(logits.shape[0])
        return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


# ---------------------------------------------------------------------------------------------- data

def read_split(table: str, split_json: str | None, split: str):
    """[(image path, [captions…])] in first-appearance order, kept to the split's ids (file stems)."""
    keep = None
    if split_json:
        with open(split_json) as f:
            keep = {str(x) for x in json.load(f)[split]}
    root = os.path.dirname(os.path.abspath(table))
    items: dict[str, list[str]] = {}
    with open(table, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            path, cap = line.split("\t", 1)
            stem = os.path.splitext(os.path.basename(path))[0]
            if keep is not None and stem not in keep:
                continue
            items.setdefault(os.path.join(root, path), []).append(cap)
    return list(items.items())


def load_rgb_on_white(path: str) -> Image.Image:
    im = Image.open(path)
    im.load()
    if im.mode in ("RGBA", "LA", "P", "PA") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return im.convert("RGB")


def crop_box(w: int, h: int, rng: random.Random, scale=(0.8, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision RandomResizedCrop.get_params: (left, top, width, height)."""
    area = w * h
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(*scale)
        ar = math.exp(rng.uniform(*log_ratio))
        cw = int(round(math.sqrt(target * ar)))
        ch = int(round(math.sqrt(target / ar)))
        if 0 < cw <= w and 0 < ch <= h:
            return rng.randint(0, w - cw), rng.randint(0, h - ch), cw, ch
    in_ratio = w / h
    if in_ratio < ratio[0]:
        cw, ch = w, int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        ch, cw = h, int(round(h * ratio[1]))
    else:
        cw, ch = w, h
    return (w - cw) // 2, (h - ch) // 2, cw, ch


class Batches:
    """Batches (pixels [B,3,S,S], ids [B,L]) built by a background thread, in order, queue of 3."""

    def __init__(self, items, images, tokenizer, eot, size, mean, std, batch, seed, scale, text_len):
        self.items, self.images, self.tok, self.eot, self.size, self.batch = items, images, tokenizer, eot, size, batch
        self.mean = np.asarray(mean, np.float32).reshape(3, 1, 1)
        self.std = np.asarray(std, np.float32).reshape(3, 1, 1)
        self.rng = random.Random(seed)
        self.scale, self.text_len = scale, text_len
        self.q: queue.Queue = queue.Queue(maxsize=3)
        self.cache: dict[str, np.ndarray] = {}
        self.stop = False
        threading.Thread(target=self.run, daemon=True).start()

    def ids(self, caption: str) -> np.ndarray:
        r = self.cache.get(caption)
        if r is None:
            r = self.cache[caption] = self.tok([caption])[0].numpy()
        return r

    def run(self):
        n, b = len(self.items), self.batch
        while not self.stop:
            order = list(range(n))
            self.rng.shuffle(order)
            for k in range(0, n - b + 1, b):
                pix = np.empty((b, 3, self.size, self.size), np.float32)
                ids = []
                for j, i in enumerate(order[k:k + b]):
                    im = self.images[i]
                    left, top, cw, ch = crop_box(im.width, im.height, self.rng, self.scale)
                    out = im.resize((self.size, self.size), Image.BICUBIC, box=(left, top, left + cw, top + ch))
                    pix[j] = (np.asarray(out, np.float32).transpose(2, 0, 1) / 255.0 - self.mean) / self.std
                    ids.append(self.ids(self.rng.choice(self.items[i][1])))
                ids = np.stack(ids)
                if self.text_len == "longest":
                    ids = ids[:, :int((ids == self.eot).argmax(axis=1).max()) + 1]
                self.q.put((torch.from_numpy(pix), torch.from_numpy(ids)))
                if self.stop:
                    return

    def next(self):
        return self.q.get()


# ---------------------------------------------------------------------------------------------- main

def lr_at(step: int, base: float, warmup: int, total: int) -> float:
    """open_clip cosine_lr."""
    if step < warmup:
        return base * (step + 1) / warmup
    e, es = step - warmup, total - warmup
    return base if es <= 0 else 0.5 * (1 + math.cos(math.pi * e / es)) * base


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--split-json")
    ap.add_argument("--split", default="train")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=40, help="measured steps")
    ap.add_argument("--warmup-steps", type=int, default=5, help="steps run before the measurement")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-warmup", type=int, default=5)
    ap.add_argument("--weight-decay", type=float, default=0.2)
    ap.add_argument("--crop-scale", default="0.8,1.0")
    ap.add_argument("--text-len", choices=["77", "longest"], default="77")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    a = ap.parse_args()

    t_start = time.perf_counter()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with open(os.path.join(a.model, "config.json")) as f:
        cfg = ClipConfig.from_hf(json.load(f))
    with open(os.path.join(a.model, "preprocessor_config.json")) as f:
        pre = json.load(f)
    model = Clip(cfg)
    model.load_hf(a.model)
    model.train()

    # open_clip's groups: no weight decay for p.ndim < 2, biases, LayerNorms, logit_scale
    def exclude(n, p):
        return p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
              {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": a.weight_decay}]
    opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.98), eps=1e-6)

    items = read_split(a.data, a.split_json, a.split)
    images = [load_rgb_on_white(p) for p, _ in items]
    scale = tuple(float(x) for x in a.crop_scale.split(","))
    tok = ClipTokenizer(a.model, cfg.context_length)
    data = Batches(items, images, tok, tok.eot, cfg.image_size, pre["image_mean"], pre["image_std"],
                   a.batch_size, a.seed, scale, a.text_len)
    total = a.warmup_steps + a.steps
    losses, wait, t0 = [], 0.0, None
    setup_s = time.perf_counter() - t_start
    for step in range(total):
        if step == a.warmup_steps:
            t0, wait = time.perf_counter(), 0.0
        tw = time.perf_counter()
        pixels, ids = data.next()
        wait += time.perf_counter() - tw
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.lr, a.lr_warmup, total)
        opt.zero_grad(set_to_none=True)
        loss = model.loss(pixels, ids)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        losses.append(loss.item())
        if (step + 1) % 10 == 0 or step + 1 == total:
            print("step %d: loss %.4f" % (step + 1, losses[-1]), file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - t0
    data.stop = True
    res = {"tool": "pytorch", "threads": a.threads, "text_len": a.text_len, "steps": a.steps, "warmup_steps": a.warmup_steps,
           "batch_size": a.batch_size, "images": len(items), "samples_per_s": a.steps * a.batch_size / elapsed,
           "seconds": elapsed, "data_wait_s": wait, "setup_s": setup_s, "losses": losses, "load": os.getloadavg()[0],
           "torch": torch.__version__, "blas": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")}
    s = json.dumps(res)
    print(s)
    if a.out:
        with open(a.out, "w") as f:
            f.write(s + "\n")


if __name__ == "__main__":
    main()
