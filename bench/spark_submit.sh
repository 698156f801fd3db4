#!/bin/sh
# The kpi job on a Spark cluster, from the same sql/ (pipelines/lake/submit.py; bench/README.md, "spark.py").
#
#   bench/spark_submit.sh LAKE [MASTER] [spark-submit options...]
#
#   bench/spark_submit.sh hdfs://nn:8020/linli/lake yarn --num-executors 20 --executor-memory 4g
#   bench/spark_submit.sh s3a://bucket/linli/lake spark://host:7077 --packages org.apache.hadoop:hadoop-aws:3.4.1
#   bench/spark_submit.sh file:///tmp/lake                     # local[2] on this machine: a dry run
#
# LAKE: the folder `linli lake export` wrote (DIR/manifest.json, DIR/<feed>/community_id=…/month=…/data.parquet),
# copied where the cluster reads it (hdfs dfs -put -f DIR …, aws s3 sync DIR …: a re-export rewrites only the
# partitions an import changed). kpi is written to LAKE/kpi/grain=week|month/*.parquet (LINLI_KPI_OUT to put it
# elsewhere), which `linli serve --kpi-from` and read_parquet(…, hive_partitioning = true) read.
# Client deploy mode: the driver runs here, where linli is installed (pip install 'linli[spark]'); the
# executors run Spark SQL only (no Python of ours), so they need nothing installed.
# LINLI_SHUFFLE_PARTITIONS: the shuffle width (default 4 for local[2]; about 2-3 × the executors' cores).
set -eu
LAKE=${1:?usage: bench/spark_submit.sh LAKE [MASTER] [spark-submit options...]}
shift
MASTER=${1:-local[2]}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYSPARK_PYTHON:-$ROOT/.venv/bin/python}
SUBMIT=${SPARK_SUBMIT:-$(command -v spark-submit || echo "$ROOT/.venv/bin/spark-submit")}
set -- "$@" "$ROOT/pipelines/lake/submit.py" "$LAKE"
[ -n "${LINLI_KPI_OUT:-}" ] && set -- "$@" --out "$LINLI_KPI_OUT"
[ -n "${LINLI_SHUFFLE_PARTITIONS:-}" ] && set -- "$@" --shuffle-partitions "$LINLI_SHUFFLE_PARTITIONS"
cd "$ROOT"
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYSPARK_PYTHON="$PYTHON" PYSPARK_DRIVER_PYTHON="$PYTHON" \
    exec "$SUBMIT" --master "$MASTER" --deploy-mode client --name linli-kpi "$@"
