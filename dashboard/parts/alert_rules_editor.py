"""The alert-rule editor on the check pages: change a threshold, a level or the switch of a rule, or add
a rule on any metric (SPEC §8). Written to the store at once, with history and audit (pipelines/records/alert_rules.py).
Who may not change them (a member, an official: pipelines/records/access.py) gets the rules as a plain table and
no form; the write asks the policy again, so a form would not help anyway."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard import queries as q
from dashboard.sidebar import View
from pipelines.errors import UserError
from pipelines.present.i18n import METRIC_KIND, METRICS, label, metric_name
from pipelines.records.alert_rules import CONDITIONS, DEFAULTS, LEVELS, describe


def _scale(metric: str) -> float:
    """Shares are edited as percentages (90, not 0.9): how the pages show them."""
    return 100.0 if METRIC_KIND.get(metric, ("count",))[0] == "rate" else 1.0


def editor(v: View) -> None:
    found = q.alert_rules(v.snap, v.scope, v.community)
    with st.expander(v.tr("rules.title"), icon=":material/tune:"):
        if found is None:
            st.info(v.tr("alerts.rules_busy"))
            found = list(DEFAULTS)
        allowed, user = auth.can("alert_rules"), auth.user_name()   # the write asks the policy again
        st.caption(v.tr("rules.intro"))
        table = pd.DataFrame({
            "rule": [r.rule_id for r in found],
            v.tr("rules.col.metric"): [metric_name(r.metric, v.lang) for r in found],
            v.tr("rules.col.condition"): [v.tr(f"rules.when.{r.condition}") for r in found],
            v.tr("rules.col.threshold"): [r.threshold * _scale(r.metric) for r in found],
            v.tr("rules.col.unit"): ["%" if _scale(r.metric) == 100 else v.tr(f"unit.{METRIC_KIND[r.metric][0]}")
                                     for r in found],
            v.tr("rules.col.level"): [label("alert_rules.level", r.level, v.lang) for r in found],
            v.tr("rules.col.enabled"): [r.enabled for r in found],
            v.tr("rules.col.source"): [v.tr("rules.default" if r.is_default else "rules.own") for r in found],
        })
        rule_column = {"rule": st.column_config.TextColumn(v.tr("rules.col.rule"))}
        if not allowed:
            st.dataframe(table, hide_index=True, width="stretch", column_config=rule_column)
            st.caption(v.tr("rules.read_only"))
            return
        levels = {label("alert_rules.level", lv, v.lang): lv for lv in LEVELS}
        edited = st.data_editor(
            table, hide_index=True, width="stretch", key=f"rules_{v.community}", disabled=[
                "rule", v.tr("rules.col.metric"), v.tr("rules.col.condition"), v.tr("rules.col.unit"),
                v.tr("rules.col.source")],
            column_config={**rule_column,
                           v.tr("rules.col.level"): st.column_config.SelectboxColumn(options=list(levels))})
        changes = []
        for r, (_, row) in zip(found, edited.iterrows()):
            new = {"threshold": float(row[v.tr("rules.col.threshold")]) / _scale(r.metric),
                   "level": levels.get(row[v.tr("rules.col.level")], r.level),
                   "enabled": bool(row[v.tr("rules.col.enabled")])}
            if (new["threshold"], new["level"], new["enabled"]) != (r.threshold, r.level, r.enabled):
                changes.append((r, new))
        if changes and st.button(v.tr("rules.save", n=len(changes)), key=f"rules_save_{v.community}"):
            try:
                for r, new in changes:
                    q.save_alert_rule(v.community, r.rule_id, user=user, **new)
            except UserError as exc:   # a refusal (the policy, a value out of range): said where the user is
                st.error(exc.message(v.lang))
                return
            st.success(v.tr("rules.saved", n=len(changes)))
            st.rerun()
        _new_rule_form(v, user)


def _new_rule_form(v: View, user: str | None) -> None:
    with st.form(f"rules_new_{v.community}", clear_on_submit=True, border=False):
        st.markdown(f"**{v.tr('rules.new')}**")
        a, b, c, d = st.columns([3, 2, 2, 2])
        metric = a.selectbox(v.tr("rules.col.metric"), METRICS, format_func=lambda m: metric_name(m, v.lang),
                             placeholder=v.tr("placeholder"))
        condition = b.selectbox(v.tr("rules.col.condition"), CONDITIONS, format_func=lambda c_: v.tr(f"rules.when.{c_}"),
                                placeholder=v.tr("placeholder"))
        threshold = c.number_input(v.tr("rules.col.threshold_hint"), value=0.0, step=1.0)
        level = d.selectbox(v.tr("rules.col.level"), LEVELS,
                            format_func=lambda lv: label("alert_rules.level", lv, v.lang),
                            placeholder=v.tr("placeholder"))
        if st.form_submit_button(v.tr("rules.add")):
            rule_id = f"{metric}.{condition}"
            try:
                q.save_alert_rule(v.community, rule_id, user=user, metric=metric, condition=condition,
                                  threshold=threshold / _scale(metric), level=level)
            except UserError as exc:
                st.error(exc.message(v.lang))
                return
            st.success(v.tr("rules.added", rule=rule_id))
            st.rerun()


__all__ = ["describe", "editor"]
