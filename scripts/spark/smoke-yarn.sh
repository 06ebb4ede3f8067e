#!/usr/bin/env bash
# Smoke test: runs scripts/spark/smoke_job.py (write + read Parquet, Python on executors)
# with spark-submit in local[2], YARN client and YARN cluster mode against the single-node
# YARN of scripts/yarn/yarn.sh, and checks each YARN application ends FINISHED/SUCCEEDED in
# the RM REST API and that its Parquet output exists.
#
# Needs: scripts/spark/install.sh done (it is run again here; idempotent, ~1 s) and YARN
# started (scripts/yarn/yarn.sh start). Exits non-zero on the first failure.
#
# Env: SMOKE_MODES (default "local client cluster"), SMOKE_ROWS (100000),
#      SMOKE_SPARK_ARGS (extra spark-submit arguments, word-split),
#      SMOKE_OUT_DIR (default $STRATA_CACHE_DIR/smoke), plus those of yarn.sh/install.sh.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

: "${SMOKE_MODES:=local client cluster}"
: "${SMOKE_ROWS:=100000}"
: "${SMOKE_OUT_DIR:=$STRATA_CACHE_DIR/smoke}"

eval "$("$HERE/install.sh" 2>/dev/null)"
"$HERE/../yarn/yarn.sh" status >/dev/null \
  || strata_die "YARN is not running: scripts/yarn/yarn.sh start"
eval "$("$HERE/../yarn/yarn.sh" env)"

rm_web="$(python3 - "$HADOOP_CONF_DIR/yarn-site.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
props = {p.findtext("name"): p.findtext("value") for p in ET.parse(sys.argv[1]).getroot()}
print("http://" + props["yarn.resourcemanager.webapp.address"])
print(props["yarn.nodemanager.log-dirs"].split(",")[0])
PY
)"
nm_log_dir="$(sed -n 2p <<<"$rm_web")"
rm_web="$(sed -n 1p <<<"$rm_web")"

mkdir -p "$SMOKE_OUT_DIR"
# Small containers: AM/driver 512m, one executor 512m (+384m overhead each => 1 GiB slots).
yarn_args=(
  --driver-memory 512m --executor-memory 512m --executor-cores 1 --num-executors 1
  --conf spark.yarn.am.memory=512m
  --conf spark.yarn.maxAppAttempts=1
)
# shellcheck disable=SC2206
extra_args=(${SMOKE_SPARK_ARGS:-})

app_state() { # app id -> "STATE FINALSTATUS"
  curl -fsS --max-time 5 "$rm_web/ws/v1/cluster/apps/$1" | python3 -c '
import json, sys
a = json.load(sys.stdin)["app"]
print(a["state"], a["finalStatus"], a["elapsedTime"])'
}

check_output() { # dir
  [[ -f "$1/_SUCCESS" ]] || strata_die "no $1/_SUCCESS"
  ls "$1"/part-*.parquet >/dev/null 2>&1 || strata_die "no Parquet part files in $1"
}

declare -A wall
for mode in $SMOKE_MODES; do
  out="$SMOKE_OUT_DIR/$mode"
  log="$SMOKE_OUT_DIR/$mode.log"
  rm -rf "$out"
  case "$mode" in
    local) args=(--master 'local[2]' ${extra_args[@]+"${extra_args[@]}"}) ;;
    client) args=(--master yarn --deploy-mode client "${yarn_args[@]}" ${extra_args[@]+"${extra_args[@]}"}) ;;
    cluster) args=(--master yarn --deploy-mode cluster "${yarn_args[@]}" ${extra_args[@]+"${extra_args[@]}"}) ;;
    *) strata_die "unknown mode $mode (local|client|cluster)" ;;
  esac
  strata_log "[$mode] spark-submit ${args[*]} smoke_job.py file://$out"
  t0=$(date +%s.%N)
  rc=0
  spark-submit "${args[@]}" "$HERE/smoke_job.py" "file://$out" "$SMOKE_ROWS" > "$log" 2>&1 || rc=$?
  wall[$mode]="$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)")"
  if (( rc != 0 )); then
    tail -n 40 "$log" >&2
    strata_die "[$mode] spark-submit exited $rc (log: $log)"
  fi
  check_output "$out"
  if [[ "$mode" == local ]]; then
    grep -q '^SMOKE_OK' "$log" || strata_die "[$mode] no SMOKE_OK in $log"
    strata_log "[$mode] OK in ${wall[$mode]}s: $(grep '^SMOKE_OK' "$log")"
    continue
  fi
  app="$(grep -oE 'application_[0-9]+_[0-9]+' "$log" | head -n1)"
  [[ -n "$app" ]] || strata_die "[$mode] no application id in $log"
  read -r state final elapsed < <(app_state "$app")
  [[ "$state $final" == "FINISHED SUCCEEDED" ]] \
    || strata_die "[$mode] $app is $state/$final in the RM (log: $log, containers: $nm_log_dir/$app)"
  if [[ "$mode" == client ]]; then
    line="$(grep '^SMOKE_OK' "$log" || true)"
  else # cluster mode: the driver ran in the AM container; its stdout is in the NM log dir
    line="$(cat "$nm_log_dir/$app"/container_*_01_000001/stdout 2>/dev/null | grep '^SMOKE_OK' || true)"
  fi
  [[ "$line" == *master=yarn* ]] || strata_die "[$mode] no SMOKE_OK from the driver of $app"
  strata_log "[$mode] OK in ${wall[$mode]}s: $app $state/$final (RM elapsed ${elapsed} ms): $line"
done

summary=""
for mode in $SMOKE_MODES; do summary+=" $mode=${wall[$mode]}s"; done
echo "smoke OK:$summary"
