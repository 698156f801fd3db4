"""Errors a user sees, always in both languages, always naming the file."""
from __future__ import annotations


class FileRefused(Exception):
    """The file cannot be used at all: nothing of it is imported (exit status 2)."""

    def __init__(self, file_name: str, zh: str, en: str):
        self.file_name = file_name
        self.zh = f"文件《{file_name}》无法导入：{zh}"
        self.en = f"File '{file_name}' cannot be imported: {en}"
        super().__init__(self.en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en
