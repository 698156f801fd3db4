"""`linli … --help` in the commands' language (issue 16, smaller items): Chinese by default, English with
LINLI_LANG=en, as every other message of the commands; every sub-command and option says what it is."""
from __future__ import annotations

import argparse
import re

import pytest

from pipelines.cli.main import main, parser

CJK = re.compile(r"[\u4e00-\u9fff]")


def walk(p: argparse.ArgumentParser, path: str = "linli"):
    """(where, action) for every option and argument of every command, and every sub-command's choice."""
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"{path} {choice.dest}", choice
            for name, sub in action.choices.items():
                yield from walk(sub, f"{path} {name}")
        else:
            yield f"{path} {'/'.join(action.option_strings) or action.dest}", action


def test_linli_users_help_is_chinese_by_default(monkeypatch, capsys):
    monkeypatch.delenv("LINLI_LANG", raising=False)
    with pytest.raises(SystemExit):
        main(["users", "--help"])
    shown = capsys.readouterr().out
    assert shown.startswith("用法：linli users")
    for line in ("添加账号；密码从标准输入读取，或在终端上询问", "删除账号", "列出所有账号", "显示这段说明并退出"):
        assert line in shown
    assert "add an account" not in shown and "show this help" not in shown


def test_linli_users_help_is_english_with_linli_lang_en(monkeypatch, capsys):
    monkeypatch.setenv("LINLI_LANG", "en")
    with pytest.raises(SystemExit):
        main(["users", "add", "--help"])
    shown = capsys.readouterr().out
    assert shown.startswith("usage: linli users add")
    assert "director, member, official or admin" in shown and not CJK.search(shown.split("options:")[1])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_command_and_option_says_what_it_is_in_the_language(monkeypatch, lang):
    monkeypatch.setenv("LINLI_LANG", lang)
    found = list(walk(parser()))
    assert len(found) > 80
    silent = [where for where, a in found if not a.help]
    assert silent == []
    if lang == "zh":
        assert [where for where, a in found if not CJK.search(a.help)] == []
    else:    # English, naming a Chinese word only beside its English one
        assert [where for where, a in found if CJK.search(a.help) and not re.search(r"[a-z]{3}", a.help)] == []
