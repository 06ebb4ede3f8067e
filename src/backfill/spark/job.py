"""Strata's Spark job: runs a plan made by src/backfill/spark/plan.ts.

    spark-submit … src/backfill/spark/job.py <spec.json>

A generic executor, with no transformation logic of its own: the spec lists the operators
downstream of Bronze in execution order, each with its SQL (the shared model, already rendered
and translated to Spark SQL by Strata) and its materialize mode. This file only does what the
in-process SqlOperator does around the SQL (src/operators/sql.ts), the same way:

  input      the rows of the operator's input node (explicit Bronze files, or the previous operator's
             result in this job); `recompute` reads the upstream table around the changed partitions
  relations  temp views over Parquet (seed CSVs converted by Strata with DuckDB's own CSV reading)
             or over a warehouse table
  append     one file per partition and batch: part-<batch id>.parquet (the batch id is the row's
             _batch_id, as in-process, so a re-run replaces instead of duplicating)
  upsert     merged by key with the partitions' current data.parquet; the row greatest by order_by wins
  recompute  rebuilds every target partition (affects_days) from the upstream table (reads_days)

Nothing here touches the visible warehouse. Every file is written under the spec's staging
directory (same file system as the warehouse), in the warehouse's layout, and listed in
result.json; Strata renames them into place after the application has succeeded. Later operators
of the same job read the warehouse overlaid with what earlier ones staged. So a job killed or
failing at any point leaves the tables exactly as they were.

Output: progress lines `STRATA_JOB {json}` on stdout, then `STRATA_JOB_RESULT {json}` (also written
to result.json, which is what Strata reads: in YARN cluster mode stdout is the container's).
"""

import datetime as dt
import json
import os
import re
import shutil
import sys
import time
import traceback
import uuid
from urllib.parse import unquote

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

DATA_FILE = "data.parquet"
TABLE_RE = re.compile(r"^(bronze|silver|gold)\.([a-z][a-z0-9_]*)$")
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


class JobError(Exception):
    def __init__(self, code, message, operator=None):
        super().__init__(message)
        self.code = code
        self.operator = operator


def emit(kind, payload):
    print(f"{kind} {json.dumps(payload, default=str)}", flush=True)


def file_safe(s):
    """Same as fileSafe() in src/operators/operator.ts."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s)[:180]


def add_days(d, n):
    return (dt.date.fromisoformat(d) + dt.timedelta(days=n)).isoformat()


def expand_dates(dates, rng):
    lo, hi = rng
    return sorted({add_days(d, k) for d in dates for k in range(lo, hi + 1)})


def uri(path):
    return "file://" + path


def is_data_file(name):
    return name.endswith(".parquet") and not name.startswith(".") and not name.startswith("_")


class Catalog:
    """The warehouse as this job sees it: the committed files, overlaid by the files it staged."""

    def __init__(self, spark, root, out_root):
        self.spark = spark
        self.root = root
        self.out_root = out_root
        self.staged = []  # manifest entries

    def rel_dir(self, table):
        m = TABLE_RE.match(table)
        if not m:
            raise JobError("TABLE_NAME_INVALID", f"invalid table name {table!r}")
        return os.path.join(m.group(1), m.group(2))

    def _list(self, base, rel, recurse):
        d = os.path.join(base, rel)
        out = {}
        try:
            entries = list(os.scandir(d))
        except FileNotFoundError:
            return out
        for e in entries:
            if e.name.startswith(".") or e.name.startswith("_"):
                continue
            r = os.path.join(rel, e.name)
            if e.is_dir() and recurse:
                out.update(self._list(base, r, True))
            elif e.is_file() and e.name.endswith(".parquet") and e.stat().st_size > 0:
                out[r] = os.path.join(base, r)
        return out

    def files(self, table, column=None, values=None, only_data_file=False):
        """{relative path under the table: absolute path}, staged files replacing committed ones."""
        t = self.rel_dir(table)
        dirs = [f"{column}={v}" for v in values] if column is not None else [""]
        found = {}
        for base in (self.root, self.out_root):
            for d in dirs:
                found.update(self._list(os.path.join(base, t), d, column is None))
        if only_data_file:
            found = {r: p for r, p in found.items() if os.path.basename(r) == DATA_FILE}
        return found

    def read(self, table, column=None, values=None, only_data_file=False, required_files=None):
        files = required_files if required_files is not None else self.files(table, column, values, only_data_file)
        return read_files(self.spark, self, table, files)

    def stage(self, table, rel, src):
        """Moves a file Spark wrote into the staged warehouse layout."""
        dst = os.path.join(self.out_root, self.rel_dir(table), rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(src, dst)
        self.staged.append({"table": table, "path": rel, "staged": dst, "bytes": os.path.getsize(dst)})


def read_files(spark, catalog, table, files):
    """A DataFrame over the files ({rel: abs}), Hive partition columns restored (DuckDB's union_by_name)."""
    if not files:
        return None
    t = catalog.rel_dir(table)
    groups = {}
    for rel, path in files.items():
        base = os.path.join(catalog.out_root if path.startswith(catalog.out_root + os.sep) else catalog.root, t)
        groups.setdefault(base, []).append(path)
    frames = []
    for base, paths in sorted(groups.items()):
        frames.append(
            spark.read.option("basePath", uri(base)).option("mergeSchema", "true").parquet(*[uri(p) for p in sorted(paths)])
        )
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f, allowMissingColumns=True)
    return df


def to_naive(df):
    """TIMESTAMP (with local time zone) → TIMESTAMP_NTZ: DuckDB reads it back as TIMESTAMP, like its own files."""
    for f in df.schema.fields:
        if isinstance(f.dataType, T.TimestampType):
            df = df.withColumn(f.name, F.col(f.name).cast(T.TimestampNTZType()))
    return df


def partition_values(df, col):
    rows = df.where(F.col(col).isNotNull()).select(F.col(col).cast("string").alias("v")).distinct().collect()
    return sorted(r["v"] for r in rows)


def rows_and_partitions(df, col):
    """Row count and non-NULL partition values in one pass (one Spark job instead of two)."""
    if not col:
        return df.count(), []
    counts = df.groupBy(F.col(col).cast("string").alias("v")).count().collect()
    return sum(r["count"] for r in counts), sorted(r["v"] for r in counts if r["v"] is not None)


class Job:
    def __init__(self, spark, spec):
        self.spark = spark
        self.spec = spec
        self.staging = spec["staging"]
        self.tmp = os.path.join(self.staging, "tmp")
        self.catalog = Catalog(spark, spec["warehouse"], os.path.join(self.staging, "out"))
        self.outputs = {}
        self.report = []
        self.persisted = []
        self.op_cache = []  # CTEs cached while one operator runs

    # -------------------------------------------------------------- writing
    def write(self, df, op, file_name=None):
        """Writes df into the staged layout of op's table; returns the partition values written."""
        table = op["table"]
        part = op.get("partition_by")
        df = to_naive(df)
        tmp = os.path.join(self.tmp, f"{op['name']}-{uuid.uuid4().hex[:8]}")
        keys = []
        if file_name is None:
            # append: one file per partition and batch id
            if "_batch_id" in df.columns:
                key = F.substring(F.regexp_replace(F.coalesce(F.col("_batch_id"), F.lit(self.spec["batch_id"])), r"[^A-Za-z0-9._-]+", "_"), 1, 180)
            else:
                key = F.lit(file_safe(self.spec["batch_id"]))
            df = df.withColumn("__strata_file", key)
            keys = ["__strata_file"]
        cols = ([part] if part else []) + keys
        if cols:
            df.repartition(*[F.col(c) for c in cols]).write.partitionBy(*cols).parquet(uri(tmp))
        else:
            df.coalesce(1).write.parquet(uri(tmp))
        written = set()
        for dirpath, _dirs, names in os.walk(tmp):
            data = [n for n in names if is_data_file(n)]
            if not data:
                continue
            rel = os.path.relpath(dirpath, tmp)
            parts = [] if rel == "." else rel.split(os.sep)
            if len(data) != 1:
                raise JobError("PARTITION_WRITE_SPLIT", f"{table}: {rel} was written as {len(data)} files; expected 1", op["name"])
            pdir = None
            fname = file_name
            for p in parts:
                k, _, v = p.partition("=")
                if k == "__strata_file":
                    fname = f"part-{unquote(v)}.parquet"
                elif k == part:
                    pdir = p
                    if v != HIVE_NULL:
                        written.add(unquote(v))
            target_rel = os.path.join(pdir, fname) if pdir else fname
            self.catalog.stage(table, target_rel, os.path.join(dirpath, data[0]))
        shutil.rmtree(tmp, ignore_errors=True)
        return sorted(written)

    # -------------------------------------------------------------- operators
    def bind_relations(self, op):
        for alias, rel in (op.get("relations") or {}).items():
            if "parquet" in rel:
                df = self.spark.read.parquet(uri(rel["parquet"]))
            else:
                df = self.catalog.read(rel["table"])
                if df is None:
                    raise JobError("RELATION_EMPTY", f"operator {op['name']}: relation {alias} = {rel['table']} has no data yet", op["name"])
            df.createOrReplaceTempView(alias)

    def run_sql(self, op):
        """The model. Its top-level CTEs run as temp views first, those read twice or more cached for this
        operator: what DuckDB does with such CTEs (Spark would inline and recompute them at every reference)."""
        views = []
        try:
            for cte in op.get("ctes") or []:
                df = self.spark.sql(cte["sql"])
                if cte["refs"] > 1:
                    df = df.persist(StorageLevel.MEMORY_AND_DISK)
                    self.op_cache.append(df)
                df.createOrReplaceTempView(cte["name"])
                views.append(cte["name"])
            return self.spark.sql(op["body"] if op.get("ctes") else op["sql"])
        except Exception as e:  # AnalysisException, ParseException: say which model
            raise JobError("SQL_MODEL_FAILED", f"operator {op['name']} ({op.get('source_file', '?')}): {first_lines(e)}", op["name"]) from e
        finally:
            # The result's plan has the views resolved already; drop them so no later model sees a stale one.
            for v in views:
                self.spark.catalog.dropTempView(v)

    def keep(self, df):
        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self.persisted.append(df)
        return df

    def run_operator(self, op):
        inp = self.outputs.get(op["input"])
        if inp is None:
            raise JobError("PLAN_INVALID", f"operator {op['name']}: input {op['input']} has not run", op["name"])
        if inp["df"] is None or inp["rows"] == 0:
            return {"df": None, "rows": 0, "partitions": []}
        self.bind_relations(op)
        mode = op["mode"]
        if mode == "recompute":
            return self.recompute(op, inp)
        inp["df"].createOrReplaceTempView("input")
        out = self.run_sql(op)
        if mode == "upsert":
            return self.upsert(op, out)
        if mode == "append":
            return self.append(op, out)
        raise JobError("PLAN_INVALID", f"operator {op['name']}: unknown mode {mode}", op["name"])

    def append(self, op, out):
        out = self.keep(out)
        rows = out.count()
        if rows == 0:
            return {"df": out, "rows": 0, "partitions": []}
        partitions = self.write(out, op)
        return {"df": out, "rows": rows, "partitions": partitions}

    def dedupe(self, df, op):
        order = [F.col(c).desc_nulls_last() for c in op["order_by"]]
        w = Window.partitionBy(*[F.col(k) for k in op["key"]]).orderBy(*order)
        return df.withColumn("_rn", F.row_number().over(w)).where(F.col("_rn") == 1).drop("_rn")

    def upsert(self, op, out):
        out = self.keep(self.dedupe(out, op))
        part = op.get("partition_by")
        rows, partitions = rows_and_partitions(out, part)
        if rows == 0:
            return {"df": out, "rows": 0, "partitions": []}
        existing = self.catalog.read(op["table"], part, partitions if part else None, only_data_file=True)
        merged = out if existing is None else self.dedupe(out.unionByName(existing, allowMissingColumns=True), op)
        self.write(merged, op, DATA_FILE)
        return {"df": out, "rows": rows, "partitions": partitions}

    def recompute(self, op, inp):
        up_col = op["upstream_partition"]
        changed = inp["partitions"] or partition_values(inp["df"], up_col)
        targets = expand_dates(changed, op["affects_days"])
        reads = expand_dates(targets, op["reads_days"])
        df = self.catalog.read(op["upstream_table"], up_col, reads)
        if df is None:
            return {"df": None, "rows": 0, "partitions": []}
        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self.op_cache.append(df)
        df.createOrReplaceTempView("input")
        part = op["partition_by"]
        out = self.run_sql(op)
        out = self.keep(out.where(F.col(part).isNotNull() & F.col(part).cast("string").isin(targets)))
        rows = out.count()
        partitions = self.write(out, op, DATA_FILE) if rows else []
        return {"df": out, "rows": rows, "partitions": partitions}

    # -------------------------------------------------------------- the plan
    def run(self):
        for name, inp in self.spec["inputs"].items():
            files = {os.path.relpath(p, os.path.join(self.catalog.root, self.catalog.rel_dir(inp["table"]))): p for p in inp["files"]}
            df = read_files(self.spark, self.catalog, inp["table"], files)
            if df is not None:
                # read by every operator on it (several times over for a UNION ALL): once from the files
                df = self.keep(df)
            self.outputs[name] = {"df": df, "rows": inp.get("rows", 0 if df is None else -1), "partitions": inp.get("partitions") or []}
            emit("STRATA_JOB", {"event": "input", "node": name, "table": inp["table"], "files": len(files), "rows": inp.get("rows")})
        for op in self.spec["operators"]:
            t0 = time.time()
            try:
                res = self.run_operator(op)
            except JobError:
                raise
            except Exception as e:
                raise JobError("OPERATOR_FAILED", f"operator {op['name']} → {op['table']}: {first_lines(e)}", op["name"]) from e
            finally:
                for df in self.op_cache:
                    df.unpersist()
                self.op_cache = []
            self.outputs[op["name"]] = res
            cols = res["df"].columns if res["df"] is not None else []
            entry = {
                "operator": op["name"],
                "table": op["table"],
                "mode": op["mode"],
                "rows": res["rows"],
                "partitions": res["partitions"],
                "rejected": "reason" in cols,
                "seconds": round(time.time() - t0, 3),
            }
            self.report.append(entry)
            emit("STRATA_JOB", {"event": "operator", **entry, "partitions": len(res["partitions"])})
        for df in self.persisted:
            df.unpersist()
        shutil.rmtree(self.tmp, ignore_errors=True)


def first_lines(e, n=3):
    lines = [l for l in str(e).strip().splitlines() if l.strip()]
    return " ".join(lines[:n])[:2000] if lines else type(e).__name__


def write_result(spec, result):
    path = spec["result_file"]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, path)


def main(argv):
    if len(argv) != 2:
        print("usage: job.py <spec.json>", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        spec = json.load(f)
    if spec.get("version") != 1:
        print(f"unsupported spec version {spec.get('version')}", file=sys.stderr)
        return 2
    t0 = time.time()
    builder = SparkSession.builder.appName(spec.get("app_name", "strata"))
    # The semantics the translated SQL relies on (same as Strata's DuckDB): fixed here, whatever --conf says.
    for k, v in {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.caseSensitive": "false",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "true",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
    }.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    app_id = spark.sparkContext.applicationId
    emit("STRATA_JOB", {"event": "started", "application_id": app_id, "master": spark.sparkContext.master, "operators": len(spec["operators"])})
    job = Job(spark, spec)
    result = {"status": "ok", "application_id": app_id, "operators": [], "files": []}
    code = 0
    try:
        job.run()
        result["operators"] = job.report
        result["files"] = job.catalog.staged
    except JobError as e:
        result.update(status="failed", code=e.code, operator=e.operator, error=str(e), operators=job.report)
        code = 1
    except Exception as e:  # noqa: BLE001 — anything else is a failed job with its reason
        result.update(status="failed", code="JOB_FAILED", error=first_lines(e), operators=job.report)
        traceback.print_exc()
        code = 1
    result["seconds"] = round(time.time() - t0, 3)
    write_result(spec, result)
    if code:
        emit("STRATA_JOB_ERROR", {k: result.get(k) for k in ("code", "operator", "error")})
    emit("STRATA_JOB_RESULT", {k: v for k, v in result.items() if k != "files"} | {"files": len(result["files"])})
    spark.stop()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
