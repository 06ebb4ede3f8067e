#!/usr/bin/env bash
# `npm test`: starts the real services the tests need (installing them on a fresh machine), runs
# every test, then stops what it started. CI calls the same command.
set -euo pipefail
cd "$(dirname "$0")/.."
# Prometheus + promtool (test/observability.test.ts starts its own server with a generated config)
# and docker-compose (test/compose.test.ts parses docker-compose.yml; no engine needed): Debian packages.
scripts/prometheus/prometheus.sh install
if ! command -v docker-compose >/dev/null 2>&1; then
  sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi
scripts/kafka/kafka.sh start
trap 'scripts/kafka/kafka.sh stop >/dev/null 2>&1 || true' EXIT
# Spark (pyspark in a venv) and a single-node YARN (RM + NM from Maven Central jars) for
# test/spark-*.test.ts: exports SPARK_HOME, SPARK_CONF_DIR, HADOOP_CONF_DIR (scripts/yarn/README.md).
eval "$(scripts/spark/install.sh)"
eval "$(scripts/yarn/yarn.sh start)"
trap 'scripts/yarn/yarn.sh stop >/dev/null 2>&1 || true; scripts/kafka/kafka.sh stop >/dev/null 2>&1 || true' EXIT
export STRATA_TEST_KAFKA_BROKERS="${STRATA_TEST_KAFKA_BROKERS:-127.0.0.1:19092}"
npx tsc -p tsconfig.json --noEmit
# Layers: no upward or sideways import between src/ folders, no import cycle (.dependency-cruiser.cjs).
npm run --silent lint:deps
if [ $# -gt 0 ]; then files=("$@"); else files=(test/*.test.ts); fi
node --import tsx --test --test-concurrency=1 "${files[@]}"
