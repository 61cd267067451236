# Sourced by ./granular and scripts/test: sets JAVA_HOME to a JDK >= 21, or
# prints how to get one and returns 1. Looks at $JAVA_HOME, the java on PATH,
# then the usual install folders (newest first).
granular_java_major() {
  # Prints the feature version of the JDK at $1 (e.g. 25), or nothing.
  local rel="$1/release"
  if [ -f "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

granular_find_jdk() {
  local want=21 cand major
  local -a cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for cand in $(ls -d /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* \
                 /Library/Java/JavaVirtualMachines/*/Contents/Home 2>/dev/null | sort -rV); do
    cands+=("$cand")
  done
  for cand in "${cands[@]}"; do
    [ -x "$cand/bin/javac" ] || continue
    major=$(granular_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge "$want" ]; then
      export JAVA_HOME="$cand"
      # JDK 24+ warns about sun.misc.Unsafe use inside Maven's own libraries; silence that noise.
      if [ "$major" -ge 24 ]; then
        case "${MAVEN_OPTS:-}" in *sun-misc-unsafe*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow";; esac
      fi
      return 0
    fi
  done
  cat >&2 <<MSG
granular: no JDK $want or newer found (looked at \$JAVA_HOME, the java on PATH, /usr/lib/jvm).
  Install one, for example:  apt-get install openjdk-21-jdk-headless   (or Temurin 21/25 from adoptium.net)
  then run again, or point JAVA_HOME at it:  JAVA_HOME=/path/to/jdk ./granular ...
MSG
  return 1
}
