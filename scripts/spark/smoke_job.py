"""Tiny PySpark job for the Spark/YARN smoke tests.

Writes N rows as Parquet to OUTPUT (a file:// URI or local path), reads them back and checks
the count and a checksum. Runs a Python lambda over an RDD so that Python workers are started
on the executors (on YARN: inside NodeManager containers), not only in the driver.

usage: smoke_job.py OUTPUT [ROWS]
prints: SMOKE_OK rows=<n> sum=<s> partitions=<p> master=<m> python=<executor python>
"""

import sys

from pyspark.sql import SparkSession, functions as F


def main() -> int:
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    spark = SparkSession.builder.appName("strata-smoke").getOrCreate()
    sc = spark.sparkContext

    # Python code on the executors: squares via an RDD lambda, and the executor's interpreter path.
    squares = sc.parallelize(range(rows), 4).map(lambda i: (i, i * i % 1000))
    df = spark.createDataFrame(squares, "id long, sq long").withColumn("bucket", F.col("id") % 7)
    df.write.mode("overwrite").parquet(out)

    back = spark.read.parquet(out)
    n = back.count()
    total = back.agg(F.sum("sq")).first()[0]
    expected = sum(i * i % 1000 for i in range(rows))
    exe_python = sc.parallelize([0], 1).map(lambda _: sys.executable).first()
    if n != rows or total != expected:
        print(f"SMOKE_FAIL rows={n} expected_rows={rows} sum={total} expected_sum={expected}")
        return 1
    print(
        f"SMOKE_OK rows={n} sum={total} partitions={back.rdd.getNumPartitions()} "
        f"master={sc.master} python={exe_python}",
        flush=True,
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
