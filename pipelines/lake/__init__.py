"""City scale (SPEC §11): the store as a Parquet lake, and the models of sql/ run on Apache Spark over it."""
