# shellcheck shell=bash
# Shared settings for scripts/spark/* and scripts/yarn/*. Source it; do not run it.
#
# Version pins. Keep them together: the YARN daemons run the same Hadoop version
# as the hadoop-client-api/-runtime jars bundled inside the pyspark package
# (pyspark 4.2.1 ships hadoop-client-*-3.5.0.jar).
: "${PYSPARK_VERSION:=4.2.1}"
: "${HADOOP_VERSION:=3.5.0}"

STRATA_REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${STRATA_CACHE_DIR:=$STRATA_REPO_DIR/.cache}"
mkdir -p "$STRATA_CACHE_DIR"
STRATA_CACHE_DIR="$(cd "$STRATA_CACHE_DIR" && pwd)"

SPARK_VENV="${SPARK_VENV:-$STRATA_CACHE_DIR/spark-venv}"
# Spark conf dir owned by scripts/spark/install.sh (spark-defaults.conf, spark-env.sh)
# shellcheck disable=SC2034
STRATA_SPARK_CONF_DIR="$STRATA_CACHE_DIR/spark-conf"

strata_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
strata_die() { strata_log "ERROR: $*"; exit 1; }

# java_major <java-binary> -> prints the major version (8, 11, 17, 21, ...)
java_major() {
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
  v="${v#1.}"
  printf '%s\n' "${v%%.*}"
}

# Picks a JDK that Spark 4.x and Hadoop 3.5 both support (17 or 21) and exports JAVA_HOME.
# Order: STRATA_JAVA_HOME, JAVA_HOME, `java` on PATH, /usr/lib/jvm/*. A newer JDK (e.g. a
# Temurin 25 that may also be installed) is skipped on purpose: Hadoop 3.5 / Spark 4.2 do not
# support it.
strata_find_java() {
  local cand m
  local -a cands=()
  [[ -n "${STRATA_JAVA_HOME:-}" ]] && cands+=("$STRATA_JAVA_HOME")
  [[ -n "${JAVA_HOME:-}" ]] && cands+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for cand in /usr/lib/jvm/*17* /usr/lib/jvm/*21* /usr/lib/jvm/*; do cands+=("$cand"); done
  for cand in "${cands[@]}"; do
    [[ -x "$cand/bin/java" ]] || continue
    m="$(java_major "$cand/bin/java")"
    if [[ "$m" == 17 || "$m" == 21 ]]; then
      JAVA_HOME="$(readlink -f "$cand")"
      export JAVA_HOME
      return 0
    fi
  done
  strata_die "no Java 17 or 21 found (set STRATA_JAVA_HOME); apt-get install openjdk-17-jdk-headless"
}
