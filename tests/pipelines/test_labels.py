"""Each feed, each stored enumeration value, each metric and each word of a kept record has its words in both
languages, written once (issue 14): feeds and enumeration words in the feed registry (pipelines/feeds.py),
metrics in the metric registry (pipelines/metrics.py), an action's status, a case's step and timeline entries,
a role and an alert's level in the module that keeps them (pipelines/records); the catalogs do not repeat them,
and `i18n.label` reads them."""
from __future__ import annotations

import inspect
import re

import pytest

from pipelines.feeds import ENUM, ENUM_COLUMNS, FEEDS
from pipelines.metrics import REGISTRY
from pipelines.present.i18n import LANGS, RECORD_WORDS, en, label, metric_help, metric_name, zh_CN
from pipelines.records import actions, alert_rules, cases, users

CATALOGS = {"zh": zh_CN.STRINGS, "en": en.STRINGS}


@pytest.mark.parametrize("lang", LANGS)
def test_every_feed_has_its_name_in_both_languages(lang):
    for kind, feed in FEEDS.items():
        assert feed.label(lang).strip(), kind
        assert label("kind", kind, lang) == feed.label(lang)


@pytest.mark.parametrize("lang", LANGS)
def test_every_enumeration_value_of_every_feed_has_its_word_in_both_languages(lang):
    for kind, feed in FEEDS.items():
        for column in feed.columns:
            assert bool(column.words) == (column.kind == ENUM), f"{kind}.{column.name}"
            for value in column.words:
                word = label(f"{kind}.{column.name}", value, lang)
                assert word.strip() and word == column.word(value, lang), f"{kind}.{column.name}.{value}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_metric_has_its_name_and_definition_in_both_languages(lang):
    for key in REGISTRY:
        assert metric_name(key, lang).strip() and metric_help(key, lang).strip(), key


def test_label_reads_the_registry_then_the_catalog():
    assert [label("kind", "orders", lang) for lang in LANGS] == ["订单", "Orders"]
    assert [label("channel", "group_buy", lang) for lang in LANGS] == ["团购", "Group buying"]
    assert [label("orders.channel", "coop_store", lang) for lang in LANGS] == ["合作社", "Co-op store"]
    assert [label("course_type", "legal", lang) for lang in LANGS] == ["法律讲座", "Legal talk"]
    assert [label("source", "hotline", lang) for lang in LANGS] == ["12345热线", "12345 hotline"]
    assert [label("rating", "dissatisfied", lang) for lang in LANGS] == ["不满意", "dissatisfied"]
    # points and sellers both have a `kind` column: only their full names reach it
    assert label("points.kind", "locker", "en") == "Parcel locker" and "kind" not in ENUM_COLUMNS
    # an empty value of a breakdown, as mart_jobs_breakdown writes it
    assert [label("employment_type", "unknown", lang) for lang in LANGS] == ["未填写", "Not given"]
    assert label("auth.action", "import", "zh") == "导入"            # not a feed's word: the catalog's
    assert label("channel", "telegram", "zh") == "telegram"          # nothing names it: the value itself
    assert label("kind", "nothing", "en") == "nothing"


def test_the_shown_chinese_word_is_one_an_import_accepts():
    for feed in FEEDS.values():
        for column in feed.columns:
            for value, words in column.enum.items():
                assert words[0] == column.word(value, "zh")


@pytest.mark.parametrize("lang", LANGS)
def test_no_catalog_repeats_a_registry_word(lang):
    for key, text in CATALOGS[lang].items():
        prefix, _, last = key.rpartition(".")
        assert not (prefix == "kind" and last in FEEDS), key
        assert not (prefix in ENUM_COLUMNS and last in ENUM_COLUMNS[prefix].words), key
        for name, column in ENUM_COLUMNS.items():   # under another prefix (feedback.rating.satisfied was one)
            assert not (last in column.words and text == column.word(last, lang)), (key, name)
        assert not any(key.endswith(metric) for metric in REGISTRY), key
        for name, words in RECORD_WORDS.items():   # gov.status.open, brief.level.error, rules.level.warning were
            column = name.rpartition(".")[2]
            assert not (last in words and prefix.rpartition(".")[2] == column), (key, name)
            # nor under another name; in Chinese only, where a record's word is distinctive (in English
            # the column header Step is spelt as the timeline's step is)
            assert not (lang == "zh" and last in words and text == label(name, last, lang)), (key, name)


# Every value each kept record may hold, by the prefix label() takes: the lists the records check against.
RECORD_VALUES = {
    "actions.status": actions.STATUSES,
    "cases.step": cases.STEPS,
    # every kind cases.py writes to the timeline
    "cases.event": tuple(sorted(set(re.findall(r'_event\(con, case, [^"]*"(\w+)"', inspect.getsource(cases))))),
    "users.role": tuple(users.ROLES),
    "alert_rules.level": alert_rules.LEVELS,
}


def test_every_kept_record_vocabulary_is_declared():
    assert set(RECORD_WORDS) == set(RECORD_VALUES)
    for name, values in RECORD_VALUES.items():
        assert set(RECORD_WORDS[name]) == set(values), name
    assert len(RECORD_VALUES["cases.event"]) == 6


@pytest.mark.parametrize("lang", LANGS)
def test_every_word_of_a_kept_record_is_there_in_both_languages(lang):
    for name, values in RECORD_VALUES.items():
        for value in values:
            word = label(name, value, lang)
            # a role's English word is the name `linli users add --role` takes
            assert word.strip() and (word != value or (lang == "en" and name == "users.role")), (name, value)


def test_label_reads_the_kept_records_words():
    assert [label("actions.status", "in_progress", lang) for lang in LANGS] == ["进行中", "In progress"]
    assert [label("cases.step", "agree", lang) for lang in LANGS] == ["形成方案", "Agree a solution"]
    assert [label("cases.event", "party", lang) for lang in LANGS] == ["邀请参与方", "Party invited"]
    assert [label("cases.event", "meeting", lang) for lang in LANGS] == ["召开会议", "Meeting"]
    assert [label("users.role", "official", lang) for lang in LANGS] == ["街道干部", "official"]
    assert [label("alert_rules.level", "error", lang) for lang in LANGS] == ["严重", "Serious"]
    # a feed's column of the same name is still the feed's
    assert label("status", "paid") == "已支付" and label("role", "host") == "主播"


def test_a_kept_record_accepts_its_shown_words():
    assert [actions.status_of(w) for w in ("待办", "In progress", "已完成", "办结")] == ["open", "in_progress", "done", "done"]
    assert [cases.step_of(w) for w in ("邀请各方", "Agree a solution", "结案")] == ["invite", "agree", "closed"]
