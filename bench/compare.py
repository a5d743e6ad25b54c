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
the throughput once the process is up, measured the same way for both tools. PyTorch's own
in-process timings (torch_embed.py --timings) are kept as a cross-check. Medians over the
repeats are reported with their spread (min-max). Finally the embeddings of the full runs are
compared: cosine of clip4j's and PyTorch fp32's vector for each input (must be >= 0.999).

Writes OUT/results.json and OUT/results.md and prints the markdown.
"""

import argparse
import json
import math
import os
import platform
import re
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
        return r


class Clip4j(Tool):
    def __init__(self, launcher, model, batch):
        super().__init__("clip4j", "clip4j")
        self.launcher, self.model, self.batch = launcher, model, batch

    def command(self, mode, wl, out_dir, rep, stdout):
        cmd = [self.launcher, "embed", "--model", self.model, "--batch-size", str(self.batch)]
        if mode in ("full", "images"):
            for p in wl["images"]:
                cmd += ["--image", p]
        if mode in ("full", "texts"):
            cmd += ["--texts-json", wl["texts_json"]]
        if mode == "base":
            cmd += ["--texts-json", wl["text1_json"]]
        return cmd, stdout, None


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
        timings = stdout[:-len(".jsonl")] + ".timings.json"
        cmd = [PY, os.path.join(HERE, "torch_embed.py"), "--model", self.model,
               "--batch-size", str(self.batch), "--threads", str(self.threads),
               "--dtype", self.dtype, "--text-pad", self.text_pad, "--timings", timings]
        if mode in ("full", "images"):
            cmd += ["--images-list", wl["images_txt"]]
        if mode in ("full", "texts"):
            cmd += ["--texts-json", wl["texts_json"]]
        if mode == "base":
            cmd += ["--texts-json", wl["text1_json"]]
        return cmd, stdout, self.env

    def run(self, mode, wl, out_dir, rep):
        r = super().run(mode, wl, out_dir, rep)
        with open(r["output"][:-len(".jsonl")] + ".timings.json") as f:
            r["inner"] = json.load(f)
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


# ----------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------

def stat(values):
    v = [x for x in values if x is not None and math.isfinite(x)]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def summarise(tool: Tool, runs: list, n_images: int, n_texts: int) -> dict:
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
    if "full" in tool.modes:
        s["whole_items_per_s"] = stat([(n_images + n_texts) / r["full"]["wall_s"] for r in runs])
    s["startup_load_s"] = s["base_wall_s"]
    # PyTorch's own view of the full run (in-process timers).
    inner_key = "full" if "full" in tool.modes else "texts"
    if runs and "inner" in runs[0][inner_key]:
        keys = ["import_s", "load_s", "images_per_s", "images_per_s_forward", "captions_per_s",
                "captions_per_s_forward", "total_s", "peak_rss_mb"]
        s["inner"] = {k: stat([r[inner_key]["inner"].get(k) for r in runs]) for k in keys
                      if runs[0][inner_key]["inner"].get(k) is not None}
        s["blas"] = runs[0][inner_key]["inner"].get("blas")
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

    rows = [
        # label, key, higher is better, digits, unit, ratio = clip4j / torch (rates) or torch / clip4j (times)
        ("images/s (batch 32, after start-up)", "images_per_s", True, 2, ""),
        ("captions/s (after start-up)", "captions_per_s", True, 2, ""),
        ("whole process, all inputs (s)", "full_wall_s", False, 2, ""),
        ("start-up + load + 1 caption (s)", "base_wall_s", False, 2, ""),
        ("peak RSS, whole process (MB)", "full_peak_rss_mb", False, 0, ""),
    ]

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
              "| configuration | whole (s) | images only (s) | texts only (s) | base (s) | images/s | captions/s | peak RSS (MB) |",
              "|---|---|---|---|---|---|---|---|"]
    for k, s in S.items():
        lines.append(f"| {s['label']} | {fmt(s.get('full_wall_s'))} | {fmt(s.get('images_wall_s'))} | "
                     f"{fmt(s.get('texts_wall_s'))} | {fmt(s.get('base_wall_s'))} | "
                     f"{fmt(s.get('images_per_s'))} | {fmt(s.get('captions_per_s'))} | "
                     f"{fmt(s.get('full_peak_rss_mb') or s.get('texts_peak_rss_mb'), 0)} |")

    lines += ["", "PyTorch's in-process timers (full run; images/s includes decoding and preprocessing):", "",
              "| configuration | import (s) | load (s) | images/s | images/s forward only | captions/s | captions/s forward only |",
              "|---|---|---|---|---|---|---|"]
    for k, s in S.items():
        inn = s.get("inner")
        if inn:
            lines.append(f"| {s['label']} | {fmt(inn.get('import_s'))} | {fmt(inn.get('load_s'))} | "
                         f"{fmt(inn.get('images_per_s'))} | {fmt(inn.get('images_per_s_forward'))} | "
                         f"{fmt(inn.get('captions_per_s'))} | {fmt(inn.get('captions_per_s_forward'))} |")
    blas = next((s.get("blas") for s in S.values() if s.get("blas")), None)
    if blas:
        lines += ["", f"PyTorch {res['machine'].get('torch', '')}, BLAS: {blas}."]

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
    args = ap.parse_args()

    wl_dir = os.path.abspath(args.workload)
    with open(os.path.join(wl_dir, "images.txt"), encoding="utf-8") as f:
        images = [l.rstrip("\n") for l in f if l.strip()]
    with open(os.path.join(wl_dir, "texts.json"), encoding="utf-8") as f:
        texts = json.load(f)
    wl = {"images": images, "images_txt": os.path.join(wl_dir, "images.txt"),
          "texts_json": os.path.join(wl_dir, "texts.json"),
          "text1_json": os.path.join(wl_dir, "text1.json")}
    info = {}
    if os.path.exists(os.path.join(wl_dir, "workload.json")):
        info = json.load(open(os.path.join(wl_dir, "workload.json")))
    model = os.path.abspath(args.model)
    runs_dir = os.path.join(os.path.abspath(args.out), "runs")
    shutil.rmtree(runs_dir, ignore_errors=True)
    os.makedirs(runs_dir)

    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    tools = []
    if not args.clip4j_missing:
        tools.append(Clip4j(args.clip4j, model, args.batch_size))
    tools += [TorchEmbed(model, args.batch_size, t, "fp32") for t in threads]
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
        tools += [TorchEmbed(model, args.batch_size, t, "fp32", "longest", ("texts", "base"))
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
        for tool in tools:
            if tool.name in failures:
                continue
            rec = {}
            try:
                for mode in tool.modes:
                    rec[mode] = tool.run(mode, wl, runs_dir, rep)
                    print(f"[rep {rep + 1}/{args.repeats}] {tool.label:<40} {mode:<6} "
                          f"{rec[mode]['wall_s']:7.2f} s  {rec[mode]['peak_rss_mb'] or 0:7.0f} MB",
                          file=sys.stderr, flush=True)
            except RuntimeError as e:
                failures[tool.name] = str(e)
                print(f"{tool.label} failed: {e}", file=sys.stderr)
                continue
            raw[tool.name].append(rec)

    summary = {t.name: summarise(t, raw[t.name], len(images), len(texts))
               for t in tools if raw[t.name]}

    # Agreement of the embeddings (first repeat's full runs).
    cos = {}
    full = lambda name: os.path.join(runs_dir, f"{name}.full.r0.jsonl")
    ref = f"torch-fp32-t{threads[0]}"
    if "clip4j" in summary and ref in summary:
        cos[f"clip4j vs PyTorch fp32"] = cosines(full("clip4j"), full(ref))
    if ref in summary:
        for t in tools:
            if t.name != ref and t.name.startswith("torch") and "full" in t.modes and t.name in summary:
                cos[f"{t.label} vs {summary[ref]['label']}"] = cosines(full(t.name), full(ref))

    machine["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    res = {"model": model, "workload": {"n_images": len(images), "n_texts": len(texts), **info},
           "batch_size": args.batch_size, "repeats": args.repeats, "machine": machine,
           "bf16_note": bf16_note,
           "clip4j_missing": args.clip4j_missing or failures.get("clip4j", ""),
           "failures": failures, "summary": summary, "cosine": cos,
           "raw": {k: [{m: {kk: vv for kk, vv in r.items() if kk != "output"} for m, r in rec.items()}
                       for rec in v] for k, v in raw.items()}}
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
