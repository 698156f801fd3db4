"""The Chinese font the PDF, the share card and the charts are drawn with.

No font ships with the project's dependencies, so it comes from the system: the folders named in
LINLI_FONT_DIRS (os.pathsep-separated; they replace the search, so a machine can name its own font
folder), else the usual system folders and fontconfig's list of fonts that cover Simplified Chinese.
Known Chinese families are preferred, by name, over whatever fontconfig lists first, so every
machine that has Noto Sans CJK prints the same brief.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import UserError

ENV = "LINLI_FONT_DIRS"

# (regular, bold) file names, best first; a bold of None means the regular face stands in for it
KNOWN = [
    ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
    ("NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf"),
    ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf"),
    ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf"),
    ("SourceHanSansSC-Regular.otf", "SourceHanSansSC-Bold.otf"),
    ("SourceHanSans-Regular.ttc", "SourceHanSans-Bold.ttc"),
    ("wqy-microhei.ttc", None),
    ("wqy-zenhei.ttc", None),
    ("DroidSansFallbackFull.ttf", None),
    ("DroidSansFallback.ttf", None),
    ("msyh.ttc", "msyhbd.ttc"),
    ("simhei.ttf", None),
    ("Hiragino Sans GB.ttc", None),
    ("Arial Unicode.ttf", None),
]


def system_dirs() -> list[Path]:
    home = Path.home()
    if sys.platform == "darwin":
        return [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts"]
    if sys.platform == "win32":
        return [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local/share/fonts", home / ".fonts"]


@dataclass(frozen=True)
class Face:
    path: Path
    index: int = 0       # the face inside a .ttc collection


@dataclass(frozen=True)
class Font:
    regular: Face
    bold: Face
    family: str          # the family name charts ask for (vl-convert finds it among the system's fonts)


class FontMissing(UserError):
    def __init__(self, searched: list[Path]):
        where = "、".join(str(p) for p in searched) or "（无）"
        where_en = ", ".join(str(p) for p in searched) or "(none)"
        super().__init__(
            f"找不到中文字体，无法生成 PDF 和分享图（xlsx 不需要字体）。已查找：{where}。"
            f"请安装一种中文字体（Debian/Ubuntu：sudo apt-get install fonts-noto-cjk；也可用 Noto Sans SC、"
            f"思源黑体或文泉驿微米黑），或把字体文件所在的文件夹写入环境变量 {ENV}。",
            f"No Chinese font found, so the PDF and the share card cannot be drawn (xlsx needs none). "
            f"Searched: {where_en}. Install one (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; or Noto Sans SC, "
            f"Source Han Sans, WenQuanYi Micro Hei), or put the folder holding the font file in {ENV}.")


def search_dirs() -> tuple[list[Path], bool]:
    """The folders to look in, and whether fontconfig may be asked as well (not when the user named folders)."""
    named = os.environ.get(ENV)
    if named is not None:
        return [Path(p) for p in named.split(os.pathsep) if p], False
    return system_dirs(), True


def find(dirs: list[Path] | None = None) -> Font:
    """The best Chinese font in `dirs` (default: search_dirs()); FontMissing names where it looked."""
    ask_fontconfig = False
    if dirs is None:
        dirs, ask_fontconfig = search_dirs()
    files = _files(dirs)
    for regular, bold in KNOWN:
        if regular.lower() in files:
            reg = _face(files[regular.lower()])
            b = _face(files[bold.lower()]) if bold and bold.lower() in files else reg
            return Font(reg, b, _family(reg))
    if ask_fontconfig:
        listed = _fontconfig_chinese()
        if listed is not None:
            return Font(listed, listed, _family(listed))
    raise FontMissing(dirs)


def _files(dirs: list[Path]) -> dict[str, Path]:
    """Font files under the folders, by lower-case file name (the first folder's copy wins)."""
    out: dict[str, Path] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for root, _, names in os.walk(d):
            for name in names:
                if name.lower().endswith((".ttf", ".otf", ".ttc")):
                    out.setdefault(name.lower(), Path(root) / name)
    return out


def _face(path: Path) -> Face:
    """In a collection, the Simplified Chinese face (Noto and Source Han put JP first)."""
    if path.suffix.lower() != ".ttc":
        return Face(path)
    from fontTools.ttLib import TTCollection
    with TTCollection(str(path), lazy=True) as collection:
        names = [str(f["name"].getDebugName(1) or "") for f in collection.fonts]
    for i, name in enumerate(names):
        if name.endswith((" SC", " GB")) and "Mono" not in name:
            return Face(path, i)
    return Face(path, 0)


def _family(face: Face) -> str:
    from fontTools.ttLib import TTFont
    with TTFont(str(face.path), fontNumber=face.index, lazy=True) as font:
        return str(font["name"].getDebugName(1) or face.path.stem)


def _fontconfig_chinese() -> Face | None:
    """The first font fontconfig says covers zh-cn, where fontconfig exists."""
    fc = shutil.which("fc-list")
    if fc is None:
        return None
    try:
        out = subprocess.run([fc, ":lang=zh-cn", "file", "index"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(out.splitlines()):
        file, _, rest = line.partition(":")
        if file.lower().endswith((".ttf", ".otf", ".ttc")):
            index = rest.split("=", 1)[1].strip() if "index=" in rest else "0"
            return Face(Path(file), int(index) if index.isdigit() else 0)
    return None
