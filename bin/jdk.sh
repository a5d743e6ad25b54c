# Sourced by bin/clip4j and bin/test: sets JAVA_HOME to a JDK >= 25 (JAVA_HOME first, then /usr/lib/jvm).
# The major version: from the JDK's release file (JAVA_VERSION="25.0.1") when it is built for this machine's CPU
# (OS_ARCH), else by asking java (about 40 ms), which also fails for a JDK that cannot run here.
java_major() {
  local v="" arch
  arch="$(uname -m)"
  if [ -f "$1/release" ] && grep -Eq "^OS_ARCH=\"($arch|$( [ "$arch" = x86_64 ] && echo amd64 || echo "$arch"))\"" "$1/release"; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n1)"
  fi
  [ -n "$v" ] || v="$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  echo "$v"
}
find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v="$(java_major "$c")"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$c"; return 0; fi
  done
  return 1
}
JDK="$(find_jdk)" || { echo "clip4j: needs a JDK 25 or newer (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2; exit 2; }
export JAVA_HOME="$JDK"
