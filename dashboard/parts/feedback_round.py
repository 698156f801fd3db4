"""The monthly noise-feedback round on 每月检查 (SPEC §3 `feedback`, §5): the month's three numbers against
last month, each building's feedback beside its noise complaints, and a form for entering a round by hand.

A round entered here is imported like any file (pipelines.ingest.store.import_file through dashboard/imports.py run_import),
so it is masked, validated, listed in the import history and can be undone there like any import.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import streamlit as st

from dashboard import auth, imports
from dashboard import queries as q
from dashboard.parts import actions_panel, ui
from dashboard.sidebar import View
from pipelines.feeds import BOOL_WORDS, FEEDS
from pipelines.ingest import browser_upload
from pipelines.ingest.profiles import Profile
from pipelines.periods import period_last_day
from pipelines.present import format as fmt
from pipelines.present.check_sheet import Section
from pipelines.present.i18n import label, t

METRICS = ["feedback.responses", "feedback.dissatisfied_share", "feedback.late_noise_share"]
RATINGS = ("satisfied", "neutral", "dissatisfied")
NOISE = ("yes", "no", "unasked")
# what the feed's reader understands, whatever language the page is in: the feed registry's own words
RATING_CELL = {r: label("rating", r, "zh") for r in RATINGS}
NOISE_CELL = {"yes": BOOL_WORDS[True][0], "no": BOOL_WORDS[False][0], "unasked": ""}
# the feed's own Chinese headers, in its field order (a round is imported like any file of the feed)
HEADERS = tuple(c.aliases[0] for c in FEEDS["feedback"].columns)
ROUND_DAY = 25   # the group visits households around the 25th


def render(v: View, now: dict, before: dict, series: pd.DataFrame) -> list[Section]:
    """The feedback section; returns the per-building table for the printable sheet."""
    st.subheader(v.tr("feedback.h"))
    ui.tiles(v, METRICS, now, before, series, columns=3)
    shown, raw = building_table(v)
    section = Section(v.tr("feedback.h.buildings"), shown, set(shown.columns[1:]), v.tr("feedback.none"))
    st.subheader(section.title)
    if shown.empty:
        st.info(section.empty_note)
    else:
        ui.table(v, shown, "check_feedback_buildings", download=raw, full=True)
    entry_form(v)
    return [section]


def building_table(v: View) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, as numbers): responses, the two shares and the noise complaints of each building."""
    found = q.feedback_buildings(v.snap, v.scope, v.community, v.grain, v.period)
    heads = [v.tr(k) for k in ("col.building_name", "feedback.col.responses", "feedback.col.dissatisfied_share",
                               "feedback.col.late_noise_share", "feedback.col.noise_complaints")]
    keys = ["name", "responses", "dissatisfied_share", "late_noise_share", "noise_complaints"]
    raw = pd.DataFrame({h: pd.array(found[k], dtype="Float64" if k.endswith("share") else "Int64" if k != "name" else None)
                        for h, k in zip(heads, keys)})
    shown = pd.DataFrame({
        heads[0]: found["name"],
        heads[1]: [fmt.number(x, v.lang) for x in found["responses"]],
        heads[2]: [fmt.value("rate", x, v.lang) for x in found["dissatisfied_share"]],
        heads[3]: [fmt.value("rate", x, v.lang) for x in found["late_noise_share"]],
        heads[4]: [fmt.number(x, v.lang) for x in found["noise_complaints"]],
    })
    return shown, raw


def default_day(period: dt.date, today: dt.date) -> dt.date:
    """Today while the month is running, else the round's usual day."""
    if (today.year, today.month) == (period.year, period.month):
        return today
    return period.replace(day=ROUND_DAY)


def building_choices(buildings: pd.DataFrame) -> dict[str, str]:
    """label -> building_id; a name two buildings share carries its id so the label names one."""
    names = buildings["name"].tolist()
    return {(n if names.count(n) == 1 else f"{n}（{b}）"): b for b, n in zip(buildings["building_id"], names)}


def _blank(x) -> bool:
    return fmt.is_missing(x) or (isinstance(x, str) and not x.strip())


class EntryError(ValueError):
    """A row of the form that cannot be imported; the text says which row and how to fix it."""


def round_rows(v: View, edited: pd.DataFrame, choices: dict[str, str]) -> list[dict]:
    """The form's rows as feed fields (rating and late_noise as codes); blank rows are left out."""
    cols = [v.tr(f"feedback.form.{k}") for k in ("building", "rating", "noise", "comment")]
    ratings = {label("rating", r, v.lang): r for r in RATINGS}
    noises = {v.tr(f"feedback.noise.{n}"): n for n in NOISE}
    out = []
    for n, row in enumerate(edited.to_dict("records"), start=1):
        building, rating, noise, comment = (row.get(c) for c in cols)
        if all(_blank(x) for x in (building, rating, noise, comment)):
            continue
        if _blank(rating) or rating not in ratings:
            raise EntryError(v.tr("feedback.err.rating", n=n))
        if not _blank(building) and building not in choices:
            raise EntryError(v.tr("feedback.err.building", n=n, building=building))
        out.append({"building_id": None if _blank(building) else choices[building], "rating": ratings[rating],
                    "late_noise": "unasked" if _blank(noise) else noises.get(noise, "unasked"),
                    "comment": "" if _blank(comment) else str(comment).strip()})
    if not out:
        raise EntryError(v.tr("feedback.err.empty"))
    return out


def new_ids(community: str, day: dt.date, count: int, taken: set[str]) -> list[str]:
    """`{community}-H{yyyymmdd}-{n}`: H marks a hand-entered round; numbers already stored are skipped."""
    prefix = f"{community}-H{day:%Y%m%d}-"
    out, n = [], 0
    while len(out) < count:
        n += 1
        if prefix + str(n) not in taken:
            out.append(prefix + str(n))
    return out


def round_csv(community: str, day: dt.date, rows: list[dict], ids: list[str]) -> bytes:
    """The round as the feed's own file: its Chinese headers, the ratings as the reader spells them."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(HEADERS)
    for rid, r in zip(ids, rows):
        out.writerow([rid, community, day.isoformat(), r["building_id"] or "", RATING_CELL[r["rating"]],
                      NOISE_CELL[r["late_noise"]], r["comment"]])
    return buf.getvalue().encode("utf-8")


def _editor_frame(v: View) -> pd.DataFrame:
    cols = [v.tr(f"feedback.form.{k}") for k in ("building", "rating", "noise", "comment")]
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


def entry_form(v: View) -> None:
    allowed, user = actions_panel.may_write("feedback")
    note = st.session_state.pop("feedback_note", None)
    if note:
        st.success(note)
    if not allowed:
        st.caption(v.tr("feedback.read_only"))
        return
    choices = building_choices(q.community_buildings(v.snap, v.scope, v.community))
    last = period_last_day(v.grain, v.period)
    editor_key = f"feedback_rows_{v.community}_{v.period.isoformat()}"
    with st.form(f"feedback_form_{v.community}", border=True):
        st.markdown(f"**{v.tr('feedback.form.title', month=fmt.period('month', v.period, v.lang))}**")
        st.caption(v.tr("feedback.form.how"))
        day = st.date_input(v.tr("feedback.form.date"), value=default_day(v.period, dt.date.today()),
                            min_value=v.period, max_value=last, format="YYYY/MM/DD", help=v.tr("date.help"),
                            key=f"feedback_day_{v.community}_{v.period.isoformat()}")
        b, r, n, c = (v.tr(f"feedback.form.{k}") for k in ("building", "rating", "noise", "comment"))
        edited = st.data_editor(
            _editor_frame(v), num_rows="dynamic", hide_index=True, width="stretch", key=editor_key,
            column_config={
                b: st.column_config.SelectboxColumn(b, options=list(choices)),
                r: st.column_config.SelectboxColumn(r, options=[label("rating", x, v.lang) for x in RATINGS]),
                n: st.column_config.SelectboxColumn(n, options=[v.tr(f"feedback.noise.{x}") for x in NOISE]),
                c: st.column_config.TextColumn(c, max_chars=500)})
        if not choices:
            st.caption(v.tr("feedback.form.no_buildings"))
        submitted = st.form_submit_button(v.tr("feedback.form.submit"))
    if submitted:
        submit(v, day, edited, choices, user, editor_key)


def submit(v: View, day: dt.date, edited: pd.DataFrame, choices: dict[str, str], user: str | None,
           editor_key: str) -> None:
    if not (v.period <= day < v.period_end):
        st.error(v.tr("feedback.err.day", month=fmt.period("month", v.period, v.lang)))
        return
    try:
        rows = round_rows(v, edited, choices)
    except EntryError as exc:
        st.error(fmt.plain(str(exc)))
        return
    taken = q.taken_response_ids(v.snap, v.scope, v.community, f"{v.community}-H{day:%Y%m%d}-")
    if taken is None:
        st.error(v.tr("feedback.err.busy"))
        return
    ids = new_ids(v.community, day, len(rows), taken)
    # the import history is shared by the whole group: its name stays in Chinese whatever the page's language
    name = t("feedback.import_name", "zh", month=fmt.period("month", v.period, "zh"))
    # in memory until now; run_import writes it to a private folder (0700, file 0600) and deletes it at once
    with st.spinner(v.tr("feedback.importing")):
        outcome = imports.run_import(q.db_path(), browser_upload.Upload(name, round_csv(v.community, day, rows, ids)),
                                       "feedback", Profile(name="", kind="feedback"), user,
                                       allowed_communities=auth.writable("feedback"))
    if outcome.refused is not None:
        st.error(v.tr("feedback.err.refused", message=fmt.plain(outcome.refused.message(v.lang))))
        return
    report = outcome.report
    text = v.tr("feedback.saved", n=report.rows_new + report.rows_replaced, id=report.import_id,
                date=fmt.date(day, v.lang))
    if report.quarantined:
        text += v.tr("feedback.saved_quarantined", n=len(report.quarantined))
    st.session_state["feedback_note"] = text
    st.session_state.pop(editor_key, None)   # the next round starts from an empty table
    st.rerun()
