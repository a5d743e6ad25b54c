#!/usr/bin/env bash
# Training throughput of clip4j against PyTorch on the same model, data and recipe, measured in one run.
#
#   bench/train_compare.sh [--steps 40] [--warmup-steps 5] [--threads 1,2] [--batch-size 128] [--seed 0]
#                          [--text-len 77|longest|both] [--repeats 1] [--tokenizer-from DIR] [--fresh]
#
# The recipe (the emoji model's, see models/clip4j-emoji/README.md): CLIP `tiny` (embedding 64, image 64, patch 8,
# vision 192 × 4 layers × 3 heads, text 128 × 4 layers × 4 heads, context 77, QuickGELU) with the vocabulary of
# --tokenizer-from (default: the CLIP BPE of ../shared/fixtures/models/tiny/hf, 49,408 tokens, as the reference
# recipe); batch 128; AdamW lr 1e-3, betas (0.9, 0.98), eps 1e-6, weight decay 0.2 on the >=2-d weights; linear
# warmup over the warm-up steps then cosine; the emoji train split (../shared/data/emoji, 3,054 images) composited
# on white; RandomResizedCrop(64, scale (0.8, 1.0), bicubic); one random caption per image per epoch.
#
# Steps:
#   1. bench/setup-python.sh (Debian's python3-torch, numpy, Pillow, OpenBLAS; a no-op when present)
#   2. build clip4j (bin/clip4j --help)
#   3. the model, the same file for both: bin/clip4j init --arch tiny --seed S --tokenizer-from DIR
#      -> bench/out/train/tiny-sS (reused on reruns; --fresh remakes it)
#   4. clip4j: bin/clip4j train --model MODEL ... --steps W+N; samples/s from OUT/metrics.jsonl over steps W+1..W+N
#      (each record's samples_per_s is B / the wall time since the previous step: data loading included)
#   5. PyTorch: bench/torch_train.py --threads T for each T (fresh process each; images decoded into memory at
#      start-up, batches built by a background thread); samples/s over the same steps
#      (4 and 5 are repeated --repeats times, interleaved, so a change in the machine's load hits every configuration)
#   6. table: samples/s (median of the repeats), the ratio clip4j / best PyTorch, and the losses (first step, last
#      step, mean of the last 5): same init and recipe, so the curves should be close (the data order and crops
#      differ) -> bench/out/train/results.md, results.json
#
# --text-len: PyTorch runs the text tower over the full 77-token context, as open_clip does (77, the default), or
# over each batch's longest caption (longest: exact under the causal mask, what clip4j does), or both.
# Exit status: 0 done; 1 a run failed; 2 bad arguments or missing data.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"
PY=/usr/bin/python3
data_rel="../shared/data/emoji"
out="$here/out/train"

steps=40; warm=5; threads=1,2; batch=128; seed=0; text_len=77; tok="../shared/fixtures/models/tiny/hf"; fresh=0; repeats=1
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --warmup-steps) warm="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --batch-size) batch="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --text-len) text_len="$2"; shift 2 ;;
    --tokenizer-from) tok="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "train_compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$text_len" in 77|longest|both) ;; *) echo "train_compare.sh: --text-len must be 77, longest or both" >&2; exit 2 ;; esac
[ -f "$data_rel/captions.tsv" ] || { echo "train_compare.sh: emoji data not found at $repo/$data_rel" >&2; exit 2; }
[ -f "$tok/vocab.json" ] || { echo "train_compare.sh: no tokenizer (vocab.json) in $tok" >&2; exit 2; }
say() { printf '\n== %s\n' "$*" >&2; }
mkdir -p "$out"
total=$((warm + steps))

say "1. Python reference (Debian packages)"
bash "$here/setup-python.sh"

say "2. clip4j build"
bin/clip4j --help >/dev/null

say "3. model (tiny, seed $seed, tokenizer $tok)"
model="$out/tiny-s$seed"
stamp="arch=tiny seed=$seed tokenizer=$(cd "$tok" && pwd)"
if [ "$fresh" = 1 ] || [ ! -f "$model/model.safetensors" ] || [ "$(cat "$model/.bench-stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$model"
  bin/clip4j init --arch tiny --out "$model" --seed "$seed" --tokenizer-from "$tok"
  echo "$stamp" > "$model/.bench-stamp"
else
  echo "reusing $model" >&2
fi

common=(--data "$data_rel/captions.tsv" --split-json "$data_rel/splits.json" --split train)
status=0
lens=("$text_len"); [ "$text_len" = both ] && lens=(77 longest)
rm -rf "$out"/clip4j-r* "$out"/torch-*.json "$out"/results.*

for rep in $(seq 1 "$repeats"); do
  say "4. repeat $rep/$repeats: clip4j, $total steps ($warm warm-up + $steps measured), batch $batch"
  run="$out/clip4j-r$rep"
  t0=$(date +%s)
  if ! bin/clip4j train --model "$model" "${common[@]}" --alpha-background white --crop-scale 0.8,1.0 \
      --batch-size "$batch" --steps "$total" --lr 1e-3 --weight-decay 0.2 --beta1 0.9 --beta2 0.98 --eps 1e-6 \
      --warmup "$warm" --schedule cosine --seed "$seed" --out "$run" --no-plot --no-progress 2>&1 | tee "$run.log" >&2; then
    echo "train_compare.sh: clip4j train failed (see $run.log)" >&2; status=1
  fi
  cut -d' ' -f1 /proc/loadavg > "$run.load"
  echo "clip4j process: $(( $(date +%s) - t0 )) s (start-up, data, steps, final save)" >&2

  say "5. repeat $rep/$repeats: PyTorch, $total steps per run, threads $threads, text length $text_len"
  for len in "${lens[@]}"; do
    for t in ${threads//,/ }; do
      echo "-- PyTorch, $t thread(s), text length $len" >&2
      if ! env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "$here/torch_train.py" --model "$model" "${common[@]}" \
          --threads "$t" --steps "$steps" --warmup-steps "$warm" --batch-size "$batch" --lr 1e-3 --lr-warmup "$warm" \
          --weight-decay 0.2 --crop-scale 0.8,1.0 --text-len "$len" --seed "$seed" --out "$out/torch-t$t-$len-r$rep.json" >/dev/null; then
        echo "train_compare.sh: PyTorch run failed ($t threads, text length $len)" >&2; status=1
      fi
    done
  done
done

say "6. results"
"$PY" - "$out" "$warm" "$steps" "$batch" <<'EOF' || status=1
import glob, json, os, platform, sys
out, warm, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def summary(losses):
    tail = losses[-5:]
    return {"first": losses[0], "last": losses[-1], "last5": sum(tail) / len(tail)}

runs = []                                   # one per process run
for mf in sorted(glob.glob(os.path.join(out, "clip4j-r*", "metrics.jsonl"))):
    recs = [json.loads(l) for l in open(mf) if l.strip()]
    recs = [r for r in recs if r.get("type") == "train"]
    measured = [r for r in recs if warm < r["step"] <= warm + steps]
    if len(measured) != steps:
        continue
    secs = sum(batch / r["samples_per_s"] for r in measured)
    load = open(os.path.dirname(mf) + ".load").read().strip()
    runs.append(dict(tool="clip4j", threads="all (%d cores)" % os.cpu_count(), text_len="to the last EOT",
                     samples_per_s=steps * batch / secs, seconds=secs, load=float(load), **summary([r["loss"] for r in recs])))
for f in sorted(glob.glob(os.path.join(out, "torch-*.json"))):
    r = json.load(open(f))
    runs.append(dict(tool="PyTorch " + r["torch"], threads=str(r["threads"]), text_len=r["text_len"], samples_per_s=r["samples_per_s"],
                     seconds=r["seconds"], data_wait_s=r["data_wait_s"], load=r["load"], **summary(r["losses"])))

def key(r):
    return (r["tool"], r["threads"], r["text_len"])

rows = []                                   # one per configuration: its median run
for k in dict.fromkeys(key(r) for r in runs):
    group = sorted((r for r in runs if key(r) == k), key=lambda r: r["samples_per_s"])
    row = dict(group[(len(group) - 1) // 2])
    row["repeats"] = [g["samples_per_s"] for g in group]
    row["loads"] = [g["load"] for g in runs if key(g) == k]
    rows.append(row)
c4 = next((r for r in rows if r["tool"] == "clip4j"), None)
torch_rows = [r for r in rows if r["tool"] != "clip4j"]
lines = ["Training throughput, CLIP tiny, batch %d, %d steps measured after %d warm-up steps (%s, %d cores)"
         % (batch, steps, warm, platform.processor() or platform.machine(), os.cpu_count()), "",
         "| run | threads | text tower over | samples/s (median) | every repeat | loss step 1 | loss last | mean loss last 5 | load after |",
         "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    lines.append("| %s | %s | %s | %.1f | %s | %.4f | %.4f | %.4f | %s |" % (r["tool"], r["threads"], r["text_len"], r["samples_per_s"],
                 " ".join("%.1f" % x for x in r["repeats"]), r["first"], r["last"], r["last5"], " ".join("%.1f" % x for x in r["loads"])))
result = {"runs": runs, "rows": rows}
if c4 and torch_rows:
    lines.append("")
    for length in dict.fromkeys(r["text_len"] for r in torch_rows):
        best = max((r for r in torch_rows if r["text_len"] == length), key=lambda r: r["samples_per_s"])
        ratio = c4["samples_per_s"] / best["samples_per_s"]
        result["ratio_text_" + length] = ratio
        lines.append("ratio clip4j / PyTorch (PyTorch's text tower over %s tokens, best at %s thread(s)): %.2fx" % (length, best["threads"], ratio))
    lines.append("")
    for r in {r["text_len"]: r for r in torch_rows}.values():
        d = abs(c4["last5"] - r["last5"])
        lines.append("loss check: mean of the last 5 steps, clip4j %.4f, PyTorch (text %s) %.4f: difference %.4f%s"
                     % (c4["last5"], r["text_len"], r["last5"], d, "" if d < 0.25 else ", LARGER THAN EXPECTED"))
    for r in torch_rows:
        if r.get("data_wait_s", 0) > 0.05 * r["seconds"]:
            lines.append("note: PyTorch (%s threads, text %s) waited %.1f s for data" % (r["threads"], r["text_len"], r["data_wait_s"]))
    lines.append("load after: the 1-minute load average when each run ended (other work on the machine slows the runs)")
else:
    lines.append("")
    lines.append("a run is missing: no ratio")
    result["missing"] = True
text = "\n".join(lines)
print(text)
open(os.path.join(out, "results.md"), "w").write(text + "\n")
json.dump(result, open(os.path.join(out, "results.json"), "w"), indent=1)
if c4 and torch_rows:
    # the training row of compare.sh's issue table (bench/out/train_results.json): PyTorch at its best over the full
    # 77-token context, as open_clip trains
    ref = [r for r in torch_rows if r["text_len"] == "77"] or torch_rows
    best = max(ref, key=lambda r: r["samples_per_s"])
    json.dump({"clip4j_samples_per_s": c4["samples_per_s"], "torch_samples_per_s": best["samples_per_s"],
               "config": "CLIP tiny, batch %d, %d steps after %d warm-up, PyTorch %s threads, text over %s tokens"
                         % (batch, steps, warm, best["threads"], best["text_len"])},
              open(os.path.join(os.path.dirname(out), "train_results.json"), "w"), indent=1)
sys.exit(1 if result.get("missing") else 0)
EOF
echo "results: $out/results.md, $out/results.json" >&2
exit "$status"
