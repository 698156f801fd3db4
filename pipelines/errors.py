"""Errors a user sees, always in both languages, always naming the file."""
from __future__ import annotations

import os
import re

from pipelines.masking import mask_text

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def ui_lang() -> str:
    """The language a message outside the dashboard is written in: LINLI_LANG=en for English, else Chinese."""
    return "en" if os.environ.get("LINLI_LANG", "zh").lower().startswith("en") else "zh"


def safe_text(text: str) -> str:
    """A name from outside (a path, a file name) fit for a message: no terminal escapes, no phone or
    ID-card number (张三13800138000.csv -> 张三138****8000.csv)."""
    return mask_text(_CONTROL.sub("", str(text)))


class UserError(Exception):
    """Any other failure the user must read (exit status 1), in both languages."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


class FileRefused(Exception):
    """The file cannot be used at all: nothing of it is imported (exit status 2)."""

    def __init__(self, file_name: str, zh: str, en: str):
        file_name = safe_text(file_name)
        self.file_name = file_name
        self.zh = safe_text(f"文件《{file_name}》无法导入：{zh}")
        self.en = safe_text(f"File '{file_name}' cannot be imported: {en}")
        super().__init__(self.en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en
