#!/usr/bin/env bash
# Whole-process comparison of clip4j with a PyTorch reference on this machine.
#
#   bench/compare.sh [--n 96] [--repeats 3] [--arch vit-b-32] [--seed 0] [--threads 1,2]
#                    [--batch-size 32] [--model DIR] [--bf16 auto|yes|no] [--torch-only] [--fresh]
#                    [--no-threads1] [--no-gemm]
#
# Steps (each rerun reuses what is already there; --fresh remakes the model):
#   1. bench/setup-python.sh: Debian's torch/numpy/Pillow/regex + OpenBLAS (no-op when present)
#   2. build clip4j (bin/clip4j --help builds on first use) and check that `init` and `embed` exist;
#      build the JMH kernel benchmarks (bench/jmh, -Pbench) when they are missing or out of date
#   3. the model: `clip4j init --arch ARCH --out bench/out/ARCH --seed S --tokenizer-from
#      ../shared/fixtures/models/tiny/hf`; if clip4j has no `init`, bench/make_random_hf.py makes
#      the same kind of model (bench/out/ARCH-py) so the PyTorch half can still run
#   4. the workload: N images (fixture photos + emoji), N captions and 5 N more for the sustained caption
#      rate (bench/make_workload.py)
#   5. bench/compare.py: R repeats of clip4j and PyTorch (fp32 at each thread count, bf16 autocast
#      unless this torch's bf16 matmul is pathologically slow (--bf16 auto), captions with batches
#      cut to the longest caption, clip4j at 1 thread unless --no-threads1, clip4j --weights bf16 on all
#      inputs for its memory and agreement), medians, ratios,
#      embedding agreement; then (unless --no-gemm) the GEMM peak (JMH GemmBench, 1 thread) and the
#      forward-only image encode (bench/EncodeBench.java); the "Issue table" of the performance
#      targets (the training row reads bench/out/train_results.json, written by train_compare.sh)
#      -> bench/out/results.json, bench/out/results.md
#
# Exit status: 0 all good; 1 a run failed or clip4j's embeddings disagree with PyTorch's;
# 3 the clip4j half could not run (the PyTorch half was still measured and reported).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"
fixtures_rel="../shared/fixtures"          # relative to the repo root, never copied into the repo
out="$here/out"
PY=/usr/bin/python3

n=96; repeats=3; arch=vit-b-32; seed=0; threads=1,2; batch=32; model=""
bf16=auto; torch_only=0; fresh=0; threads1=1; gemm=1
while [ $# -gt 0 ]; do
  case "$1" in
    --n) n="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --batch-size) batch="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --bf16) bf16="$2"; shift 2 ;;
    --torch-only) torch_only=1; shift ;;
    --fresh) fresh=1; shift ;;
    --no-threads1) threads1=0; shift ;;
    --no-gemm) gemm=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\n== %s\n' "$*" >&2; }
[ -d "$fixtures_rel" ] || { echo "compare.sh: fixtures not found at $repo/$fixtures_rel" >&2; exit 2; }
mkdir -p "$out"

say "1. Python reference (Debian packages)"
bash "$here/setup-python.sh"

say "2. clip4j build and commands"
clip4j_missing=""
if [ "$torch_only" = 1 ]; then
  clip4j_missing="skipped (--torch-only)"
elif ! bin/clip4j --help >/dev/null; then
  clip4j_missing="bin/clip4j does not build or start (see the messages above)"
else
  for cmd in init embed; do
    # picocli prints "Usage: clip4j <cmd> ..." for a subcommand that exists; for an unknown word
    # it prints the top-level usage instead.
    if ! bin/clip4j "$cmd" --help 2>&1 | grep -q "Usage: clip4j $cmd"; then
      clip4j_missing="${clip4j_missing:+$clip4j_missing; }\`clip4j $cmd\` does not exist in this build"
    fi
  done
fi
if [ -n "$clip4j_missing" ]; then
  echo "compare.sh: clip4j half unavailable: $clip4j_missing" >&2
else
  echo "clip4j: init and embed available" >&2
fi
# The JDK bin/clip4j runs on (for JMH and bench/EncodeBench.java); the JMH jar, built when missing or stale.
jdk="$( . bin/jdk.sh >/dev/null 2>&1 && echo "$JDK" )" || jdk=""
jmh_jar="$here/jmh/target/benchmarks.jar"
gemm_missing=""
if [ "$gemm" = 1 ] && [ -z "$clip4j_missing" ]; then
  if [ -z "$jdk" ]; then
    gemm_missing="no JDK 25 found for the GEMM benchmarks"
  elif [ ! -f "$jmh_jar" ] || [ -n "$(find pom.xml clip4j-core/pom.xml clip4j-core/src/main "$here/jmh/pom.xml" "$here/jmh/src" -newer "$jmh_jar" -print -quit 2>/dev/null)" ]; then
    echo "building the JMH benchmarks (bench/jmh)…" >&2
    (export JAVA_HOME="$jdk"; mvn -q -B -ntp -Dstyle.color=never -DskipTests -Pbench -pl bench/jmh -am package >&2) \
      || gemm_missing="the JMH benchmarks (mvn -Pbench -pl bench/jmh -am package) do not build"
  fi
fi

say "3. model ($arch, seed $seed)"
if [ -n "$model" ]; then
  echo "using --model $model" >&2
else
  stamp="arch=$arch seed=$seed"
  if [[ "$clip4j_missing" != *"clip4j init"* ]] && [ "$torch_only" = 0 ]; then
    model="$out/$arch"; maker=(bin/clip4j init --arch "$arch" --out "$model" --seed "$seed"
                               --tokenizer-from "$fixtures_rel/models/tiny/hf")
  else
    model="$out/$arch-py"; maker=("$PY" "$here/make_random_hf.py" --arch "$arch" --out "$model"
                                  --seed "$seed" --tokenizer-from "$fixtures_rel/models/tiny/hf")
    echo "clip4j init unavailable: making the model with bench/make_random_hf.py instead" >&2
  fi
  if [ "$fresh" = 1 ] || [ ! -f "$model/model.safetensors" ] || [ "$(cat "$model/.bench-stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$model"
    "${maker[@]}"
    echo "$stamp" > "$model/.bench-stamp"
  else
    echo "reusing $model ($stamp)" >&2
  fi
fi

say "4. workload ($n images, $n captions)"
"$PY" "$here/make_workload.py" --n "$n" --out "$out/workload"

say "5. measurements ($repeats repeats)"
args=(--model "$model" --workload "$out/workload" --out "$out" --repeats "$repeats"
      --batch-size "$batch" --threads "$threads")
args+=(--bf16 "$bf16")
[ "$threads1" = 1 ] || args+=(--no-threads1)
[ "$gemm" = 1 ] || args+=(--no-gemm)
[ -z "$gemm_missing" ] || args+=(--gemm-missing "$gemm_missing")
[ -z "$jdk" ] || args+=(--java "$jdk/bin/java" --jmh-jar "$jmh_jar")
[ -z "$clip4j_missing" ] || args+=(--clip4j-missing "$clip4j_missing")
status=0
"$PY" "$here/compare.py" "${args[@]}" || status=$?

echo "results: $out/results.md, $out/results.json" >&2
if [ -n "$clip4j_missing" ] && [ "$torch_only" = 0 ]; then
  echo "compare.sh: FAILED: the clip4j half did not run: $clip4j_missing" >&2
  exit 3
fi
exit "$status"
