"""The engine's own rules: registries are the one place for each fact, the run order comes from the
SQL's parse tree, audits stop a bad build from publishing, money sums exactly."""
from __future__ import annotations

import duckdb
import pytest

from pipelines.build import runner as build_mod
from pipelines.build.models import table_references
from pipelines.build.runner import AuditFailed, build, current_snapshot, load_models
from pipelines.build.sqlgen import PLACEHOLDER
from pipelines.metrics import METRICS, REGISTRY, marts, metric
from tests.conftest import Kpi, build_store

FEEDS_TEXT = {
    "communities": "community_id,name,households\nA,A社区,200\n",
    "buildings": "building_id,community_id\nB1,A\nB2,A\n",
    "orders": """order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status
O1,A,S1,团购,2025-06-02 10:00,0.1,已支付
O2,A,S1,团购,2025-06-03 10:00,0.2,已支付
O3,A,S2,直播,2025-06-04 21:00,100.07,已退款
""",
    # the monthly noise round: 5 households in June (2 dissatisfied; late noise asked of 4, 3 yes), 1 in July
    "feedback": """编号,社区,回访日期,楼栋编号,评价,夜间是否听到直播噪音,意见
F1,A,2025-06-02,B1,不满意,是,晚上十点后还在直播
F2,A,2025-06-02,B1,满意,否,
F3,A,2025-06-03,B2,不满意,是,联系电话13800138000
F4,A,2025-06-08,B2,一般,,
F5,A,2025-06-09,,满意,是,
F6,A,2025-07-01,B1,满意,否,
""",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("engine"), FEEDS_TEXT)


def test_kpi_holds_exactly_the_registry_metrics(store):
    con = duckdb.connect(str(store), read_only=True)
    found = {r[0] for r in con.execute("SELECT DISTINCT metric FROM kpi").fetchall()}
    con.close()
    assert found == set(REGISTRY) == set(METRICS)


def test_feedback_metrics_as_spec_defines_them(store):
    kpi = Kpi(store)
    # week of 2025-06-02: F1–F4 (F5 is on Monday 06-09); dissatisfied F1, F3; late noise asked F1–F3: 2 yes of 3
    assert kpi("A", "week", "2025-06-02", "feedback.responses") == 4
    assert kpi("A", "week", "2025-06-02", "feedback.dissatisfied_share") == pytest.approx(2 / 4)
    assert kpi("A", "week", "2025-06-02", "feedback.late_noise_share") == pytest.approx(2 / 3)
    assert kpi("A", "week", "2025-06-09", "feedback.responses") == 1
    assert kpi("A", "week", "2025-06-09", "feedback.late_noise_share") == 1.0
    # June: F1–F5; dissatisfied 2 of 5; late noise asked of F1, F2, F3, F5: 3 yes of 4
    assert kpi("A", "month", "2025-06-01", "feedback.responses") == 5
    assert kpi("A", "month", "2025-06-01", "feedback.dissatisfied_share") == pytest.approx(2 / 5)
    assert kpi("A", "month", "2025-06-01", "feedback.late_noise_share") == pytest.approx(3 / 4)
    # a week with no round: 0 responses, shares with an empty denominator are NULL
    assert kpi("A", "week", "2025-06-16", "feedback.responses") == 0
    assert kpi("A", "week", "2025-06-16", "feedback.dissatisfied_share") is None
    # surveyed_on spans the period range: July exists because of F6 alone
    assert kpi("A", "month", "2025-07-01", "feedback.responses") == 1


def test_feedback_comment_phone_is_masked(store):
    con = duckdb.connect(str(store), read_only=True)
    comments = [r[0] for r in con.execute("SELECT comment FROM raw_feedback WHERE comment IS NOT NULL").fetchall()]
    con.close()
    assert "联系电话138****8000" in comments and not any("13800138000" in c for c in comments)


def test_money_sums_exactly(store):
    # 0.1 + 0.2 in binary floating point is 0.30000000000000004; DECIMAL gives 0.3
    kpi = Kpi(store)
    assert kpi("A", "week", "2025-06-02", "orders.gmv_yuan") == 0.3
    con = duckdb.connect(str(store), read_only=True)
    kinds = con.execute("SELECT typeof(amount_yuan) FROM stg_orders LIMIT 1").fetchone()[0]
    con.close()
    assert kinds.startswith("DECIMAL")


def test_definitions_use_the_communitys_rules():
    assert "{" not in metric("parcels.overdue").definition("zh")
    assert "72 小时" in metric("parcels.overdue").definition("zh")
    text = metric("complaints.noise_outside_hours").definition("zh", {"window_start": "08:30", "window_end": "21:00"})
    assert "早于 08:30 或在 21:00 及以后" in text
    assert "(48 h)" in metric("parcels.overdue").definition("en", {"overdue_hours": 48})


def test_no_placeholder_is_left_and_every_model_runs_after_what_it_reads():
    models = load_models()
    position = {m.name: i for i, m in enumerate(models)}
    for m in models:
        assert not PLACEHOLDER.search(m.sql), m.name
        for ref in table_references(m.sql) & set(position):
            assert ref == m.name or position[ref] < position[m.name], (m.name, ref)
    # kpi after every mart its metrics come from (models reading kpi, such as the street measures, after it)
    assert all(position[mart] < position["kpi"] for mart in marts())


def test_table_references_come_from_the_parse_tree_not_words():
    # a name in a comment or a string is not a reference; a subquery's table is
    sql = "-- stg_orders\nSELECT 'period_spine' AS x FROM a WHERE EXISTS (SELECT 1 FROM b)"
    assert table_references(sql) == {"a", "b"}


def test_circular_references_are_refused(tmp_path):
    for name, body in {"intermediate/x.sql": "SELECT * FROM y", "marts/y.sql": "SELECT * FROM x"}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(f"-- kind: full\n-- grain: a\n-- published: yes\n{body}\n")
    with pytest.raises(ValueError, match="circular"):
        load_models(tmp_path)


def test_a_build_failing_an_audit_is_not_published(tmp_path, monkeypatch):
    db = build_store(tmp_path, {k: FEEDS_TEXT[k] for k in ("communities", "orders")})
    snapshot = current_snapshot(db)
    checks = tmp_path / "sql"
    (checks / "checks").mkdir(parents=True)
    (checks / "checks" / "always_bad.sql").write_text("-- grain: one row per kpi row (a deliberately failing audit)\n"
                                                        "SELECT * FROM kpi WHERE metric = 'orders.count'\n")
    real = build_mod.load_checks
    monkeypatch.setattr(build_mod, "load_checks", lambda: real(checks))
    with pytest.raises(AuditFailed, match="always_bad.sql"):
        build(db, full=True)
    assert current_snapshot(db) == snapshot          # the dashboard keeps the last good build
    monkeypatch.setattr(build_mod, "load_checks", real)
    build(db, full=True)
    assert current_snapshot(db) != snapshot


def test_the_shipped_audits_find_nothing_on_a_good_build(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        for check in build_mod.load_checks():
            assert con.execute(check.sql).fetchall() == [], check.name
    finally:
        con.close()
    # kpi's key held once is the audit generated from its grain (tests/pipelines/test_models.py)
    assert {c.name for c in build_mod.load_checks()} >= {"kpi_complete", "kpi_counts_non_negative",
                                                        "kpi_shares_within_one"}
