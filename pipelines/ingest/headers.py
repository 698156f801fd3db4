"""How a header cell is compared with the words Linli knows: case, full-width brackets, spaces, colons,
underscores and dashes do not count. Readers and import profiles both match headers this way."""
from __future__ import annotations

import re


def normalize_header(text: object) -> str:
    s = str(text or "").strip().lower()
    s = s.replace("（", "(").replace("）", ")").replace("＊", "*")
    s = re.sub(r"[\s*:：_\-]+", "", s)
    return s
