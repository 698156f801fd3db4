"""Where a lake is, and how a partition's value is written in its folder name.

A lake is a local folder (a Path or a file:// URI) or a folder on a cluster's file system (hdfs://, s3a://,
any URI Spark's Hadoop file system reads). Only Spark reads the second kind: this machine's code (the export,
the DuckDB build) reads the first, and Spark gets every path as text joined with '/', which both kinds accept.

A partition's value goes into a folder name `community_id=<value>`: a community id holding '/', '=', '%', ':'
(or any character Hive escapes) is written %XX-escaped, as Hive and Spark write it (Hive's
FileUtils.escapePathName), and both readers give the original id back: Spark unescapes partition values,
DuckDB's hive_partitioning URL-decodes them. A space, Chinese and '..' are left as they are: inside
`community_id=..` the two dots are no step up, and both readers take a space and UTF-8 literally.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

# Hive's set (org.apache.hadoop.hive.common.FileUtils.charToEscape): control characters and these
_HIVE_ESCAPED = frozenset('"#%\'*/:=?\\\x7f{[]^') | frozenset(chr(c) for c in range(1, 32))
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def escape_value(value: str) -> str:
    """A partition value as its folder name writes it (community_id=<this>)."""
    if value == "":
        raise ValueError("an empty partition value has no folder name (Hive writes it as NULL)")
    return "".join(f"%{ord(ch):02X}" if ch in _HIVE_ESCAPED else ch for ch in value)


def unescape_value(text: str) -> str:
    """The value a folder name holds, as Spark and DuckDB read it back."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def partition_path(columns, values) -> str:
    """community_id=<escaped>/month=<escaped>, the relative folder of one partition ('' when unpartitioned)."""
    return "/".join(f"{c}={escape_value(str(v))}" for c, v in zip(columns, values))


def is_local(lake: str | Path) -> bool:
    """A Path, a plain path or a file:// URI: this machine reads it with its own file API."""
    if isinstance(lake, Path):
        return True
    scheme = urlparse(str(lake)).scheme
    return scheme in ("", "file") or len(scheme) == 1      # a drive letter is no scheme


def local_path(lake: str | Path) -> Path:
    """The local folder of a Path, a path or a file:// URI, resolved; a cluster URI is refused."""
    if isinstance(lake, Path):
        return lake.resolve()
    parsed = urlparse(str(lake))
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"{lake}: a file:// URI of another host")
        return Path(unquote(parsed.path)).resolve()
    if not is_local(lake):
        raise ValueError(f"{lake}: not a folder of this machine (only Spark reads {parsed.scheme}://)")
    return Path(lake).resolve()


def spark_location(lake: str | Path) -> str:
    """The lake as Spark is given it: a path as its absolute path, a URI (file:// included: Spark's Hadoop file
    system reads it, as it reads hdfs:// and s3a://) as written, without a trailing '/'."""
    if isinstance(lake, Path) or not urlparse(str(lake)).scheme or len(urlparse(str(lake)).scheme) == 1:
        return str(local_path(lake))
    return str(lake).rstrip("/")


def join(location: str, *parts: str) -> str:
    return "/".join([location.rstrip("/"), *parts])
