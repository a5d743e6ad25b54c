"""A compact PyTorch implementation of CLIP inference, used as the reference side of the benchmark.

It reads a Hugging Face-layout CLIP directory (config.json, model.safetensors,
preprocessor_config.json, vocab.json, merges.txt) with nothing but Debian's python3-torch,
python3-numpy, python3-pil and python3-regex:

  * read_safetensors()  - a tiny safetensors reader (F32/F16/BF16/F64/I64/I32/U8/...) on numpy
  * ClipModel           - the two towers (pre-LN transformer, QuickGELU or GELU) + projections
  * ImagePreprocessor   - OpenAI CLIP's image transform (PIL bicubic resize of the shortest side,
                          centre crop, RGB, /255, normalise)
  * ClipTokenizer       - OpenAI CLIP's byte-level BPE tokenizer producing [N, 77] ids

The forward follows HF's CLIPModel / OpenAI's clip.model.CLIP (they compute the same thing):

  vision: conv patch embedding (no bias) -> [class token; patches] + positions -> ln_pre
          -> blocks -> ln_post on the class token -> visual projection
  text:   token + position embeddings -> blocks with a causal mask -> final LN
          -> pick the end-of-text position -> text projection
  block:  x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))

Run as a script it prints a one-line summary of a model directory.
"""

from __future__ import annotations

import html
import json
import math
import os
import struct
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# safetensors
# ----------------------------------------------------------------------------------------------

# safetensors dtype name -> (numpy dtype of the stored bytes, bytes per element)
_ST_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # no numpy bfloat16: read the raw 16 bits, widen below
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}


def read_safetensors_header(path: str) -> tuple[dict, dict, int]:
    """Returns (tensor entries, __metadata__, offset of the data section)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    meta = header.pop("__metadata__", {}) or {}
    return header, meta, 8 + n


def read_safetensors(path: str, names=None, float32: bool = True) -> dict[str, np.ndarray]:
    """Reads tensors from a .safetensors file into numpy arrays.

    Each tensor is read straight into its own buffer (no copy of the whole file in memory).
    With float32=True, F16 and BF16 tensors are widened to float32 (BF16 exactly: its 16 bits
    are the top half of a float32); other dtypes keep their type.
    """
    entries, _, base = read_safetensors_header(path)
    out = {}
    with open(path, "rb") as f:
        for name, e in entries.items():
            if names is not None and name not in names:
                continue
            dt = _ST_DTYPES[e["dtype"]]
            begin, end = e["data_offsets"]
            shape = tuple(e["shape"])
            buf = np.empty(end - begin, dtype=np.uint8)
            f.seek(base + begin)
            if f.readinto(memoryview(buf)) != end - begin:
                raise IOError(f"{path}: truncated tensor {name}")
            a = buf.view(dt).reshape(shape)
            if e["dtype"] == "BF16" and float32:
                a = (a.astype(np.uint32) << 16).view(np.float32)
            elif e["dtype"] == "F16" and float32:
                a = a.astype(np.float32)
            out[name] = a
    return out


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------

@dataclass
class TowerConfig:
    width: int
    layers: int
    heads: int
    mlp: int
    act: str
    eps: float


@dataclass
class ClipConfig:
    vision: TowerConfig
    text: TowerConfig
    image_size: int
    patch_size: int
    projection_dim: int
    context_length: int
    vocab_size: int
    eos_token_id: int

    @staticmethod
    def from_hf(cfg: dict) -> "ClipConfig":
        v, t = cfg["vision_config"], cfg["text_config"]

        def tower(c, default_width, default_layers, default_heads):
            w = c.get("hidden_size", default_width)
            return TowerConfig(width=w, layers=c.get("num_hidden_layers", default_layers),
                               heads=c.get("num_attention_heads", default_heads),
                               mlp=c.get("intermediate_size", 4 * w),
                               act=c.get("hidden_act", "quick_gelu"),
                               eps=c.get("layer_norm_eps", 1e-5))

        # Defaults are those of transformers' CLIPVisionConfig / CLIPTextConfig.
        return ClipConfig(vision=tower(v, 768, 12, 12), text=tower(t, 512, 12, 8),
                          image_size=v.get("image_size", 224), patch_size=v.get("patch_size", 32),
                          projection_dim=cfg.get("projection_dim", 512),
                          context_length=t.get("max_position_embeddings", 77),
                          vocab_size=t.get("vocab_size", 49408),
                          eos_token_id=t.get("eos_token_id", 2))


def activation(name: str):
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return F.gelu  # exact (erf) GELU
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return lambda x: F.gelu(x, approximate="tanh")
    raise ValueError(f"unsupported hidden_act {name!r}")


class Tower:
    """The pre-LN transformer shared by both towers (weights under `prefix`.encoder.layers.{i})."""

    def __init__(self, w: dict, prefix: str, cfg: TowerConfig):
        self.cfg = cfg
        self.act = activation(cfg.act)
        self.layers = []
        for i in range(cfg.layers):
            p = f"{prefix}.encoder.layers.{i}."
            g = lambda k: w[p + k]
            # Fuse q, k, v into one [3W, W] projection: one matrix product instead of three.
            qkv_w = torch.cat([g("self_attn.q_proj.weight"), g("self_attn.k_proj.weight"),
                               g("self_attn.v_proj.weight")])
            qkv_b = torch.cat([g("self_attn.q_proj.bias"), g("self_attn.k_proj.bias"),
                               g("self_attn.v_proj.bias")])
            self.layers.append(dict(
                ln1=(g("layer_norm1.weight"), g("layer_norm1.bias")),
                qkv=(qkv_w, qkv_b),
                out=(g("self_attn.out_proj.weight"), g("self_attn.out_proj.bias")),
                ln2=(g("layer_norm2.weight"), g("layer_norm2.bias")),
                fc1=(g("mlp.fc1.weight"), g("mlp.fc1.bias")),
                fc2=(g("mlp.fc2.weight"), g("mlp.fc2.bias"))))

    def attention(self, x, layer, mask):
        n, l, d = x.shape
        h = self.cfg.heads
        hd = d // h
        qkv = F.linear(x, *layer["qkv"])                               # [N, L, 3D]
        q, k, v = qkv.view(n, l, 3, h, hd).permute(2, 0, 3, 1, 4)      # each [N, H, L, hd]
        scores = torch.matmul(q * (hd ** -0.5), k.transpose(-1, -2))   # [N, H, L, L]
        if mask is not None:
            scores = scores + mask
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(n, l, d)  # heads back side by side
        return F.linear(ctx, *layer["out"])

    def __call__(self, x, mask=None):
        eps = self.cfg.eps
        for layer in self.layers:
            x = x + self.attention(F.layer_norm(x, x.shape[-1:], *layer["ln1"], eps), layer, mask)
            hmid = self.act(F.linear(F.layer_norm(x, x.shape[-1:], *layer["ln2"], eps), *layer["fc1"]))
            x = x + F.linear(hmid, *layer["fc2"])
        return x


class ClipModel:
    """CLIP inference from a Hugging Face-layout directory. All weights are held as float32."""

    def __init__(self, model_dir: str):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.hf_config = json.load(f)
        self.cfg = cfg = ClipConfig.from_hf(self.hf_config)
        arrays = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        # torch.from_numpy shares the buffers read above: no second copy of the weights.
        w = {k: torch.from_numpy(a) for k, a in arrays.items() if a.dtype == np.float32}
        del arrays

        # Vision embeddings
        self.patch_w = w["vision_model.embeddings.patch_embedding.weight"]  # [Wv, 3, P, P]
        self.class_emb = w["vision_model.embeddings.class_embedding"]        # [Wv]
        self.vis_pos = w["vision_model.embeddings.position_embedding.weight"]  # [grid^2+1, Wv]
        self.ln_pre = (w["vision_model.pre_layrnorm.weight"], w["vision_model.pre_layrnorm.bias"])
        self.vision = Tower(w, "vision_model", cfg.vision)
        self.ln_post = (w["vision_model.post_layernorm.weight"], w["vision_model.post_layernorm.bias"])
        self.visual_proj = w["visual_projection.weight"]                     # [E, Wv]

        # Text embeddings
        self.tok_emb = w["text_model.embeddings.token_embedding.weight"]     # [V, Wt]
        self.txt_pos = w["text_model.embeddings.position_embedding.weight"]  # [77, Wt]
        self.text = Tower(w, "text_model", cfg.text)
        self.ln_final = (w["text_model.final_layer_norm.weight"], w["text_model.final_layer_norm.bias"])
        self.text_proj = w["text_projection.weight"]                         # [E, Wt]

        self.logit_scale = w["logit_scale"]
        l = cfg.context_length
        # Additive causal mask: position i may attend to positions <= i.
        self.causal_mask = torch.full((l, l), float("-inf")).triu_(1)

    def encode_image(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """pixel_values [N, 3, S, S] (normalised) -> image features [N, E] (not normalised)."""
        x = F.conv2d(pixel_values, self.patch_w, stride=self.cfg.patch_size)  # [N, Wv, g, g]
        x = x.flatten(2).transpose(1, 2)                                       # [N, g*g, Wv]
        cls = self.class_emb.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.vis_pos
        x = F.layer_norm(x, x.shape[-1:], *self.ln_pre, self.cfg.vision.eps)
        x = self.vision(x)
        pooled = F.layer_norm(x[:, 0, :], x.shape[-1:], *self.ln_post, self.cfg.vision.eps)
        return F.linear(pooled, self.visual_proj)

    def eos_positions(self, input_ids: torch.Tensor) -> torch.Tensor:
        if self.cfg.eos_token_id == 2:
            # Legacy HF configs (eos_token_id 2 while the real EOT is 49407): OpenAI's rule, the
            # EOT token has the highest id, so pool at the argmax (first one on ties).
            return input_ids.to(torch.int64).argmax(dim=-1)
        # Otherwise: the first position holding eos_token_id.
        return (input_ids == self.cfg.eos_token_id).int().argmax(dim=-1)

    def encode_text(self, input_ids: torch.Tensor) -> torch.Tensor:
        """input_ids [N, L] (L <= context length) -> text features [N, E] (not normalised)."""
        ids = input_ids.to(torch.int64)
        l = ids.shape[1]
        x = self.tok_emb[ids] + self.txt_pos[:l]
        x = self.text(x, self.causal_mask[:l, :l])
        x = F.layer_norm(x, x.shape[-1:], *self.ln_final, self.cfg.text.eps)
        pooled = x[torch.arange(x.shape[0]), self.eos_positions(ids)]
        return F.linear(pooled, self.text_proj)

    def logits(self, image_features, text_features):
        """(logits_per_image [Ni, Nt], logits_per_text [Nt, Ni]) as CLIP computes them."""
        img = image_features / image_features.norm(dim=-1, keepdim=True)
        txt = text_features / text_features.norm(dim=-1, keepdim=True)
        per_image = self.logit_scale.exp() * img @ txt.t()
        return per_image, per_image.t()


# ----------------------------------------------------------------------------------------------
# Image preprocessing (OpenAI CLIP's _transform with torchvision semantics, on PIL)
# ----------------------------------------------------------------------------------------------

class ImagePreprocessor:
    def __init__(self, size: int, mean, std):
        self.size = size
        self.mean = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)

    @staticmethod
    def from_dir(model_dir: str, image_size: int) -> "ImagePreprocessor":
        mean = [0.48145466, 0.4578275, 0.40821073]
        std = [0.26862954, 0.26130258, 0.27577711]
        size = image_size
        p = os.path.join(model_dir, "preprocessor_config.json")
        if os.path.exists(p):
            with open(p) as f:
                c = json.load(f)
            mean, std = c.get("image_mean", mean), c.get("image_std", std)
            crop = c.get("crop_size", size)
            size = crop["height"] if isinstance(crop, dict) else crop
        return ImagePreprocessor(size, mean, std)

    def resize_and_crop(self, img):
        """Resize (shorter side -> size, bicubic, in the image's own mode) + centre crop + RGB."""
        from PIL import Image
        n = self.size
        w, h = img.size
        # torchvision.transforms.Resize(n): the longer side is int(n * long / short) (truncated);
        # nothing happens when the shorter side already equals n.
        if not ((w <= h and w == n) or (h <= w and h == n)):
            if w < h:
                nw, nh = n, int(n * h / w)
            else:
                nw, nh = int(n * w / h), n
            img = img.resize((nw, nh), Image.BICUBIC)  # PIL itself uses NEAREST for modes P and 1
            w, h = nw, nh
        # torchvision CenterCrop: offsets int(round((size - n) / 2)) (round half to even).
        left, top = int(round((w - n) / 2.0)), int(round((h - n) / 2.0))
        img = img.crop((left, top, left + n, top + n))
        return img.convert("RGB")

    def to_tensor(self, rgb) -> torch.Tensor:
        """RGB PIL image -> normalised float32 [3, n, n] (ToTensor then Normalize)."""
        a = torch.from_numpy(np.asarray(rgb, dtype=np.uint8).copy()).permute(2, 0, 1)
        return (a.float().div(255) - self.mean) / self.std

    def __call__(self, path_or_image) -> torch.Tensor:
        from PIL import Image
        if isinstance(path_or_image, (str, os.PathLike)):
            with Image.open(path_or_image) as img:
                return self.to_tensor(self.resize_and_crop(img))
        return self.to_tensor(self.resize_and_crop(path_or_image))


# ----------------------------------------------------------------------------------------------
# Tokenizer (OpenAI CLIP's SimpleTokenizer, reading the HF vocab.json / merges.txt)
# ----------------------------------------------------------------------------------------------

try:  # ftfy is not in Debian 12; see _fix_text_fallback.
    import ftfy  # type: ignore
    HAVE_FTFY = True
except ImportError:  # pragma: no cover - depends on the machine
    ftfy = None
    HAVE_FTFY = False

import regex  # Debian python3-regex: needed for \p{L} / \p{N}


@lru_cache()
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from the 256 byte values to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


_CURLY = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
          "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'}
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "ſt", "\ufb06": "st", "\u0132": "IJ", "\u0133": "ij", "\u01c7": "LJ",
              "\u01c8": "Lj", "\u01c9": "lj", "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj"}
# Characters ftfy's remove_control_chars drops (a subset that matters for captions).
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F,
                          *range(0x206A, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFD)])
_MOJIBAKE = regex.compile(r"[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d"
                          r"\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


def _fix_text_fallback(text: str) -> str:
    """A small approximation of ftfy.fix_text (ftfy 6 defaults) for machines without ftfy.

    Covers what matters for ordinary captions: UTF-8 read as Latin-1/Windows-1252 (mojibake),
    curly quotes, Latin ligatures, full-width characters, control characters and NFC.
    ftfy does much more (HTML entities only when the text has no '<', terminal escapes,
    surrogates, partial mojibake, ...); differences show up in check_torch_clip.py.
    """
    if _MOJIBAKE.search(text):
        for enc in ("latin-1", "cp1252"):
            try:
                fixed = text.encode(enc).decode("utf-8")
            except UnicodeError:
                continue
            if len(fixed) < len(text):
                text = fixed
                break
    if "&" in text and "<" not in text:  # ftfy's unescape_html="auto"
        text = html.unescape(text)
    text = text.translate(_CONTROL)
    text = "".join(_CURLY.get(c, c) for c in text)
    text = "".join(_LIGATURES.get(c, c) for c in text)
    # fix_character_width: NFKC for full-width / half-width forms and the ideographic space.
    text = "".join(unicodedata.normalize("NFKC", c) if "\uff01" <= c <= "\uffee" or c == "\u3000"
                   else c for c in text)
    return unicodedata.normalize("NFC", text)


def fix_text(text: str) -> str:
    return ftfy.fix_text(text) if HAVE_FTFY else _fix_text_fallback(text)


class ClipTokenizer:
    SOT, EOT = "<|startoftext|>", "<|endoftext|>"

    def __init__(self, model_dir: str, context_length: int = 77):
        with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(model_dir, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split()) for l in lines if l and not l.startswith("#version")]
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.sot, self.eot = self.encoder[self.SOT], self.encoder[self.EOT]
        self.context_length = context_length
        # The special tokens map to themselves (so a literal "<|endoftext|>" in a text is EOT).
        self.cache = {self.SOT: self.SOT, self.EOT: self.EOT}
        self.pat = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE)

    def bpe(self, token: str) -> str:
        """Greedy lowest-rank-first BPE of one pre-token; returns space-separated symbols."""
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.bpe_ranks.get(p, math.inf))
            if best not in self.bpe_ranks:
                break
            first, second = best
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        out = " ".join(word)
        self.cache[token] = out
        return out

    @staticmethod
    def clean(text: str) -> str:
        """OpenAI's basic_clean + whitespace_clean + lower()."""
        text = html.unescape(html.unescape(fix_text(text))).strip()
        return regex.sub(r"\s+", " ", text).strip().lower()

    def encode(self, text: str) -> list[int]:
        """BPE ids of a text, without start/end tokens, untruncated."""
        ids = []
        for piece in regex.findall(self.pat, self.clean(text)):
            piece = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[s] for s in self.bpe(piece).split(" "))
        return ids

    def __call__(self, texts) -> torch.Tensor:
        """clip.tokenize(texts, truncate=True): [N, context_length] int64, padded with 0."""
        if isinstance(texts, str):
            texts = [texts]
        out = torch.zeros(len(texts), self.context_length, dtype=torch.int64)
        for i, t in enumerate(texts):
            ids = [self.sot] + self.encode(t) + [self.eot]
            if len(ids) > self.context_length:
                ids = ids[: self.context_length]
                ids[-1] = self.eot
            out[i, : len(ids)] = torch.tensor(ids)
        return out


# ----------------------------------------------------------------------------------------------

def load(model_dir: str):
    """(model, preprocessor, tokenizer) for a Hugging Face-layout CLIP directory."""
    model = ClipModel(model_dir)
    pre = ImagePreprocessor.from_dir(model_dir, model.cfg.image_size)
    tok = ClipTokenizer(model_dir, model.cfg.context_length)
    return model, pre, tok


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: torch_clip.py MODEL_DIR")
    m = ClipModel(sys.argv[1])
    print(m.cfg)
    print("ftfy:", "yes" if HAVE_FTFY else "no (built-in approximation)")
