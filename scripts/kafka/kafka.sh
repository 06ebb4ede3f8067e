#!/usr/bin/env bash
# Single-node Apache Kafka broker (KRaft, broker+controller in one JVM) for
# Strata's tests and CI. No Docker, no tarball: the broker's jars are resolved
# from Maven Central with mvn into a cache directory and run with `java -cp`.
#
# Usage: scripts/kafka/kafka.sh {install|start|stop|status}
#
#   install  resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime
#            dependencies (+ an slf4j binding) into $STRATA_CACHE_DIR/kafka-<version>/libs;
#            install Debian's kcat (and mvn / a JDK) when missing. Idempotent.
#   start    install if needed, write a KRaft server.properties, format storage
#            (once), launch the broker in the background and wait until it
#            serves metadata. Prints the bootstrap address. Idempotent.
#   stop     TERM (then KILL) the PID in the pid file only; remove the pid file.
#   status   exit 0 and print the address when running, exit 1 otherwise.
#
# Environment:
#   KAFKA_VERSION          Kafka version to resolve (default below)
#   KAFKA_PORT             PLAINTEXT listener port (default 19092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default 19093)
#   KAFKA_DATA_DIR         log.dirs parent; when unset a fresh directory under the
#                          cache is used and wiped on every start (set it to keep data)
#   STRATA_CACHE_DIR       cache root (default <repo>/.cache)
#   KAFKA_HEAP_OPTS        JVM heap flags (default -Xms128m -Xmx512m)
#   KAFKA_JVM_PERFORMANCE_OPTS  JIT/GC flags (default: fast start, see below)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60)
#   KAFKA_EXTRA_PROPERTIES extra server.properties lines appended verbatim
#   KAFKA_MAVEN_REPO       Maven local repository (default: mvn's own, ~/.m2/repository)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

# 4.x works with kafkajs 2.2.4 (checked by test/kafka-broker.test.ts): KIP-896
# kept every protocol version kafkajs sends when 4.0 removed the old ones.
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
SCALA_VERSION="2.13"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
STRATA_CACHE_DIR="${STRATA_CACHE_DIR:-$REPO_ROOT/.cache}"
KAFKA_HOME="$STRATA_CACHE_DIR/kafka-$KAFKA_VERSION"
LIB_DIR="$KAFKA_HOME/libs"
INSTALLED_MARKER="$KAFKA_HOME/.installed"
RUN_DIR="$STRATA_CACHE_DIR/kafka-run-$KAFKA_PORT"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/server.log"
PROPS_FILE="$RUN_DIR/server.properties"
LOG4J_FILE="$RUN_DIR/log4j2.properties"   # Kafka 4.x (log4j2)
LOG4J1_FILE="$RUN_DIR/log4j.properties"   # Kafka 3.x (reload4j)
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
# C1-only JIT + serial GC: on a busy 2-core machine the broker is ready in about
# half the time of Kafka's G1/C2 defaults. For throughput benchmarks use e.g.
# KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent".
FAST_START_OPTS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:-$FAST_START_OPTS}"
BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"

# Jars without which kafka.Kafka / kafka.tools.StorageTool cannot run (KRaft).
REQUIRED_JARS=(kafka_2.13 kafka-clients kafka-server kafka-server-common kafka-storage
  kafka-metadata kafka-raft kafka-group-coordinator scala-library slf4j-api)

log() { printf '[kafka.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- packages --
APT_UPDATED=0
apt_install() {
  local runner=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install $*"
    runner=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: $*"
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    "${runner[@]}" apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

java_major() {
  java -version 2>&1 | awk -F'"' '/version/ && !done {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); done = 1}'
}

ensure_tools() { # ensure_tools <command>... (java, mvn, kcat), apt-installing missing ones
  local missing=() tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    case "$tool" in
      java) missing+=(openjdk-17-jre-headless) ;;
      mvn) missing+=(maven) ;;
      *) missing+=("$tool") ;;
    esac
  done
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  local major
  major="$(java_major)"
  case "$KAFKA_VERSION" in
    3.*) [ "${major:-0}" -ge 11 ] || die "Kafka $KAFKA_VERSION needs Java >= 11 (found ${major:-none})" ;;
    *) [ "${major:-0}" -ge 17 ] || die "Kafka $KAFKA_VERSION needs Java >= 17 (found ${major:-none})" ;;
  esac
}

# ----------------------------------------------------------------- install --
is_installed() {
  [ -f "$INSTALLED_MARKER" ] && [ -f "$LIB_DIR/kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar" ]
}

MVN_LOG="$KAFKA_HOME/mvn.log"
mvn_run() { # quiet unless it fails
  local args=(-B -q -f "$KAFKA_HOME/pom.xml")
  if [ -n "${KAFKA_MAVEN_REPO:-}" ]; then args+=("-Dmaven.repo.local=$KAFKA_MAVEN_REPO"); fi
  if ! mvn "${args[@]}" "$@" >"$MVN_LOG" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$MVN_LOG" | tail -n 40 >&2
    return 1
  fi
}

write_pom() { # write_pom [groupId:artifactId:version of an extra runtime dependency]
  local extra=""
  if [ -n "${1:-}" ]; then
    local g a v
    IFS=: read -r g a v <<<"$1"
    extra="    <dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
  fi
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/kafka/kafka.sh: only used to resolve the broker's classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strata.local</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA_VERSION}</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
$extra
  </dependencies>
</project>
EOF
}

jar_version() { # jar_version <dir> <artifactId> -> version of <artifactId>-<version>.jar in dir
  local dir="$1" artifact="$2" f
  f="$(find "$dir" -maxdepth 1 -name "${artifact}-[0-9]*.jar" | head -n1)"
  [ -n "$f" ] || return 1
  f="${f##*/}"; f="${f#"${artifact}"-}"; printf '%s\n' "${f%.jar}"
}

cmd_install() {
  ensure_tools java mvn kcat
  if is_installed; then
    log "Kafka $KAFKA_VERSION already installed in $LIB_DIR ($(find "$LIB_DIR" -name '*.jar' | wc -l) jars)"
    return 0
  fi
  log "resolving org.apache.kafka:kafka_${SCALA_VERSION}:$KAFKA_VERSION from Maven Central into $LIB_DIR"
  mkdir -p "$KAFKA_HOME"
  local staging="$KAFKA_HOME/libs.tmp"
  rm -rf "$staging"
  write_pom
  mvn_run dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$staging" \
    || die "mvn could not resolve Kafka $KAFKA_VERSION (log: $MVN_LOG)"

  # The published POMs carry slf4j-api but no binding (the release tarball adds
  # one), so add the binding for the logging backend this Kafka line uses:
  # log4j2 (4.x, log4j-core is a dependency) or reload4j (3.x, as in the tarball).
  local binding ver slf4j
  slf4j="$(jar_version "$staging" slf4j-api)" || die "slf4j-api missing from the resolved classpath"
  if ver="$(jar_version "$staging" log4j-core)"; then
    case "$slf4j" in
      1.*) binding="org.apache.logging.log4j:log4j-slf4j-impl:$ver" ;;
      *) binding="org.apache.logging.log4j:log4j-slf4j2-impl:$ver" ;;
    esac
  else
    case "$slf4j" in
      1.*) binding="org.slf4j:slf4j-reload4j:$slf4j" ;;
      *) binding="org.slf4j:slf4j-simple:$slf4j" ;;
    esac
  fi
  log "adding slf4j binding $binding"
  write_pom "$binding"
  mvn_run dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$staging" \
    || die "mvn could not resolve $binding (log: $MVN_LOG)"

  local jar
  for jar in "${REQUIRED_JARS[@]}"; do
    jar_version "$staging" "$jar" >/dev/null || die "resolved classpath lacks $jar"
  done
  rm -rf "$LIB_DIR"
  mv "$staging" "$LIB_DIR"
  {
    echo "version=$KAFKA_VERSION"
    echo "binding=$binding"
    echo "installed=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$INSTALLED_MARKER"
  log "installed Kafka $KAFKA_VERSION: $(find "$LIB_DIR" -name '*.jar' | wc -l) jars, $(du -sh "$LIB_DIR" | cut -f1)"
}

# ------------------------------------------------------------- run helpers --
port_open() { # port_open <port>
  timeout 2 bash -c "exec 3<>/dev/tcp/$KAFKA_HOST/$1" 2>/dev/null
}

# Alive and not a zombie (a reparented broker may linger as one if nobody reaps it).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [ "$state" != "Z" ]
}

read_pid() {
  if [ -f "$PID_FILE" ]; then tr -dc '0-9' <"$PID_FILE"; fi
}

# True when $1 is alive and is our broker (guards against a recycled PID).
is_broker_pid() {
  local pid="$1"
  [ -n "$pid" ] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS_FILE"
}

metadata_ok() {
  kcat -b "$BOOTSTRAP" -L -m 5 -J 2>/dev/null | grep -q '"brokers":\[{"id":1'
}

new_cluster_id() { # Kafka Uuid: 16 random bytes, base64url without padding, not starting with '-'
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    case "$id" in -*) ;; *) printf '%s\n' "$id"; return ;; esac
  done
}

write_config() {
  local data_dir="$1"
  cat >"$PROPS_FILE" <<EOF
# Generated by scripts/kafka/kafka.sh (Kafka $KAFKA_VERSION, KRaft combined mode).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data_dir/logs

num.network.threads=2
num.io.threads=4
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true

offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# 8 MB messages: 16 MiB batches on the broker and for (unused) replica fetches.
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
socket.request.max.bytes=104857600

log.retention.hours=24
log.segment.bytes=134217728
EOF
  if [ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]; then
    printf '\n# KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$PROPS_FILE"
  fi
  cat >"$LOG4J_FILE" <<'EOF'
# Generated by scripts/kafka/kafka.sh: everything to stdout, which start sends to server.log.
status = warn
# keep logging through the broker's own shutdown hook
shutdownHook = disable
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.kafkaclients.name = org.apache.kafka.clients
logger.kafkaclients.level = WARN
EOF
  cat >"$LOG4J1_FILE" <<'EOF'
# Generated by scripts/kafka/kafka.sh: everything to stdout, which start sends to server.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
}

java_argv() { # java_argv <jvm perf opts> <main class> [args...] -> JAVA_ARGV
  local perf="$1"
  shift
  # shellcheck disable=SC2206 # the *_OPTS variables are lists of flags
  JAVA_ARGV=(java $KAFKA_HEAP_OPTS $perf
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_FILE"
    -Dlog4j.configuration="file:$LOG4J1_FILE" -Dkafka.logs.dir="$RUN_DIR"
    -cp "$LIB_DIR/*" "$@")
}

# ------------------------------------------------------------------- start --
cmd_start() {
  local pid
  pid="$(read_pid)"
  if is_broker_pid "$pid" && port_open "$KAFKA_PORT"; then
    log "already running (pid $pid)"
    echo "$BOOTSTRAP"
    return 0
  fi
  if [ -n "$pid" ]; then
    if is_broker_pid "$pid"; then
      log "pid $pid is alive but port $KAFKA_PORT is closed; stopping it first"
      cmd_stop
    else
      log "removing stale pid file (pid $pid is gone)"
      rm -f "$PID_FILE"
    fi
  fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is already in use by another process"
  port_open "$KAFKA_CONTROLLER_PORT" && die "port $KAFKA_CONTROLLER_PORT is already in use by another process"

  is_installed || cmd_install
  ensure_tools java kcat

  mkdir -p "$RUN_DIR"
  local data_dir
  if [ -n "${KAFKA_DATA_DIR:-}" ]; then
    data_dir="$KAFKA_DATA_DIR"
  else
    data_dir="$RUN_DIR/data"
    rm -rf "$data_dir" # fresh broker state on every start
  fi
  mkdir -p "$data_dir"
  data_dir="$(cd "$data_dir" && pwd)"
  write_config "$data_dir"
  : >"$LOG_FILE"

  if [ ! -f "$data_dir/logs/meta.properties" ]; then
    local cluster_id
    cluster_id="$(new_cluster_id)"
    log "formatting $data_dir/logs (cluster id $cluster_id)"
    java_argv "$FAST_START_OPTS" kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$PROPS_FILE"
    "${JAVA_ARGV[@]}" >>"$LOG_FILE" 2>&1 || { tail -n 30 "$LOG_FILE" >&2; die "storage format failed"; }
  fi

  log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (log: $LOG_FILE)"
  local t0=$SECONDS
  java_argv "$KAFKA_JVM_PERFORMANCE_OPTS" kafka.Kafka "$PROPS_FILE"
  rm -f "$PID_FILE"
  # New session so the broker outlives this shell and its process group; the
  # wrapper writes its own PID and then execs java, so the PID is the JVM's.
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' kafka-launch "$PID_FILE" "${JAVA_ARGV[@]}" \
    </dev/null >>"$LOG_FILE" 2>&1 &
  disown 2>/dev/null || true

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  pid=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    pid="$(read_pid)"
    if [ -n "$pid" ] && ! alive "$pid"; then
      tail -n 40 "$LOG_FILE" >&2
      rm -f "$PID_FILE"
      die "broker exited during startup (see $LOG_FILE)"
    fi
    if [ -n "$pid" ] && port_open "$KAFKA_PORT" && metadata_ok; then
      log "ready after $((SECONDS - t0))s (pid $pid, rss $(rss_mb "$pid") MB)"
      echo "$BOOTSTRAP"
      return 0
    fi
    sleep 0.5
  done
  tail -n 40 "$LOG_FILE" >&2
  log "broker not ready after ${KAFKA_START_TIMEOUT}s; stopping it"
  cmd_stop || true
  die "start timed out"
}

rss_mb() { awk '/^VmRSS:/ {printf "%d", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# -------------------------------------------------------------------- stop --
cmd_stop() {
  local pid
  pid="$(read_pid)"
  if [ -z "$pid" ]; then
    log "not running (no pid file)"
    return 0
  fi
  if ! is_broker_pid "$pid"; then
    log "pid $pid is not a running broker; removing stale pid file"
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 60; i++)); do # controlled shutdown normally takes a few seconds
    alive "$pid" || break
    sleep 0.5
  done
  if alive "$pid"; then
    log "pid $pid still alive after 30s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do alive "$pid" || break; sleep 0.25; done
  fi
  alive "$pid" && die "pid $pid survived KILL"
  rm -f "$PID_FILE"
  log "stopped"
}

# ------------------------------------------------------------------ status --
cmd_status() {
  local pid
  pid="$(read_pid)"
  if is_broker_pid "$pid" && port_open "$KAFKA_PORT"; then
    local version
    version="$(sed -n 's/^# Generated by .*(Kafka \([^,]*\),.*/\1/p' "$PROPS_FILE" 2>/dev/null)"
    echo "running: Kafka ${version:-?} pid $pid rss $(rss_mb "$pid") MB bootstrap $BOOTSTRAP data $(sed -n 's/^log.dirs=//p' "$PROPS_FILE")"
    return 0
  fi
  if is_broker_pid "$pid"; then
    echo "starting: pid $pid alive, port $KAFKA_PORT not open yet"
    return 1
  fi
  echo "not running"
  return 1
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 {install|start|stop|status}" >&2
    exit 2
    ;;
esac
