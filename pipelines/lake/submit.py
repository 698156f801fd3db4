"""The kpi job as `spark-submit` runs it on a cluster (bench/spark_submit.sh; SPEC §11).

    spark-submit --master yarn --deploy-mode client --py-files linli.zip pipelines/lake/submit.py \
        hdfs://nn:8020/linli/lake [--out hdfs://nn:8020/linli/lake/kpi] [--shuffle-partitions 200]

Reads DIR/manifest.json and DIR/<table>/… (the layout `linli lake export` writes, from any file system the
cluster's Hadoop reads: hdfs://, s3a://, file://), runs the models kpi reads (spark_build.build_spark: the same
sql/ files, transpiled at run time) and writes kpi to DIR/kpi/grain=week|month/*.parquet (or --out). The
master is the one spark-submit was given (spark.master); the session's SQL settings are spark_session()'s, the
shuffle width raised by --shuffle-partitions for a cluster (4 suits local[2], not 200 executors' cores).
"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lake", help="the lake: a path or a URI (hdfs://, s3a://, file://)")
    ap.add_argument("--out", help="where kpi goes (default: LAKE/kpi)")
    ap.add_argument("--shuffle-partitions", type=int, help="spark.sql.shuffle.partitions for this job")
    args = ap.parse_args(argv)
    from pyspark import SparkConf

    from pipelines.lake.spark_build import build_spark, spark_session
    master = SparkConf().get("spark.master", "local[2]")     # spark-submit --master, kept as it is
    spark = spark_session(master, app="linli-kpi")
    if args.shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    try:
        result = build_spark(args.lake, spark=spark, out=args.out)
    finally:
        spark.stop()
    print(f"linli kpi: {result.models} models, {result.kpi_rows} kpi rows written to {result.out} "
          f"in {result.seconds:.1f} s (master {master})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
