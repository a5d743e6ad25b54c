#!/usr/bin/env bash
# Installs, from Debian's own archive, what the PyTorch reference side of the benchmark needs:
# torch, numpy, Pillow and regex for Debian's /usr/bin/python3, and OpenBLAS.  Idempotent: when
# everything already imports and OpenBLAS is the system BLAS it does nothing (no apt-get update
# either).  Needs root (or sudo).
#
# Why OpenBLAS: Debian's torch is built with BLAS_INFO=generic, i.e. its float32 matrix products go
# through whatever libblas.so.3 the alternatives system points at.  Without a tuned BLAS that is the
# netlib reference BLAS, which is an order of magnitude slower and would make the reference look
# far worse than a real PyTorch install.  We take the OpenMP build of OpenBLAS (libopenblas0-openmp)
# because torch itself parallelises with OpenMP: both then share one thread pool and
# torch.set_num_threads() also bounds the BLAS threads (the pthread build would ignore it).
#
# ftfy is not packaged in Debian 12, so torch_clip.py uses a small built-in approximation of
# ftfy.fix_text when it is missing (see bench/README.md).
set -euo pipefail

PY=/usr/bin/python3
want=(python3-torch python3-numpy python3-pil python3-regex libopenblas0-openmp)
# Optional extras: installed when this Debian release has them (bookworm has no python3-ftfy).
optional=(python3-ftfy)

blas_is_openblas() { readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null | grep -q openblas; }

if "$PY" -c 'import torch, numpy, PIL, regex' 2>/dev/null && blas_is_openblas; then
  echo "setup-python: torch $("$PY" -c 'import torch; print(torch.__version__)'), numpy, PIL, regex already importable by $PY"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
# One 'apt-get update' per setup run (the package lists may be missing or stale on a fresh machine).
$SUDO apt-get update
pkgs=("${want[@]}")
for p in "${optional[@]}"; do
  # apt-cache policy prints "Candidate: (none)" (or nothing) when the package is not available.
  cand="$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
  if [ -n "$cand" ] && [ "$cand" != "(none)" ]; then pkgs+=("$p"); else echo "setup-python: $p not available here, skipped"; fi
done
$SUDO apt-get install -y --no-install-recommends "${pkgs[@]}"

blas_is_openblas || { echo "setup-python: libblas.so.3 is not OpenBLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)" >&2; exit 1; }
"$PY" -c 'import torch, numpy, PIL, regex; print("setup-python: torch", torch.__version__, "numpy", numpy.__version__, "PIL", PIL.__version__)'
