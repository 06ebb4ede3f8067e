#!/usr/bin/env bash
# Single-node Apache Hadoop YARN (ResourceManager + NodeManager, two JVMs) on 127.0.0.1,
# built from Maven Central jars (no Hadoop tarball needed), for `spark-submit --master yarn`
# in tests and CI.
#
#   scripts/yarn/yarn.sh install   resolve Hadoop YARN jars with mvn into $STRATA_CACHE_DIR/hadoop-$HADOOP_VERSION
#   scripts/yarn/yarn.sh start     write conf, start RM + NM, wait for 1 RUNNING node; prints exports
#   scripts/yarn/yarn.sh stop      TERM (then KILL) the RM, NM and leftover container processes
#   scripts/yarn/yarn.sh status    exit 0 if RM + NM run and the node is RUNNING, 3 otherwise
#   scripts/yarn/yarn.sh env       print `export HADOOP_CONF_DIR=... YARN_CONF_DIR=...`
#
# stdout of start/env is only `export` lines: eval "$(scripts/yarn/yarn.sh start)".
#
# Env (defaults):
#   STRATA_CACHE_DIR (<repo>/.cache)  HADOOP_VERSION (common.sh pin)  STRATA_JAVA_HOME
#   YARN_HOME_DIR ($STRATA_CACHE_DIR/yarn)      conf/, data/, logs/, run/ live here
#   YARN_RM_PORT (8032) YARN_RM_SCHEDULER_PORT (8030) YARN_RM_TRACKER_PORT (8031)
#   YARN_RM_ADMIN_PORT (8033) YARN_RM_WEB_PORT (8088)
#   YARN_NM_PORT (8041) YARN_NM_LOCALIZER_PORT (8040) YARN_NM_WEB_PORT (8042)
#   YARN_NM_MEMORY_MB (6144) YARN_NM_VCORES (4) YARN_MIN_ALLOC_MB (256)
#   YARN_RM_HEAP (512m) YARN_NM_HEAP (384m) YARN_START_TIMEOUT (180 s) YARN_STOP_TIMEOUT (30 s)
#   STRATA_M2_REPO (unset = ~/.m2/repository)   MAVEN_OPTS passed through to mvn
set -euo pipefail
# shellcheck source=../spark/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../spark/common.sh"

HADOOP_DIR="$STRATA_CACHE_DIR/hadoop-$HADOOP_VERSION"
HADOOP_LIB="$HADOOP_DIR/lib"
YARN_HOME_DIR="${YARN_HOME_DIR:-$STRATA_CACHE_DIR/yarn}"
CONF_DIR="$YARN_HOME_DIR/conf"
DATA_DIR="$YARN_HOME_DIR/data"
LOG_DIR="$YARN_HOME_DIR/logs"
RUN_DIR="$YARN_HOME_DIR/run"

: "${YARN_RM_PORT:=8032}" "${YARN_RM_SCHEDULER_PORT:=8030}" "${YARN_RM_TRACKER_PORT:=8031}"
: "${YARN_RM_ADMIN_PORT:=8033}" "${YARN_RM_WEB_PORT:=8088}"
: "${YARN_NM_PORT:=8041}" "${YARN_NM_LOCALIZER_PORT:=8040}" "${YARN_NM_WEB_PORT:=8042}"
: "${YARN_NM_MEMORY_MB:=6144}" "${YARN_NM_VCORES:=4}" "${YARN_MIN_ALLOC_MB:=256}"
: "${YARN_RM_HEAP:=512m}" "${YARN_NM_HEAP:=384m}"
: "${YARN_START_TIMEOUT:=180}" "${YARN_STOP_TIMEOUT:=30}"
HOST=127.0.0.1
RM_WEB="http://$HOST:$YARN_RM_WEB_PORT"

RM_CLASS=org.apache.hadoop.yarn.server.resourcemanager.ResourceManager
NM_CLASS=org.apache.hadoop.yarn.server.nodemanager.NodeManager

# Hadoop 3.5 runs on Java 17, but parts of it (and its Guice/Jersey/Jetty stack) still reflect
# into JDK internals; these are the opens Hadoop's own launcher scripts add on JDK 17.
JDK_OPENS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.regex=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-exports=java.base/sun.net.dns=ALL-UNNAMED
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
)
# Small, fast-starting daemons: serial GC and C1 only (the daemons do little work).
DAEMON_JVM_OPTS=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true
  -Djava.awt.headless=true)

http_get() { curl -fsS --max-time 5 "$1" 2>/dev/null; }

# ------------------------------------------------------------------------------ install
pom_xml() {
  # The RM and NM server modules pull in hadoop-common, hadoop-yarn-{api,common,server-common},
  # hadoop-hdfs-client, hadoop-registry and the web proxy (~90 MB). MapReduce is not needed:
  # Spark does not use the mapreduce_shuffle aux service without dynamic allocation.
  cat <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strata.local</groupId>
  <artifactId>strata-yarn-runtime</artifactId>
  <version>$HADOOP_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-yarn-server-resourcemanager</artifactId><version>$HADOOP_VERSION</version></dependency>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-yarn-server-nodemanager</artifactId><version>$HADOOP_VERSION</version></dependency>
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-common</artifactId><version>$HADOOP_VERSION</version></dependency>
    <!-- optional dependency of the RM, but its web app (Guice) loads TimelineCollectorManager -->
    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-yarn-server-timelineservice</artifactId><version>$HADOOP_VERSION</version></dependency>
  </dependencies>
</project>
POM
}

cmd_install() {
  # Up to date = the .complete marker exists and the pom that produced lib/ is the one above.
  if [[ -f "$HADOOP_DIR/.complete" ]] && [[ "$(pom_xml)" == "$(cat "$HADOOP_DIR/pom.xml" 2>/dev/null)" ]]; then
    strata_log "Hadoop $HADOOP_VERSION jars already in $HADOOP_LIB ($(ls "$HADOOP_LIB" | wc -l) jars)"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || strata_die "mvn not found (apt-get install maven)"
  strata_find_java
  local t0=$SECONDS tmp
  tmp="$HADOOP_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  pom_xml > "$tmp/pom.xml"
  local -a mvn_args=(-B -q -Dstyle.color=never -f "$tmp/pom.xml" dependency:copy-dependencies
    -DincludeScope=runtime -DoutputDirectory="$tmp/lib")
  [[ -n "${STRATA_M2_REPO:-}" ]] && mvn_args+=("-Dmaven.repo.local=$STRATA_M2_REPO")
  strata_log "resolving Hadoop $HADOOP_VERSION YARN jars from Maven Central"
  # (Maven 3.8 prints ANSI resets even in batch/quiet mode: strip them)
  if ! JAVA_HOME="$JAVA_HOME" mvn "${mvn_args[@]}" 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2 \
     || [[ "${PIPESTATUS[0]}" != 0 ]]; then
    rm -rf "$tmp"
    strata_die "mvn dependency:copy-dependencies failed"
  fi
  ls "$tmp/lib/hadoop-yarn-server-resourcemanager-$HADOOP_VERSION.jar" >/dev/null \
    || strata_die "resourcemanager jar missing after mvn"
  touch "$tmp/.complete"
  rm -rf "$HADOOP_DIR"
  mv "$tmp" "$HADOOP_DIR"
  strata_log "Hadoop $HADOOP_VERSION: $(ls "$HADOOP_LIB" | wc -l) jars, $(du -sh "$HADOOP_LIB" | cut -f1) in $((SECONDS - t0))s"
}

# ------------------------------------------------------------------------------ config
write_conf() {
  mkdir -p "$CONF_DIR" "$DATA_DIR/nm-local" "$DATA_DIR/nm-logs" "$DATA_DIR/tmp" "$LOG_DIR" "$RUN_DIR"
  [[ -s "$CONF_DIR/http-signature-secret" ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$CONF_DIR/http-signature-secret"
  cat > "$CONF_DIR/core-site.xml" <<XML
<?xml version="1.0"?>
<!-- Generated by scripts/yarn/yarn.sh start; rewritten on every start. -->
<configuration>
  <property><name>fs.defaultFS</name><value>file:///</value></property>
  <property><name>hadoop.tmp.dir</name><value>$DATA_DIR/tmp</value></property>
  <property><name>hadoop.security.authentication</name><value>simple</value></property>
  <!-- a refused connection is retried once by IPC; the RM proxies' own 1 s x 60 s retry
       policy (yarn-site) does the rest, so a client whose RM went away fails in ~2 min -->
  <property><name>ipc.client.connect.max.retries</name><value>1</value></property>
  <property><name>hadoop.http.authentication.signature.secret.file</name><value>$CONF_DIR/http-signature-secret</value></property>
</configuration>
XML
  cat > "$CONF_DIR/yarn-site.xml" <<XML
<?xml version="1.0"?>
<!-- Generated by scripts/yarn/yarn.sh start; rewritten on every start. -->
<configuration>
  <property><name>yarn.resourcemanager.hostname</name><value>$HOST</value></property>
  <property><name>yarn.resourcemanager.bind-host</name><value>$HOST</value></property>
  <property><name>yarn.resourcemanager.address</name><value>$HOST:$YARN_RM_PORT</value></property>
  <property><name>yarn.resourcemanager.scheduler.address</name><value>$HOST:$YARN_RM_SCHEDULER_PORT</value></property>
  <property><name>yarn.resourcemanager.resource-tracker.address</name><value>$HOST:$YARN_RM_TRACKER_PORT</value></property>
  <property><name>yarn.resourcemanager.admin.address</name><value>$HOST:$YARN_RM_ADMIN_PORT</value></property>
  <property><name>yarn.resourcemanager.webapp.address</name><value>$HOST:$YARN_RM_WEB_PORT</value></property>
  <property><name>yarn.resourcemanager.recovery.enabled</name><value>false</value></property>
  <property><name>yarn.resourcemanager.scheduler.class</name><value>org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler</value></property>
  <!-- clients (spark-submit) and the NM give up after 60 s instead of 15 min if the RM is down -->
  <property><name>yarn.resourcemanager.connect.max-wait.ms</name><value>60000</value></property>
  <property><name>yarn.resourcemanager.connect.retry-interval.ms</name><value>1000</value></property>
  <property><name>yarn.resourcemanager.nodemanagers.heartbeat-interval-ms</name><value>500</value></property>
  <property><name>yarn.timeline-service.enabled</name><value>false</value></property>
  <property><name>yarn.log-aggregation-enable</name><value>false</value></property>

  <property><name>yarn.scheduler.minimum-allocation-mb</name><value>$YARN_MIN_ALLOC_MB</value></property>
  <property><name>yarn.scheduler.maximum-allocation-mb</name><value>$YARN_NM_MEMORY_MB</value></property>
  <property><name>yarn.scheduler.minimum-allocation-vcores</name><value>1</value></property>
  <property><name>yarn.scheduler.maximum-allocation-vcores</name><value>$YARN_NM_VCORES</value></property>

  <property><name>yarn.nodemanager.hostname</name><value>$HOST</value></property>
  <property><name>yarn.nodemanager.bind-host</name><value>$HOST</value></property>
  <property><name>yarn.nodemanager.address</name><value>$HOST:$YARN_NM_PORT</value></property>
  <property><name>yarn.nodemanager.localizer.address</name><value>$HOST:$YARN_NM_LOCALIZER_PORT</value></property>
  <property><name>yarn.nodemanager.webapp.address</name><value>$HOST:$YARN_NM_WEB_PORT</value></property>
  <property><name>yarn.nodemanager.resource.memory-mb</name><value>$YARN_NM_MEMORY_MB</value></property>
  <property><name>yarn.nodemanager.resource.cpu-vcores</name><value>$YARN_NM_VCORES</value></property>
  <property><name>yarn.nodemanager.resource.detect-hardware-capabilities</name><value>false</value></property>
  <property><name>yarn.nodemanager.vmem-check-enabled</name><value>false</value></property>
  <property><name>yarn.nodemanager.pmem-check-enabled</name><value>false</value></property>
  <property><name>yarn.nodemanager.local-dirs</name><value>$DATA_DIR/nm-local</value></property>
  <property><name>yarn.nodemanager.log-dirs</name><value>$DATA_DIR/nm-logs</value></property>
  <property><name>yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage</name><value>99</value></property>
  <property><name>yarn.nodemanager.disk-health-checker.min-free-space-per-disk-watermark-high-mb</name><value>100</value></property>
  <property><name>yarn.nodemanager.container-executor.class</name><value>org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor</value></property>
  <property><name>yarn.nodemanager.recovery.enabled</name><value>false</value></property>
  <!-- on NM shutdown wait at most ~2 s (not ~6 s) for containers before cleaning up -->
  <property><name>yarn.nodemanager.process-kill-wait.ms</name><value>1000</value></property>
  <!-- JAVA_HOME etc. are passed from the NM's environment into containers -->
  <property><name>yarn.nodemanager.env-whitelist</name><value>JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,CLASSPATH_PREPEND_DISTCACHE,HADOOP_YARN_HOME,HADOOP_HOME,PATH,LANG,TZ</value></property>
  <!-- the private-resource localizer is a separate JVM per application -->
  <property><name>yarn.nodemanager.container-localizer.java.opts</name><value>-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 ${JDK_OPENS[*]}</value></property>
  <property><name>yarn.nodemanager.container-localizer.log.level</name><value>WARN</value></property>
  <!-- keep finished containers' launch scripts for 10 min (debugging); logs stay in nm-logs -->
  <property><name>yarn.nodemanager.delete.debug-delay-sec</name><value>${YARN_DEBUG_DELAY_SEC:-0}</value></property>
</configuration>
XML
  cat > "$CONF_DIR/capacity-scheduler.xml" <<XML
<?xml version="1.0"?>
<!-- Generated by scripts/yarn/yarn.sh start. One queue; AMs may use up to 60% of the node
     (default 10% would leave a 6 GiB node room for no Spark AM at all). -->
<configuration>
  <property><name>yarn.scheduler.capacity.root.queues</name><value>default</value></property>
  <property><name>yarn.scheduler.capacity.root.default.capacity</name><value>100</value></property>
  <property><name>yarn.scheduler.capacity.root.default.maximum-capacity</name><value>100</value></property>
  <property><name>yarn.scheduler.capacity.maximum-am-resource-percent</name><value>0.6</value></property>
  <property><name>yarn.scheduler.capacity.root.default.state</name><value>RUNNING</value></property>
  <property><name>yarn.scheduler.capacity.root.default.acl_submit_applications</name><value>*</value></property>
  <property><name>yarn.scheduler.capacity.root.default.acl_administer_queue</name><value>*</value></property>
  <property><name>yarn.scheduler.capacity.node-locality-delay</name><value>-1</value></property>
</configuration>
XML
  cat > "$CONF_DIR/log4j.properties" <<'PROPS'
# Generated by scripts/yarn/yarn.sh start (RM/NM daemons and the NM localizer; reload4j).
hadoop.root.logger=INFO,RFA
hadoop.log.dir=.
hadoop.log.file=hadoop.log
log4j.rootLogger=${hadoop.root.logger}
log4j.threshold=ALL
log4j.appender.RFA=org.apache.log4j.RollingFileAppender
log4j.appender.RFA.File=${hadoop.log.dir}/${hadoop.log.file}
log4j.appender.RFA.MaxFileSize=64MB
log4j.appender.RFA.MaxBackupIndex=2
log4j.appender.RFA.layout=org.apache.log4j.PatternLayout
log4j.appender.RFA.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.target=System.err
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
log4j.logger.org.apache.hadoop.conf.Configuration.deprecation=WARN
PROPS
}

# ------------------------------------------------------------------------------ processes
pid_of() { # daemon -> pid if its pid file names a live process running the expected class
  local f="$RUN_DIR/$1.pid" pid class
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  case "$1" in rm) class=$RM_CLASS ;; nm) class=$NM_CLASS ;; esac
  { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "$class" || return 1
  printf '%s\n' "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

launch() { # daemon class heap
  local name="$1" class="$2" heap="$3"
  local -a cmd=("$JAVA_HOME/bin/java" "-Xms64m" "-Xmx$heap" "${DAEMON_JVM_OPTS[@]}" "${JDK_OPENS[@]}"
    "-Dproc_$name" "-Dhadoop.log.dir=$LOG_DIR" "-Dyarn.log.dir=$LOG_DIR"
    "-Dhadoop.log.file=$name.log" "-Dyarn.log.file=$name.log" "-Dhadoop.root.logger=INFO,RFA"
    "-Dhadoop.home.dir=$HADOOP_DIR" "-Dhadoop.tmp.dir=$DATA_DIR/tmp" "-Dstrata.yarn.home=$YARN_HOME_DIR"
    -cp "$CONF_DIR:$HADOOP_LIB/*" "$class")
  # New session: the daemons outlive the calling shell and its process group. The wrapper
  # writes its own pid and then execs java, so the pid file holds the JVM's pid.
  # shellcheck disable=SC2016
  HADOOP_CONF_DIR="$CONF_DIR" YARN_CONF_DIR="$CONF_DIR" HADOOP_HOME="$HADOOP_DIR" \
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$RUN_DIR/$name.pid" "${cmd[@]}" \
    > "$LOG_DIR/$name.out" 2>&1 < /dev/null &
}

running_nodes() { # prints the number of RUNNING nodes per the RM REST API (or nothing)
  http_get "$RM_WEB/ws/v1/cluster/nodes?states=RUNNING" | python3 -c '
import json, sys
try:
    nodes = (json.load(sys.stdin).get("nodes") or {}).get("node") or []
    print(len(nodes))
except Exception:
    pass'
}

print_env() {
  cat <<OUT
export HADOOP_CONF_DIR=$CONF_DIR
export YARN_CONF_DIR=$CONF_DIR
OUT
}

cmd_start() {
  local rm_pid nm_pid t0=$SECONDS n p
  strata_find_java
  if rm_pid="$(pid_of rm)" && nm_pid="$(pid_of nm)" && [[ "$(running_nodes)" -ge 1 ]] 2>/dev/null; then
    strata_log "YARN already running (rm pid $rm_pid, nm pid $nm_pid) at $RM_WEB"
    print_env
    return 0
  fi
  # Half-running (one daemon died, or a previous start failed): restart cleanly.
  if pid_of rm >/dev/null || pid_of nm >/dev/null; then cmd_stop; fi
  cmd_install
  for p in "$YARN_RM_PORT" "$YARN_RM_SCHEDULER_PORT" "$YARN_RM_TRACKER_PORT" "$YARN_RM_ADMIN_PORT" \
           "$YARN_RM_WEB_PORT" "$YARN_NM_PORT" "$YARN_NM_LOCALIZER_PORT" "$YARN_NM_WEB_PORT"; do
    port_busy "$p" && strata_die "port $HOST:$p is already in use (set YARN_*_PORT to move YARN)"
  done
  write_conf
  : > "$LOG_DIR/rm.log"; : > "$LOG_DIR/nm.log"
  rm -f "$RUN_DIR/rm.pid" "$RUN_DIR/nm.pid"   # stale ones from a crashed run
  strata_log "starting ResourceManager and NodeManager (Hadoop $HADOOP_VERSION, java $(java_major "$JAVA_HOME/bin/java"))"
  # Both at once: the NM retries its registration every second until the RM listens.
  launch rm "$RM_CLASS" "$YARN_RM_HEAP"
  launch nm "$NM_CLASS" "$YARN_NM_HEAP"
  # the wrappers write the pid files asynchronously; give them time on a loaded machine
  for _ in $(seq 1 100); do
    [[ -s "$RUN_DIR/rm.pid" && -s "$RUN_DIR/nm.pid" ]] && break
    sleep 0.2
  done
  while :; do
    if ! pid_of rm >/dev/null; then
      tail -n 40 "$LOG_DIR/rm.out" "$LOG_DIR/rm.log" >&2 || true
      cmd_stop >/dev/null 2>&1 || true
      strata_die "ResourceManager exited during start (logs: $LOG_DIR)"
    fi
    if ! pid_of nm >/dev/null; then
      tail -n 40 "$LOG_DIR/nm.out" "$LOG_DIR/nm.log" >&2 || true
      cmd_stop >/dev/null 2>&1 || true
      strata_die "NodeManager exited during start (logs: $LOG_DIR)"
    fi
    n="$(running_nodes || true)"
    [[ -n "$n" && "$n" -ge 1 ]] && break
    if (( SECONDS - t0 > YARN_START_TIMEOUT )); then
      tail -n 20 "$LOG_DIR/rm.log" "$LOG_DIR/nm.log" >&2 || true
      cmd_stop >/dev/null 2>&1 || true
      strata_die "no RUNNING NodeManager after ${YARN_START_TIMEOUT}s (logs: $LOG_DIR)"
    fi
    sleep 0.5
  done
  strata_log "YARN ready in $((SECONDS - t0))s: RM $HOST:$YARN_RM_PORT, web $RM_WEB (rm pid $(pid_of rm), nm pid $(pid_of nm)); logs $LOG_DIR"
  print_env
}

# Container processes (Spark AMs/executors, their Python workers, the localizer JVM) that the
# NM started: their working directory or command line is under our NM local dir.
container_pids() {
  local d pid cwd
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
    cwd="$(readlink "$d/cwd" 2>/dev/null || true)"
    if [[ "$cwd" == "$DATA_DIR/nm-local"/* ]] \
       || { tr '\0' ' ' < "$d/cmdline"; } 2>/dev/null | grep -qF -- "$DATA_DIR/nm-local/"; then
      printf '%s\n' "$pid"
    fi
  done
}

terminate() { # label pid... : TERM, wait up to YARN_STOP_TIMEOUT, then KILL
  local label="$1"; shift
  local -a pids=("$@") alive
  (( ${#pids[@]} )) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + YARN_STOP_TIMEOUT))
  while :; do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    (( ${#alive[@]} )) || break
    # The NM's graceful stop has a fixed ~10 s tail once it has cleaned up its containers: the
    # non-aggregating log handler waits for its (hours-delayed) log-deletion timers. Once the
    # containers are gone there is nothing left to lose, so cut that wait short.
    if [[ "$label" == NodeManager ]] && grep -q 'Done waiting for Applications to be Finished' "$LOG_DIR/nm.log" 2>/dev/null \
       && [[ -z "$(container_pids)" ]]; then
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.3
      continue
    fi
    if (( SECONDS >= deadline )); then
      strata_log "$label: SIGKILL ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
}

cmd_stop() {
  local pid
  # NM first: on SIGTERM it kills its running containers before exiting.
  if pid="$(pid_of nm)"; then strata_log "stopping NodeManager (pid $pid)"; terminate NodeManager "$pid"; fi
  if pid="$(pid_of rm)"; then strata_log "stopping ResourceManager (pid $pid)"; terminate ResourceManager "$pid"; fi
  local -a left=()
  mapfile -t left < <(container_pids)
  if (( ${#left[@]} )); then
    strata_log "stopping ${#left[@]} leftover container process(es): ${left[*]}"
    terminate containers "${left[@]}"
  fi
  rm -f "$RUN_DIR/rm.pid" "$RUN_DIR/nm.pid"
  strata_log "YARN stopped"
}

cmd_status() {
  local rm_pid nm_pid rc=0 rss
  if rm_pid="$(pid_of rm)"; then
    rss="$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$rm_pid/status")"
    echo "ResourceManager: running pid $rm_pid rss ${rss}MiB  $RM_WEB"
  else echo "ResourceManager: stopped"; rc=3; fi
  if nm_pid="$(pid_of nm)"; then
    rss="$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$nm_pid/status")"
    echo "NodeManager:     running pid $nm_pid rss ${rss}MiB  http://$HOST:$YARN_NM_WEB_PORT"
  else echo "NodeManager:     stopped"; rc=3; fi
  if [[ -n "${rm_pid:-}" ]]; then
    python3 - "$(http_get "$RM_WEB/ws/v1/cluster/nodes" || true)" \
      "$(http_get "$RM_WEB/ws/v1/cluster/apps?states=NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING" || true)" <<'PY' || rc=3
import json, sys

def items(raw, outer, inner):
    try:
        return (json.loads(raw).get(outer) or {}).get(inner) or []
    except ValueError:
        return []

nodes = items(sys.argv[1], "nodes", "node")
for n in nodes:
    used, avail = n.get("usedMemoryMB", 0), n.get("availMemoryMB", 0)
    print(f"node {n['id']}: {n['state']}, {used}/{used + avail} MB used, {n.get('numContainers', 0)} containers")
apps = items(sys.argv[2], "apps", "app")
print(f"active applications: {len(apps)}")
for a in apps:
    print(f"  {a['id']} {a['name']} {a['state']}")
sys.exit(0 if any(n["state"] == "RUNNING" for n in nodes) else 3)
PY
  fi
  local left
  left="$(container_pids | tr '\n' ' ')"
  [[ -n "$left" ]] && echo "container processes: $left"
  return "$rc"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) print_env ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
