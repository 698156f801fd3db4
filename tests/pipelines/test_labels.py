"""Each feed, each stored enumeration value and each metric has its words in both languages, written once
(issue 14): feeds and enumeration words in the feed registry (pipelines/feeds.py), metrics in the metric
registry (pipelines/metrics.py); the catalogs do not repeat them, and `i18n.label` reads the registry."""
from __future__ import annotations

import pytest

from pipelines.feeds import ENUM, ENUM_COLUMNS, FEEDS
from pipelines.metrics import REGISTRY
from pipelines.present.i18n import LANGS, en, label, metric_help, metric_name, zh_CN

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
