#!/usr/bin/env bash
# Runs the clip4j-index benchmark: bench/index/run.sh [key=value ...]
#   sizes=10000,100000 dim=512 queries=500 images=DIR model=DIR maxImages=2000 work=DIR
# Default: indexing 2000 emoji images with the small fixture model, then the vector benchmarks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$here/bin/jdk.sh"
cd "$here"
# the CLI's package step gathers clip4j-core, clip4j-index, Lucene and the rest into clip4j-cli/target/lib
mvn -q -B -ntp -Dstyle.color=never -DskipTests -pl clip4j-cli -am package >&2
defaults=(images="$here/../shared/data/emoji/images" model="$here/../shared/fixtures/models/small/hf")
exec "$JDK/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx4g \
  -cp "$here/clip4j-cli/target/lib/*" bench/index/IndexBench.java "${defaults[@]}" "$@"
