# Sourced by bin/clip4j and bin/test: sets JAVA_HOME to a JDK >= 25 (JAVA_HOME first, then /usr/lib/jvm).
java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v="$(java_major "$c/bin/java")"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$c"; return 0; fi
  done
  return 1
}
JDK="$(find_jdk)" || { echo "clip4j: needs a JDK 25 or newer (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2; exit 2; }
export JAVA_HOME="$JDK"
