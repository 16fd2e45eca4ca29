# Sourced by the project's scripts: finds a JDK >= 25 and exports JAVA_HOME to it (and puts it first on PATH). A
# machine may have an older default java beside it (these dev machines have 17 on PATH and Temurin 25 in
# /usr/lib/jvm), so PATH alone is not trusted.
#
#   source "$ROOT/scripts/lib/jdk.sh"; longctx_use_jdk <script name>     # exits 1 with what to do when none is found
LONGCTX_REQUIRED_JAVA=25

longctx_java_major() { # prints the major version of $1/bin/java, or nothing
  local out
  out=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}') || return 0
  echo "${out%%.*}"
}

longctx_find_jdk() { # prints the first JDK >= 25 among $JAVA_HOME, the usual install folders and the java on PATH
  local candidates=() d c v
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [[ -d "$d" ]] && candidates+=("$d")
  done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in "${candidates[@]}"; do
    [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
    v=$(longctx_java_major "$c")
    if [[ -n "$v" && "$v" -ge $LONGCTX_REQUIRED_JAVA ]]; then echo "$c"; return 0; fi
  done
  return 1
}

longctx_use_jdk() { # NAME: exports JAVA_HOME and PATH, or says what is missing and exits
  local jdk
  if ! jdk=$(longctx_find_jdk); then
    echo "$1: no JDK ${LONGCTX_REQUIRED_JAVA}+ found (looked at \$JAVA_HOME, /usr/lib/jvm, /usr/java, /opt/java, ~/.sdkman, PATH)." >&2
    echo "$1: install one (e.g. Temurin ${LONGCTX_REQUIRED_JAVA}) and set JAVA_HOME to it." >&2
    exit 1
  fi
  export JAVA_HOME="$jdk"
  export PATH="$JAVA_HOME/bin:$PATH"
}
