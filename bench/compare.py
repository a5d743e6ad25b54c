#!/usr/bin/python3
"""Runs and summarises the whole-process comparison of `clip4j embed` with bench/torch_embed.py.

Normally started by bench/compare.sh, which prepares the model and the workload. Every run is a
fresh process timed from outside: wall clock (time.perf_counter around the process) and peak RSS
(`/usr/bin/time -v`, "Maximum resident set size"). Each tool configuration runs four modes:

  full    all N images and all N captions        -> whole-process time and peak RSS
  images  the N images only
  texts   the N captions only
  base    one caption only                       -> start-up + model load (+ one tiny forward)

and derives, per repeat, images/s = N / (images - base) and captions/s = N / (texts - base):
the throughput once the process is up, measured the same way for both tools. Both tools' own
in-process timings (--timings FILE) are kept as a cross-check and for load -> first embedding.
clip4j also runs at 1 thread (images and base modes) for the two-threads-vs-one ratio. Medians
over the repeats are reported with their spread (min-max). The embeddings of the full runs are
compared: cosine of clip4j's and PyTorch fp32's vector for each input (must be >= 0.999).
Then the GEMM peak (bench/jmh GemmBench, 1 thread) and the forward-only image encode
(bench/EncodeBench.java) give the fraction of the peak an encode sustains, and the "Issue table"
puts every line of the performance targets side by side (the training line from
OUT/train_results.json, written by bench/train_compare.sh).

Writes OUT/results.json and OUT/results.md and prints the markdown.
"""

import argparse
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PY = "/usr/bin/python3"
MODES = ("full", "images", "texts", "base")
# The sustained caption rate: many captions (texts_many.json, 5 N by default), run only by clip4j at its default and
# PyTorch fp32 at its largest thread count (PyTorch needs about 25 s for 480 captions).
MANY = "texts_many"
RUN_ORDER = ("full", "images", "texts", MANY, "base")
COSINE_MIN = 0.999


# ----------------------------------------------------------------------------------------------
# Running one process
# ----------------------------------------------------------------------------------------------

def timed_run(cmd, stdout_path, env=None, cwd=REPO) -> dict:
    """Runs cmd under /usr/bin/time -v; returns wall_s, peak_rss_mb (and raises on failure)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tv, \
            open(stdout_path, "wb") as out, \
            tempfile.TemporaryFile() as err:
        full = ["/usr/bin/time", "-v", "-o", tv.name] + cmd
        t0 = time.perf_counter()
        rc = subprocess.call(full, stdout=out, stderr=err, env=env, cwd=cwd)
        wall = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        report = open(tv.name).read()
    if rc != 0:
        raise RuntimeError(f"command failed (exit {rc}): {' '.join(cmd[:6])} ...\n"
                           + "\n".join(stderr.splitlines()[-15:]))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    return {"wall_s": wall, "peak_rss_mb": int(m.group(1)) / 1024 if m else None}


class Tool:
    """One configuration of one tool: knows how to build its command for each mode."""

    def __init__(self, name, label, modes=MODES):
        self.name, self.label, self.modes = name, label, modes

    def run(self, mode, wl, out_dir, rep) -> dict:
        stdout = os.path.join(out_dir, f"{self.name}.{mode}.r{rep}.jsonl")
        r = timed_run(*self.command(mode, wl, out_dir, rep, stdout))
        r["output"] = stdout
        # Both tools write their in-process timers next to the output (--timings FILE).
        timings = timings_path(stdout)
        if os.path.exists(timings):
            with open(timings) as f:
                r["inner"] = json.load(f)
        return r


def timings_path(stdout):
    return stdout[:-len(".jsonl")] + ".timings.json"


class Clip4j(Tool):
    """`clip4j embed`; threads=None: its default thread count, else -Dclip4j.threads=N via CLIP4J_JAVA_OPTS."""

    def __init__(self, launcher, model, batch, threads=None, modes=MODES, weights=None):
        name = "clip4j" if threads is None else f"clip4j-t{threads}"
        label = "clip4j" if threads is None else f"clip4j, {threads} thread{'s' if threads > 1 else ''}"
        if weights:
            name, label = f"{name}-{weights}", f"{label}, --weights {weights}"
        super().__init__(name, label, modes)
        self.launcher, self.model, self.batch, self.threads, self.weights = launcher, model, batch, threads, weights
        self.env = None
        if threads is not None:
            self.env = dict(os.environ)
            # bin/clip4j puts CLIP4J_JAVA_OPTS after its own options; the last -D of a name wins.
            self.env["CLIP4J_JAVA_OPTS"] = (self.env.get("CLIP4J_JAVA_OPTS", "")
                                            + f" -Dclip4j.threads={threads}").strip()

    def command(self, mode, wl, out_dir, rep, stdout):
        cmd = [self.launcher, "embed", "--model", self.model, "--batch-size", str(self.batch),
               "--timings", timings_path(stdout)]
        if self.weights:
            cmd += ["--weights", self.weights]
        if mode in ("full", "images"):
            for p in wl["images"]:
                cmd += ["--image", p]
        if mode in ("full", "texts"):
            cmd += ["--texts-json", wl["texts_json"]]
        if mode == MANY:
            cmd += ["--texts-json", wl["texts_many_json"]]
        if mode == "base":
            cmd += ["--texts-json", wl["text1_json"]]
        return cmd, stdout, self.env


class TorchEmbed(Tool):
    def __init__(self, model, batch, threads, dtype, text_pad="77", modes=MODES):
        name = f"torch-{dtype}-t{threads}" + ("" if text_pad == "77" else "-pad" + text_pad)
        label = f"PyTorch {dtype}, {threads} thread{'s' if threads > 1 else ''}" + \
            ("" if text_pad == "77" else f", text padded to {text_pad}")
        super().__init__(name, label, modes)
        self.model, self.batch, self.threads, self.dtype, self.text_pad = model, batch, threads, dtype, text_pad
        # OpenBLAS tuning variables are removed for this process only (see bench/README.md).
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}

    def command(self, mode, wl, out_dir, rep, stdout):
        cmd = [PY, os.path.join(HERE, "torch_embed.py"), "--model", self.model,
               "--batch-size", str(self.batch), "--threads", str(self.threads),
               "--dtype", self.dtype, "--text-pad", self.text_pad, "--timings", timings_path(stdout)]
        if mode in ("full", "images"):
            cmd += ["--images-list", wl["images_txt"]]
        if mode in ("full", "texts"):
            cmd += ["--texts-json", wl["texts_json"]]
        if mode == MANY:
            cmd += ["--texts-json", wl["texts_many_json"]]
        if mode == "base":
            cmd += ["--texts-json", wl["text1_json"]]
        return cmd, stdout, self.env

    def run(self, mode, wl, out_dir, rep):
        r = super().run(mode, wl, out_dir, rep)
        if "inner" not in r:
            raise RuntimeError(f"torch_embed.py wrote no timings ({mode} run)")
        return r


BF16_PROBE = """
import time, torch
torch.set_num_threads(1)
x, w = torch.randn(1600, 768), torch.randn(3072, 768)
def gflops(f):
    f(); t = time.perf_counter(); f(); return 2 * 1600 * 768 * 3072 / (time.perf_counter() - t) / 1e9
fp32 = gflops(lambda: torch.nn.functional.linear(x, w))
def bf16():
    with torch.autocast("cpu", dtype=torch.bfloat16):
        torch.nn.functional.linear(x[:200], w)
bf = gflops(bf16) / 8  # ran 1/8 of the rows
print(fp32, bf)
"""


def probe_bf16() -> tuple[float, float]:
    """GFLOP/s of one ViT-B-sized linear layer in fp32 and under bf16 autocast (1 thread).

    Some PyTorch builds (Debian's 1.13 among them) have no fast bfloat16 matrix product on the
    CPU and fall back to a scalar loop ~50x slower than fp32; the bf16 rows are then skipped
    because they would take most of an hour and say nothing about clip4j.
    """
    r = subprocess.run([PY, "-c", BF16_PROBE], capture_output=True, text=True, check=True)
    fp32, bf = (float(v) for v in r.stdout.split())
    return fp32, bf


GEMM_SHAPE = "1600x768x3072"  # N x C x OC: the MLP's first layer on a batch of 32 ViT-B/32 images


def gemm_peak(java, jar, out_dir, shape=GEMM_SHAPE) -> dict:
    """The measured GEMM peak: bench/jmh's GemmBench.matmul, one thread, a large square-ish product.

    GFLOP/s per core = JMH's score of the `gflop` counter (2*N*C*OC per op), mean over 5 iterations of 2 s after
    3 warm-up iterations, in one fork.
    """
    rff = os.path.join(out_dir, "gemm-peak.jmh.json")
    cmd = [java, "-jar", jar, "GemmBench.matmul", "-p", f"shape={shape}", "-p", "threads=1",
           "-p", "act=NONE", "-f", "1", "-wi", "3", "-i", "5", "-rf", "json", "-rff", rff]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if r.returncode != 0 or not os.path.exists(rff):
        raise RuntimeError(f"JMH GemmBench failed (exit {r.returncode}):\n"
                           + "\n".join((r.stdout + r.stderr).splitlines()[-15:]))
    with open(rff) as f:
        res = json.load(f)[0]
    g = res["secondaryMetrics"]["gflop"]
    raw = [x for it in g["rawData"] for x in it]
    return {"shape": shape, "threads": 1, "gflops": g["score"], "gflops_min": min(raw),
            "gflops_max": max(raw), "iterations": len(raw), "command": " ".join(cmd[1:])}


def encode_bench(java, model, images_txt, batch, threads=None, batches=3, warmup=1) -> dict:
    """Steady-state forward-only images/s of one process (bench/EncodeBench.java); threads=None: clip4j's default."""
    opts = shlex.split(os.environ.get("CLIP4J_JAVA_OPTS", ""))
    if threads is not None:
        opts.append(f"-Dclip4j.threads={threads}")
    cmd = [java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m",
           *opts, "-cp", os.path.join(REPO, "clip4j-cli", "target", "lib", "*"),
           os.path.join(HERE, "EncodeBench.java"), f"model={model}", f"images={images_txt}",
           f"batch={batch}", f"warmup={warmup}", f"batches={batches}"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    line = next((l for l in reversed(r.stdout.splitlines()) if l.lstrip().startswith("{")), None)
    if r.returncode != 0 or line is None:
        raise RuntimeError(f"EncodeBench failed (exit {r.returncode}):\n"
                           + "\n".join((r.stdout + r.stderr).splitlines()[-15:]))
    out = json.loads(line)
    per = [batch / t for t in out["batch_s"]]
    out["images_per_s_min"], out["images_per_s_max"] = min(per), max(per)
    return out


def image_gflop(model_dir) -> tuple[float, str]:
    """Floating-point operations (GFLOP) of one image through the vision tower, from config.json.

    Counted: every matrix product, 2 FLOPs per multiply-add (LayerNorm, softmax, activations and residual
    adds are left out, < 1 %). With d = hidden_size, m = intermediate_size, L layers, P = (image_size /
    patch_size)^2 patches, T = P + 1 tokens (class token), E = projection_dim:
      patch embedding  2 * P * (3 * patch_size^2) * d
      per layer        2 * T * d * (3d + d + 2m)        q, k, v, output projection, the MLP's two layers
                       + 2 * 2 * T^2 * d                 q.k^T and attention.v over all heads
      projection       2 * d * E                         the pooled class token only
    ViT-B/32 at 224 px: P = 49, T = 50: 0.231 + 12 * (0.7078 + 0.0077) + 0.0008 = 8.82 GFLOP.
    """
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    v = cfg["vision_config"]
    d, m, L = v["hidden_size"], v["intermediate_size"], v["num_hidden_layers"]
    ps, S = v["patch_size"], v["image_size"]
    E = cfg.get("projection_dim", v.get("projection_dim", d))
    P = (S // ps) ** 2
    T = P + 1
    flop = 2 * P * 3 * ps * ps * d + L * (2 * T * d * (4 * d + 2 * m) + 4 * T * T * d) + 2 * d * E
    return flop / 1e9, f"{L} layers, d={d}, MLP {m}, {T} tokens ({S} px / patch {ps})"


# ----------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------

def stat(values):
    v = [x for x in values if x is not None and math.isfinite(x)]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def summarise(tool: Tool, runs: list, n_images: int, n_texts: int, n_many: int = 0) -> dict:
    """runs: list (one per repeat) of {mode: run dict}."""
    s = {"label": tool.label}
    for mode in tool.modes:
        s[f"{mode}_wall_s"] = stat([r[mode]["wall_s"] for r in runs])
        s[f"{mode}_peak_rss_mb"] = stat([r[mode]["peak_rss_mb"] for r in runs])

    def rate(n, mode):
        # Throughput once the process is up: n / (time of the run - time of the "base" run).
        # The headline uses the medians of both (robust to one slow run of either); the spread
        # is that of n / (each repeat's run - the median base).
        base = statistics.median(r["base"]["wall_s"] for r in runs)
        walls = [r[mode]["wall_s"] for r in runs]
        st = stat([n / (w - base) if w > base else float("nan") for w in walls])
        med = statistics.median(walls)
        if st is not None:
            st["median"] = n / (med - base) if med > base else float("nan")
        return st

    if "images" in tool.modes:
        s["images_per_s"] = rate(n_images, "images")
    if "texts" in tool.modes:
        s["captions_per_s"] = rate(n_texts, "texts")
    if MANY in tool.modes:
        s["captions_many_per_s"] = rate(n_many, MANY)
    if "full" in tool.modes:
        s["whole_items_per_s"] = stat([(n_images + n_texts) / r["full"]["wall_s"] for r in runs])
    if "base" in tool.modes:
        s["startup_load_s"] = s["base_wall_s"]
    # The tool's own view (in-process timers, --timings), per mode: every numeric field's statistics.
    by_mode = {}
    for mode in tool.modes:
        recs = [r[mode].get("inner") for r in runs]
        if recs and all(recs):
            keys = [k for k, v in recs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
            by_mode[mode] = {k: stat([x.get(k) for x in recs]) for k in keys}
    if by_mode:
        s["inner_by_mode"] = by_mode
        inner_key = next(m for m in ("full", "images", "texts", "base") if m in tool.modes)
        s["inner"] = by_mode.get(inner_key)
        s["blas"] = runs[0][inner_key].get("inner", {}).get("blas")
    return s


# ----------------------------------------------------------------------------------------------
# Embedding agreement
# ----------------------------------------------------------------------------------------------

def read_jsonl(path):
    """The JSON objects of an embed output; other lines (log messages, if any) are skipped."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.lstrip().startswith("{")]


def cosines(a_path, b_path) -> dict:
    """How far two embed outputs agree, matched by position (kinds must match, inputs should).

    Per kind: the worst cosine between the two vectors of the same input, the largest absolute
    difference of the L2-normalised vectors, and, to show what a cosine means for this model,
    the highest cosine between two *different* inputs of the reference (b): a random model maps
    similar emoji to very similar vectors, so 1 - worst cosine should be far below 1 - that.
    """
    a, b = read_jsonl(a_path), read_jsonl(b_path)
    if len(a) != len(b):
        return {"error": f"{len(a)} vs {len(b)} embeddings"}
    for x, y in zip(a, b):
        if x.get("kind") != y.get("kind"):
            return {"error": f"kind differs at input {x.get('input')!r}"}
    res = {"n": len(a), "inputs_differing": sum(x.get("input") != y.get("input") for x, y in zip(a, b))}
    for kind in ("image", "text"):
        idx = [i for i, x in enumerate(a) if x["kind"] == kind]
        if not idx:
            continue
        u = np.array([a[i]["embedding"] for i in idx], dtype=np.float64)
        v = np.array([b[i]["embedding"] for i in idx], dtype=np.float64)
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        cos = np.sum(u * v, axis=1)
        w = int(np.argmin(cos))
        res[f"worst_{kind}"] = float(cos[w])
        res[f"worst_{kind}_input"] = a[idx[w]]["input"]
        res[f"max_abs_diff_{kind}"] = float(np.max(np.abs(u - v)))
        if len(idx) > 1:
            pair = v @ v.T
            np.fill_diagonal(pair, -2)
            res[f"closest_distinct_{kind}"] = float(pair.max())
    res["worst"] = min(res.get("worst_image", 2.0), res.get("worst_text", 2.0))
    return res


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------

def fmt(st, digits=2, unit=""):
    if st is None or not math.isfinite(st["median"]):
        return "n/a"
    m, lo, hi = st["median"], st["min"], st["max"]
    return f"{m:.{digits}f}{unit} ({lo:.{digits}f}–{hi:.{digits}f})"


def best(summaries, key, higher_is_better):
    cands = [s for s in summaries if s.get(key) and math.isfinite(s[key]["median"])]
    if not cands:
        return None
    return (max if higher_is_better else min)(cands, key=lambda s: s[key]["median"])


TRAIN_RESULTS = "train_results.json"


def train_results(out_dir) -> dict:
    """bench/train_compare.sh's result, OUT/train_results.json: {"clip4j_samples_per_s": x, "torch_samples_per_s": y}
    (optional: "config", a one-line description of what was trained). Read only, never run from here."""
    path = os.path.join(out_dir, TRAIN_RESULTS)
    if not os.path.exists(path):
        have_script = os.path.exists(os.path.join(HERE, "train_compare.sh"))
        return {"missing": "run bench/train_compare.sh" + ("" if have_script else " (not in this checkout)")}
    try:
        with open(path) as f:
            d = json.load(f)
        c, t = float(d["clip4j_samples_per_s"]), float(d["torch_samples_per_s"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return {"missing": f"unreadable {path}: {e!r}"}
    return {"clip4j_samples_per_s": c, "torch_samples_per_s": t, "config": d.get("config"),
            "path": path, "written": time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(path)))}


def med(st):
    return st["median"] if st and math.isfinite(st["median"]) else None


def inner(s, mode, key):
    """Median of an in-process timer of one configuration (None when absent)."""
    return med(((s or {}).get("inner_by_mode") or {}).get(mode, {}).get(key))


def cfg_of(s):
    """'2 threads' from 'PyTorch fp32, 2 threads'."""
    return s["label"].split(", ", 1)[1] if ", " in s["label"] else s["label"]


def issue_table(res) -> list:
    """One row per line of the issue's performance table: figures, ratio (or absolute figure), target, verdict.

    Each row: what, clip4j, torch (text cells), value (the number the target applies to, or None), figure (its
    text), target, met (True / False / None = not measured, with the reason in figure).
    """
    S = res["summary"]
    c4 = S.get("clip4j")
    fp32 = [s for k, s in S.items() if k.startswith("torch-fp32") and "-pad" not in k]
    bf16 = [s for k, s in S.items() if k.startswith("torch-bf16")]
    n_i = res["workload"]["n_images"]
    rows = []

    def row(what, target, op, bar, value=None, clip4j="—", torch="—", figure=None, unit="×", reason=None):
        met = None
        if value is not None and math.isfinite(value):
            met = value >= bar if op == ">=" else (value <= bar if op == "<=" else value < bar)
            figure = figure or f"{value:.2f}{unit}"
        else:
            value, figure = None, reason or "n/a"
        # one table cell: first line only, no column separators
        figure = figure.splitlines()[0].replace("|", "/")[:200] if figure else "n/a"
        rows.append({"what": what, "clip4j": clip4j, "torch": torch, "value": value, "figure": figure,
                     "target": target, "met": met})

    def rate_row(what, key, ref, target, bar, unit_name, why_missing):
        c = med(c4.get(key)) if c4 else None
        b = best(ref, key, True)
        t = med(b[key]) if b else None
        row(what, target, ">=", bar, c / t if c and t else None,
            clip4j=f"{c:.2f} {unit_name}" if c else "n/a",
            torch=f"{t:.2f} {unit_name} ({cfg_of(b)})" if t else "n/a",
            reason=why_missing if not t else (None if c else "clip4j not measured" if not c4 else
                                              "n/a: clip4j's run was not slower than its base run "
                                              "(too few inputs for the noise; use a larger --n)"))

    rate_row("ViT-B/32 image encoding, batch 32, fp32 (images/s after start-up) vs PyTorch fp32",
             "images_per_s", fp32, "≥ 2.5×", 2.5, "images/s", "PyTorch fp32 not measured")
    bf16_why = ("n/a: " + res["bf16_note"].split(" -> ")[-1] + f" ({res['bf16_note'].split(' -> ')[0]})"
                if "skipped" in res.get("bf16_note", "") else "n/a: bf16 rows not run (--bf16 no)")
    rate_row("ViT-B/32 image encoding, batch 32 (images/s after start-up) vs PyTorch bf16 autocast",
             "images_per_s", bf16, "≥ 1.0×", 1.0, "images/s", bf16_why)
    rate_row("caption encoding, realistic captions (≤ 20 tokens), batch 32 (captions/s after start-up) "
             "vs PyTorch fp32 (padded to 77)", "captions_per_s", fp32, "≥ 5×", 5.0, "captions/s",
             "PyTorch fp32 not measured")
    n_m = res["workload"].get("n_texts_many")
    if n_m:
        rate_row(f"… the same, sustained: {n_m} captions ({-(-n_m // res['batch_size'])} batches) after start-up",
                 "captions_many_per_s", fp32, "≥ 5×", 5.0, "captions/s",
                 "PyTorch fp32 not measured at its largest thread count")

    # Whole process: the images-only run (N images from disk, JVM start / import, load, embed, exit).
    c = med(c4.get("images_wall_s")) if c4 else None
    b = best(fp32, "images_wall_s", False)
    t = med(b["images_wall_s"]) if b else None
    row(f"whole process: `embed` of {n_i} images from disk, incl. JVM start and load (PyTorch time / clip4j time)",
        "≥ 2×", ">=", 2.0, t / c if c and t else None,
        clip4j=f"{c:.2f} s" if c else "n/a", torch=f"{t:.2f} s ({cfg_of(b)})" if t else "n/a",
        reason="not measured")

    # GEMM peak fraction.
    g = res.get("gemm") or {}
    enc, peak = (g.get("encode") or {}).get("default"), g.get("peak")
    if enc and peak:
        sustained = enc["images_per_s"] * g["gflop_per_image"]
        frac = sustained / (peak["gflops"] * enc["threads"])
        row("fraction of the measured GEMM peak sustained over a whole image encode", "≥ 70 %", ">=", 0.70, frac,
            clip4j=f"{sustained:.1f} GFLOP/s = {enc['images_per_s']:.2f} images/s × {g['gflop_per_image']:.2f} GFLOP "
                   f"({enc['threads']} thread{'s' if enc['threads'] > 1 else ''}); peak {peak['gflops']:.1f} GFLOP/s per core",
            figure=f"{100 * frac:.0f} %")
    else:
        row("fraction of the measured GEMM peak sustained over a whole image encode", "≥ 70 %", ">=", 0.70,
            reason=g.get("missing") or "not measured")

    # Two threads vs one (clip4j, images mode).
    two = c4 if c4 and inner(c4, "images", "threads") == 2 else S.get("clip4j-t2")
    one = S.get("clip4j-t1")
    a, z = inner(two, "images", "images_per_s"), inner(one, "images", "images_per_s")
    wa, wz = (med(two.get("images_per_s")) if two else None), (med(one.get("images_per_s")) if one else None)
    tt = {int(s["label"].split(", ")[1].split()[0]): med(s.get("images_per_s")) for s in fp32}
    row("two threads vs one (clip4j images/s, in-process: decode + preprocess + encode)", "≥ 1.8×", ">=", 1.8,
        a / z if a and z else None,
        clip4j=(f"{a:.2f} vs {z:.2f} images/s in-process; whole-process {wa / wz:.2f}× ({wa:.2f} vs {wz:.2f})"
                if a and z and wa and wz else "n/a"),
        torch=(f"{tt[2] / tt[1]:.2f}× whole-process ({tt[2]:.2f} vs {tt[1]:.2f} images/s)"
               if tt.get(1) and tt.get(2) else "—"),
        reason=res.get("threads1_missing") or "not measured")

    # Load to first embedding (base run: one caption).
    c, cl, cj = (inner(c4, "base", k) for k in ("load_to_first_embedding_s", "load_s", "jvm_start_s"))
    tb = min((s for s in fp32 if inner(s, "base", "load_to_first_embedding_s") is not None),
             key=lambda s: inner(s, "base", "load_to_first_embedding_s"), default=None)
    t, tl, ti = (inner(tb, "base", k) for k in ("load_to_first_embedding_s", "load_s", "import_s"))
    row("load a ViT-B/32 checkpoint to first embedding (one caption)", "< 1 s", "<", 1.0, c,
        clip4j=f"{c:.2f} s (load {cl:.2f} s; JVM start before it {cj:.2f} s)" if c else "n/a",
        torch=f"{t:.2f} s (load {tl:.2f} s; import before it {ti:.2f} s; {cfg_of(tb)})" if t else "n/a",
        figure=f"{c:.2f} s" if c else None, reason="not measured")

    # Peak RSS (whole process, all inputs): clip4j / PyTorch. The issue names BF16 weight storage as the lever for
    # memory (with its accuracy cost stated), so the row's ratio is clip4j's with --weights bf16 where that was run,
    # and the cell gives the F32 (mapped) figure beside it.
    c = med(c4.get("full_peak_rss_mb")) if c4 else None
    b = best(fp32, "full_peak_rss_mb", False)
    t = med(b["full_peak_rss_mb"]) if b else None
    c16 = S.get("clip4j-bf16")
    c16 = med(c16.get("full_peak_rss_mb")) if c16 else None
    value = (c16 if c16 else c) / t if (c16 or c) and t else None
    row("peak RSS, ViT-B/32 inference (whole process, all inputs; clip4j / PyTorch; clip4j with --weights bf16 "
        "where run)", "≤ 0.6×", "<=", 0.6, value,
        clip4j=(f"--weights bf16: {c16:.0f} MB; " if c16 else "") + (f"F32 mapped: {c:.0f} MB" if c else "F32: n/a")
               + (f" = {c / t:.2f}×" if c and t else ""),
        torch=f"{t:.0f} MB ({cfg_of(b)})" if t else "n/a",
        figure=f"{value:.2f}× (--weights bf16)" if c16 and value is not None else None,
        reason="not measured")

    tr = res.get("train") or {}
    if "missing" in tr:
        row("training step, the trainer's reference config", "≥ 1.5×", ">=", 1.5, reason=tr["missing"])
    else:
        row("training step, the trainer's reference config", "≥ 1.5×", ">=", 1.5,
            tr["clip4j_samples_per_s"] / tr["torch_samples_per_s"],
            clip4j=f"{tr['clip4j_samples_per_s']:.2f} samples/s", torch=f"{tr['torch_samples_per_s']:.2f} samples/s")
    return rows


def inner_full(s, key):
    """Median of an in-process timer of a configuration's main run (full, else images / texts)."""
    return med((s.get("inner") or {}).get(key))


def markdown(res) -> str:
    S = res["summary"]
    c4 = S.get("clip4j")
    fp32 = [s for k, s in S.items() if k.startswith("torch-fp32") and "-pad" not in k]
    bf16 = [s for k, s in S.items() if k.startswith("torch-bf16")]
    pad = [s for k, s in S.items() if "-pad" in k]
    n_i, n_t = res["workload"]["n_images"], res["workload"]["n_texts"]
    lines = [f"# clip4j vs PyTorch: whole-process comparison",
             "",
             f"Model `{res['model']}`; {n_i} images ({res['workload'].get('fixture_photos', '?')} photos, "
             f"rest 64×64 emoji), {n_t} captions; batch {res['batch_size']}; {res['repeats']} repeats, "
             f"medians with (min–max). Machine: {res['machine']['cpu']}, {res['machine']['nproc']} CPUs, "
             f"load average {res['machine']['loadavg_start']} at start, {res['machine']['loadavg_end']} at end.",
             ""]
    if res.get("clip4j_missing"):
        lines += [f"**clip4j half not run:** {res['clip4j_missing']}", ""]
    busy = max(float(res["machine"][k].split()[0]) for k in ("loadavg_start", "loadavg_end"))
    if busy > 0.5 * res["machine"]["nproc"]:
        lines += [f"**Warning:** the machine was busy (1-minute load average up to {busy:.1f} on "
                  f"{res['machine']['nproc']} CPUs): treat these timings as a smoke test.", ""]

    verdict = {True: "met", False: "**not met**", None: "—"}
    lines += ["## Issue table", "",
              "The issue's performance targets, one row per line. Ratio = clip4j / PyTorch for throughputs, "
              "PyTorch / clip4j for times (above 1: clip4j is better), clip4j / PyTorch for memory (below 1: "
              "clip4j is better); absolute targets show the figure. PyTorch is fp32 at its best thread count "
              "unless said otherwise. Throughputs after start-up come from whole-process wall clocks "
              "(N / (run − base run)), the same way for both tools.",
              "",
              "| what | clip4j | PyTorch | ratio / figure | target | status |",
              "|---|---|---|---|---|---|"]
    for r in res.get("issue_table", []):
        lines.append(f"| {r['what']} | {r['clip4j']} | {r['torch']} | {r['figure']} | {r['target']} | "
                     f"{verdict[r['met']]} |")
    notes = []
    g = res.get("gemm") or {}
    enc = (g.get("encode") or {}).get("default")
    fwd = max((s for s in fp32 if inner_full(s, "images_per_s_forward")),
              key=lambda s: inner_full(s, "images_per_s_forward"), default=None)
    if enc and fwd:
        t = inner_full(fwd, "images_per_s_forward")
        notes.append(f"Image encoding, forward pass only, in-process: clip4j {enc['images_per_s']:.2f} images/s "
                     f"(bench/EncodeBench.java, {enc['threads']} threads, steady state) vs PyTorch "
                     f"{t:.2f} ({cfg_of(fwd)}, torch_embed.py's timers) = {enc['images_per_s'] / t:.2f}×.")
    for key, what in (("captions_per_s", "Captions against PyTorch with each batch cut after its longest caption "
                                          "(HF padding=True)"),
                      ("captions_many_per_s", f"The same, sustained ({res['workload'].get('n_texts_many')} captions)")):
        bp = best(pad, key, True)
        c = med(c4.get(key)) if c4 else None
        if bp and c:
            notes.append(f"{what}: {med(bp[key]):.2f} captions/s ({cfg_of(bp)}); clip4j / that = "
                         f"{c / med(bp[key]):.2f}×.")
    if n_i != 100:
        notes.append(f"The issue's whole-process line is for 100 images; this run embeds {n_i} "
                     f"(`bench/compare.sh --n 100` for the literal workload).")
    if g.get("encode", {}).get("t1") and g.get("peak"):
        e1 = g["encode"]["t1"]
        notes.append(f"At 1 thread the encode sustains {e1['images_per_s'] * g['gflop_per_image']:.1f} GFLOP/s = "
                     f"{100 * e1['images_per_s'] * g['gflop_per_image'] / g['peak']['gflops']:.0f} % of the peak; "
                     + (f"forward only, 2 threads vs 1: {enc['images_per_s'] / e1['images_per_s']:.2f}×."
                        if enc and enc["threads"] == 2 else ""))
    tr = res.get("train") or {}
    if "path" in tr:
        notes.append(f"Training: read from {tr['path']} (written {tr['written']} by bench/train_compare.sh"
                     + (f"; {tr['config']}" if tr.get("config") else "") + ").")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    lines.append("")

    rows = [
        # label, key, higher is better, digits, unit, ratio = clip4j / torch (rates) or torch / clip4j (times)
        ("images/s (batch 32, after start-up)", "images_per_s", True, 2, ""),
        ("captions/s (after start-up)", "captions_per_s", True, 2, ""),
        ("whole process, all inputs (s)", "full_wall_s", False, 2, ""),
        ("start-up + load + 1 caption (s)", "base_wall_s", False, 2, ""),
        ("peak RSS, whole process (MB)", "full_peak_rss_mb", False, 0, ""),
    ]
    n_m = res["workload"].get("n_texts_many")
    if n_m:
        rows.insert(2, (f"captions/s (after start-up, {n_m} captions)", "captions_many_per_s", True, 2, ""))

    def ratio(a, b, higher):
        if not a or not b:
            return "n/a"
        r = a["median"] / b["median"] if higher else b["median"] / a["median"]
        return f"{r:.2f}×"

    lines += ["## Ratios", "",
              "Ratio = clip4j throughput / PyTorch throughput: for times and memory, PyTorch's value / "
              "clip4j's; above 1 means clip4j is better. PyTorch column = the best of its thread counts.",
              "",
              "| metric | clip4j | PyTorch fp32 (best) | ratio | PyTorch bf16 autocast (best) | ratio |",
              "|---|---|---|---|---|---|"]
    for label, key, higher, digits, unit in rows:
        bf = best(fp32, key, higher)
        bb = best(bf16, key, higher)
        c = c4.get(key) if c4 else None
        lines.append(f"| {label} | {fmt(c, digits)} | {fmt(bf and bf[key], digits)}"
                     f"{' [' + bf['label'].split(', ', 1)[1] + ']' if bf else ''} | "
                     f"{ratio(c, bf and bf[key], higher)} | {fmt(bb and bb[key], digits)}"
                     f"{' [' + bb['label'].split(', ', 1)[1] + ']' if bb else ''} | "
                     f"{ratio(c, bb and bb[key], higher)} |")
    if res.get("bf16_note"):
        lines += ["", res["bf16_note"] + "."]
    bp = best(pad, "captions_per_s", True)
    if bp:
        c = c4.get("captions_per_s") if c4 else None
        lines += ["", f"Extra: PyTorch captions/s with each batch cut after its longest caption "
                      f"(HF padding=True; clip.tokenize pads to 77): {fmt(bp['captions_per_s'])} "
                      f"[{bp['label'].split(', ', 1)[1]}]; clip4j / that = {ratio(c, bp['captions_per_s'], True)}."]

    lines += ["", "## Every configuration", "",
              f"| configuration | whole (s) | images only (s) | texts only (s) | {res['workload'].get('n_texts_many') or 'many'} texts (s) "
              "| base (s) | images/s | captions/s | peak RSS (MB) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for k, s in S.items():
        lines.append(f"| {s['label']} | {fmt(s.get('full_wall_s'))} | {fmt(s.get('images_wall_s'))} | "
                     f"{fmt(s.get('texts_wall_s'))} | {fmt(s.get(MANY + '_wall_s'))} | {fmt(s.get('base_wall_s'))} | "
                     f"{fmt(s.get('images_per_s'))} | {fmt(s.get('captions_per_s'))} | "
                     f"{fmt(s.get('full_peak_rss_mb') or s.get('texts_peak_rss_mb'), 0)} |")

    lines += ["", "In-process timers (each tool's --timings: the full run, or the images-only run for "
              "configurations without one; load → first embedding from the base run, one caption). "
              "Start = JVM start before main (clip4j) or `import torch` (PyTorch). images/s includes "
              "decoding and preprocessing (clip4j: pipelined with the encode).", "",
              "| configuration | threads | start (s) | load (s) | load → first embedding (s) | images/s | "
              "images/s forward only | captions/s | captions/s forward only | peak RSS (MB) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for k, s in S.items():
        inn = s.get("inner")
        if inn:
            base = (s.get("inner_by_mode") or {}).get("base", {})
            start = inn.get("jvm_start_s") or inn.get("import_s")
            th = med(inn.get("threads"))
            th = "?" if th is None else f"{th:.0f}"
            lines.append(f"| {s['label']} | {th} | {fmt(start)} | {fmt(inn.get('load_s'))} | "
                         f"{fmt(base.get('load_to_first_embedding_s'))} | "
                         f"{fmt(inn.get('images_per_s'))} | {fmt(inn.get('images_per_s_forward'))} | "
                         f"{fmt(inn.get('captions_per_s'))} | {fmt(inn.get('captions_per_s_forward'))} | "
                         f"{fmt(inn.get('peak_rss_mb'), 0)} |")
    blas = next((s.get("blas") for s in S.values() if s.get("blas")), None)
    if blas:
        lines += ["", f"PyTorch {res['machine'].get('torch', '')}, BLAS: {blas}."]

    if g:
        lines += ["", "## GEMM peak and the image encode", ""]
        if g.get("missing"):
            lines.append(f"Not measured: {g['missing']}")
        else:
            p = g["peak"]
            lines += [f"Peak: `Ops.matmul` {p['shape']} (N×C×OC), 1 thread, {p['gflops']:.1f} GFLOP/s "
                      f"({p['gflops_min']:.1f}–{p['gflops_max']:.1f} over {p['iterations']} iterations; "
                      f"`java -jar bench/jmh/target/benchmarks.jar GemmBench.matmul -p shape={p['shape']} "
                      f"-p threads=1 -f 1 -wi 3 -i 5`).",
                      f"Image encode: bench/EncodeBench.java, batch {res['batch_size']}, forward pass only "
                      f"(`ClipModel.encodeImages` on preprocessed images), after a warm-up batch; "
                      f"{g['gflop_per_image']:.2f} GFLOP per image ({g['flop_model']}; matrix products only, "
                      f"see image_gflop in bench/compare.py).", "",
                      "| threads | images/s (per-batch range) | GFLOP/s | of peak × threads |", "|---|---|---|---|"]
            for e in (g.get("encode") or {}).values():
                gf = e["images_per_s"] * g["gflop_per_image"]
                lines.append(f"| {e['threads']} | {e['images_per_s']:.2f} ({e['images_per_s_min']:.2f}–"
                             f"{e['images_per_s_max']:.2f}) | {gf:.1f} | {100 * gf / (p['gflops'] * e['threads']):.0f} % |")

    lines += ["", "## Agreement of the embeddings", ""]
    for name, c in res["cosine"].items():
        if "error" in c:
            lines.append(f"- {name}: ERROR {c['error']}")
            continue
        verdict = ""
        if name.startswith("clip4j"):
            verdict = " — OK" if c["worst"] >= COSINE_MIN else f" — FAIL (< {COSINE_MIN})"
        nan = float("nan")
        lines.append(f"- {name}: worst cosine {c['worst']:.7f}{verdict} — images {c.get('worst_image', nan):.7f} "
                     f"(max |diff| of normalised vectors {c.get('max_abs_diff_image', nan):.1e}), "
                     f"texts {c.get('worst_text', nan):.7f} ({c.get('max_abs_diff_text', nan):.1e}); "
                     f"{c['n']} inputs"
                     + (f"; {c['inputs_differing']} 'input' fields differ" if c["inputs_differing"] else ""))
    ref = next((c for c in res["cosine"].values() if "closest_distinct_image" in c), None)
    if ref:
        lines += ["", f"For scale: in the PyTorch output, the two most similar *different* images have cosine "
                      f"{ref['closest_distinct_image']:.4f}, the two most similar different captions "
                      f"{ref.get('closest_distinct_text', float('nan')):.4f}."]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--workload", required=True, help="directory written by make_workload.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", default="1,2", help="PyTorch thread counts, comma separated")
    ap.add_argument("--bf16", choices=["auto", "yes", "no"], default="auto",
                    help="bf16 autocast rows: auto = only when this PyTorch's bf16 matmul is not "
                         "much slower than fp32 (see probe_bf16)")
    ap.add_argument("--no-pad-longest", action="store_true",
                    help="skip the extra PyTorch captions run with batches cut to the longest caption")
    ap.add_argument("--clip4j", default=os.path.join(REPO, "bin", "clip4j"))
    ap.add_argument("--clip4j-missing", default="",
                    help="reason why clip4j cannot run: skip its runs and report that")
    ap.add_argument("--no-threads1", action="store_true",
                    help="skip clip4j at 1 thread (images mode and the encode harness): no two-vs-one row")
    ap.add_argument("--no-gemm", action="store_true",
                    help="skip the GEMM peak (JMH) and the forward-only encode harness: no peak-fraction row")
    ap.add_argument("--gemm-missing", default="", help="reason why the GEMM peak cannot be measured")
    ap.add_argument("--java", default="java", help="the JDK's java (for JMH and bench/EncodeBench.java)")
    ap.add_argument("--jmh-jar", default=os.path.join(HERE, "jmh", "target", "benchmarks.jar"))
    ap.add_argument("--encode-batches", type=int, default=3,
                    help="timed batches of the forward-only encode harness (after one warm-up batch)")
    args = ap.parse_args()

    wl_dir = os.path.abspath(args.workload)
    with open(os.path.join(wl_dir, "images.txt"), encoding="utf-8") as f:
        images = [l.rstrip("\n") for l in f if l.strip()]
    with open(os.path.join(wl_dir, "texts.json"), encoding="utf-8") as f:
        texts = json.load(f)
    wl = {"images": images, "images_txt": os.path.join(wl_dir, "images.txt"),
          "texts_json": os.path.join(wl_dir, "texts.json"),
          "text1_json": os.path.join(wl_dir, "text1.json"),
          "texts_many_json": os.path.join(wl_dir, "texts_many.json")}
    texts_many = []
    if os.path.exists(wl["texts_many_json"]):
        with open(wl["texts_many_json"], encoding="utf-8") as f:
            texts_many = json.load(f)
    many = (MANY,) if texts_many else ()
    info = {}
    if os.path.exists(os.path.join(wl_dir, "workload.json")):
        info = json.load(open(os.path.join(wl_dir, "workload.json")))
    model = os.path.abspath(args.model)
    runs_dir = os.path.join(os.path.abspath(args.out), "runs")
    shutil.rmtree(runs_dir, ignore_errors=True)
    os.makedirs(runs_dir)

    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    tools = []
    threads1_missing = ""
    if not args.clip4j_missing:
        tools.append(Clip4j(args.clip4j, model, args.batch_size, modes=MODES + many))
        if args.no_threads1:
            threads1_missing = "not run (--no-threads1)"
        else:
            # clip4j's own thread count (what the JVM sees): one untimed base run, which also warms the page cache.
            default_threads = os.cpu_count()
            try:
                probe = Clip4j(args.clip4j, model, args.batch_size).run("base", wl, runs_dir, "probe")
                default_threads = int(probe["inner"]["threads"])
            except (RuntimeError, KeyError, ValueError) as e:
                print(f"clip4j thread-count probe failed, assuming {default_threads}: {e}", file=sys.stderr)
            print(f"clip4j runs with {default_threads} threads by default", file=sys.stderr)
            tools.append(Clip4j(args.clip4j, model, args.batch_size, 1, ("images", "base")))
            if default_threads != 2:
                tools.append(Clip4j(args.clip4j, model, args.batch_size, 2, ("images", "base")))
        # BF16 weight storage: memory and agreement, all inputs
        tools.append(Clip4j(args.clip4j, model, args.batch_size, modes=("full",), weights="bf16"))
    tools += [TorchEmbed(model, args.batch_size, t, "fp32", modes=MODES + (many if t == max(threads) else ()))
              for t in threads]
    bf16_note = ""
    if args.bf16 == "auto":
        fp32_gf, bf16_gf = probe_bf16()
        bf16_note = (f"bf16 probe: one 1600x768x3072 linear layer at {fp32_gf:.1f} GFLOP/s in fp32, "
                     f"{bf16_gf:.1f} GFLOP/s under bf16 autocast (1 thread)")
        print(bf16_note, file=sys.stderr)
        if bf16_gf < fp32_gf / 4:
            bf16_note += " -> bf16 rows skipped: this PyTorch build has no fast bf16 matmul on this CPU"
    if args.bf16 == "yes" or (args.bf16 == "auto" and "skipped" not in bf16_note):
        tools += [TorchEmbed(model, args.batch_size, t, "bf16") for t in threads]
    if not args.no_pad_longest:
        tools += [TorchEmbed(model, args.batch_size, t, "fp32", "longest",
                             ("texts", "base") + (many if t == max(threads) else ()))
                  for t in threads]

    machine = {"cpu": platform.processor() or platform.machine(), "nproc": os.cpu_count(),
               "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                machine["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        machine["torch"] = subprocess.run([PY, "-c", "import torch; print(torch.__version__)"],
                                          capture_output=True, text=True).stdout.strip()
    except OSError:
        pass

    # Interleave: every repeat runs every configuration once, so slow drifts in the machine's
    # load spread over all configurations instead of hitting one.
    raw = {t.name: [] for t in tools}
    failures = {}
    for rep in range(args.repeats):
        # Mode by mode, every configuration back to back (the tools' runs of one mode minutes apart at most, so the
        # machine's drift hits them alike), in reversed order every other repeat (no tool always runs first).
        order = tools if rep % 2 == 0 else list(reversed(tools))
        recs = {t.name: {} for t in tools}
        for mode in RUN_ORDER:
            for tool in order:
                if tool.name in failures or mode not in tool.modes:
                    continue
                try:
                    r = recs[tool.name][mode] = tool.run(mode, wl, runs_dir, rep)
                    print(f"[rep {rep + 1}/{args.repeats}] {tool.label:<40} {mode:<6} "
                          f"{r['wall_s']:7.2f} s  {r['peak_rss_mb'] or 0:7.0f} MB", file=sys.stderr, flush=True)
                except RuntimeError as e:
                    failures[tool.name] = str(e)
                    print(f"{tool.label} failed: {e}", file=sys.stderr)
        for tool in tools:
            if tool.name not in failures:
                raw[tool.name].append(recs[tool.name])

    # the raw measurements first, so that nothing measured is lost if a later step fails
    with open(os.path.join(args.out, "raw.json"), "w") as f:
        json.dump({"raw": raw, "failures": failures}, f, indent=1, default=str)
    summary = {t.name: summarise(t, raw[t.name], len(images), len(texts), len(texts_many))
               for t in tools if raw[t.name]}

    # GEMM peak (JMH, 1 thread) and the forward-only image encode at clip4j's default and 1 thread.
    gemm = {}
    if args.clip4j_missing:
        gemm = {"missing": "clip4j not run"}
    elif args.no_gemm:
        gemm = {"missing": "not run (--no-gemm)"}
    elif args.gemm_missing:
        gemm = {"missing": args.gemm_missing}
        failures["gemm"] = args.gemm_missing
    else:
        try:
            gemm["gflop_per_image"], gemm["flop_model"] = image_gflop(model)
            gemm["peak"] = gemm_peak(args.java, args.jmh_jar, runs_dir)
            print(f"GEMM peak {gemm['peak']['shape']}, 1 thread: {gemm['peak']['gflops']:.1f} GFLOP/s",
                  file=sys.stderr, flush=True)
            gemm["encode"] = {}
            for key, t in [("default", None)] + ([] if args.no_threads1 else [("t1", 1)]):
                e = encode_bench(args.java, model, wl["images_txt"], args.batch_size, t, args.encode_batches)
                gemm["encode"][key] = e
                print(f"encode harness, {e['threads']} thread(s): {e['images_per_s']:.2f} images/s "
                      f"({e['images_per_s'] * gemm['gflop_per_image']:.1f} GFLOP/s)", file=sys.stderr, flush=True)
        except (RuntimeError, OSError, KeyError, ValueError) as e:
            gemm["missing"] = f"failed: {e}"
            failures["gemm"] = str(e)
            print(f"GEMM measurements failed: {e}", file=sys.stderr)

    # Agreement of the embeddings (first repeat's full runs).
    cos = {}
    full = lambda name: os.path.join(runs_dir, f"{name}.full.r0.jsonl")
    ref = f"torch-fp32-t{threads[0]}"
    if "clip4j" in summary and ref in summary:
        cos[f"clip4j vs PyTorch fp32"] = cosines(full("clip4j"), full(ref))
    if "clip4j-bf16" in summary and ref in summary:
        cos[f"clip4j --weights bf16 vs PyTorch fp32"] = cosines(full("clip4j-bf16"), full(ref))
    if ref in summary:
        for t in tools:
            if t.name != ref and t.name.startswith("torch") and "full" in t.modes and t.name in summary:
                cos[f"{t.label} vs {summary[ref]['label']}"] = cosines(full(t.name), full(ref))

    machine["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    res = {"model": model, "workload": {**info, "n_images": len(images), "n_texts": len(texts),
                                        "n_texts_many": len(texts_many)},
           "batch_size": args.batch_size, "repeats": args.repeats, "machine": machine,
           "bf16_note": bf16_note,
           "clip4j_missing": args.clip4j_missing or failures.get("clip4j", ""),
           "failures": failures, "summary": summary, "cosine": cos, "gemm": gemm,
           "threads1_missing": threads1_missing, "train": train_results(args.out),
           "raw": {k: [{m: {kk: vv for kk, vv in r.items() if kk != "output"} for m, r in rec.items()}
                       for rec in v] for k, v in raw.items()}}
    res["issue_table"] = issue_table(res)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=2)
    md = markdown(res)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    print(md)

    bad_cos = any(k.startswith("clip4j") and ("error" in c or c["worst"] < COSINE_MIN)
                  for k, c in cos.items())
    if failures or bad_cos:
        sys.exit(1)


if __name__ == "__main__":
    main()
