"""数据导入: upload files, see what becomes of every column, import, undo; the history and the quarantine."""
import json

import pandas as pd
import streamlit as st

from dashboard import auth, imports
from dashboard import queries as q
from dashboard.parts import ui
from dashboard.sidebar import current, language
from pipelines.errors import UserError
from pipelines.feeds import FEEDS
from pipelines.ingest import browser_upload, profiles
from pipelines.present import format as fmt
from pipelines.present.i18n import label, metric_name, t

lang = language()
v = current()
db = q.db_path()
RESULTS = "import_results"
DONE = "import_done"              # digests of the uploads imported since the uploader was last cleared
UPLOADER = "import_upload_round"  # the uploader's key changes once every file in it is imported: it empties
AUTO, NONE = "\x00auto", "\x00none"


def tr(key: str, **values) -> str:
    return t(key, lang, **values)


def user() -> str | None:
    return auth.user_name()


def writable() -> tuple[str, ...] | None:
    """The communities this account may import into and undo (the access policy's "import"): None (all)
    for an admin or the open demo, a director's own community; the store holds every import and undo to it."""
    return auth.writable("import")


def field_name(kind: str, name: str) -> str:
    return f"{FEEDS[kind].column(name).label_zh}（{name}）" if lang == "zh" else name


def fate_text(kind: str, fate: str, detail: str) -> str:
    if fate == "field":
        join = "、" if lang == "zh" else ", "
        return tr("import.fate.field", field=join.join(field_name(kind, f) for f in detail.split(", ")))
    return tr(f"import.fate.{fate}", n=detail)


def choose_profile(key: str, kind: str, suggested) -> "profiles.Profile | None | str":
    """AUTO, an explicit profile, or NONE (the file as it is). Only the profiles this account's imports
    may apply are offered: the shipped ones, its community's, those of no community."""
    options = [AUTO, NONE, *(p.name for p in profiles.available(db, kind, writable()))]
    chosen = st.selectbox(tr("import.profile"), options, key=f"{key}_profile",
                          format_func=lambda o: {AUTO: tr("import.profile_auto"), NONE: tr("import.profile_none")}.get(o, o))
    if chosen == AUTO:
        return suggested if suggested is not None and suggested.kind == kind else AUTO
    return profiles.Profile(name="", kind=kind) if chosen == NONE else profiles.find(db, chosen, writable())


def preview(upload: browser_upload.Upload, kind: str, profile) -> browser_upload.Preview:
    """Read once per file, kind and mapping: every widget change reruns the page, and a big file takes seconds."""
    cache = st.session_state.setdefault("import_previews", {})
    key = (upload.digest, kind, profiles.dumps(profile) if isinstance(profile, profiles.Profile) else profile)
    if key not in cache:
        while len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[key] = browser_upload.preview(upload, kind, None if profile == AUTO else profile, db, writable())
    return cache[key]


def mapping_editor(key: str, kind: str, seen: browser_upload.Preview, base) -> "profiles.Profile | None":
    """Selectboxes per column, and a community for the whole file; None while nothing is changed."""
    start = seen.mapping()
    options = [browser_upload.KEEP, browser_upload.DROP, *FEEDS[kind].names]
    names = {browser_upload.KEEP: tr("import.choice.keep"), browser_upload.DROP: tr("import.choice.drop")}
    choices = {}
    with st.expander(tr("import.edit")):
        st.caption(tr("import.edit_help"))
        community = st.text_input(tr("import.community"), key=f"{key}_community")
        for i, header in enumerate(h for h in seen.headers if h.strip()):
            pick = st.selectbox(fmt.plain(header), options, key=f"{key}_map_{i}",
                                format_func=lambda o: names.get(o) or field_name(kind, o))
            if pick != browser_upload.KEEP:
                choices[header] = pick
    if not choices and not community.strip():
        return None
    return browser_upload.edited(base, kind, seen.headers, start, choices, community or None)


def show_preview(kind: str, seen: browser_upload.Preview) -> None:
    st.markdown(f"**{tr('import.h.mapping')}**")
    fates = pd.DataFrame([(h, fate_text(kind, f, d)) for h, f, d in seen.fates],
                         columns=[tr("import.col.header"), tr("import.col.fate")])
    st.dataframe(fates, hide_index=True, width="stretch")
    st.markdown(f"**{tr('import.h.preview', n=len(seen.rows))}**")
    rows = seen.rows.copy()
    for c in rows.columns:
        if c != "_row" and rows[c].isna().any():      # an empty cell shows empty, not "None"
            rows[c] = rows[c].astype(object).where(rows[c].notna(), "")
    shown = rows.rename(columns={"_row": t("col.row_number", lang), "_extra": tr("import.fate.extra"),
                                      **{c: field_name(kind, c) for c in FEEDS[kind].names}})
    st.dataframe(shown, hide_index=True, width="stretch")


def save_box(key: str, profile) -> None:
    name = st.text_input(tr("import.save_name"), key=f"{key}_save_name")
    if st.button(tr("import.save"), key=f"{key}_save"):
        if not name.strip():
            st.warning(tr("import.save_needs_name"))
            return
        try:
            browser_upload.save(db, profile, name, user=user(), communities=writable())
        except UserError as exc:
            st.error(fmt.plain(exc.message(lang)))
            return
        st.success(tr("import.saved", name=name.strip()))


def run(upload: browser_upload.Upload, kind: str, profile) -> None:
    bar = st.progress(0.0, text=tr("import.stage.read"))
    outcome = imports.run_import(db, upload, kind, None if profile == AUTO else profile, user(),
                                   progress=lambda f, stage: bar.progress(min(f, 1.0), text=tr(f"import.stage.{stage}")),
                                   allowed_communities=writable())
    st.session_state.setdefault(RESULTS, []).append(outcome)
    # the finished file's preview goes: the result shows at the top of the import area, where the eye is
    if outcome.report is not None:     # a refused file keeps its preview: its mapping may be what to fix
        st.session_state.setdefault(DONE, set()).add(upload.digest)
    st.session_state["import_toast"] = outcome
    st.session_state["import_scroll"] = True
    st.rerun()     # the sidebar and every query then read the new build


def one_file(upload: browser_upload.Upload) -> None:
    key = "imp_" + upload.digest[:12]
    st.subheader(tr("import.file_h", name=fmt.plain(upload.name)))
    if f"{key}_recognised" not in st.session_state:
        st.session_state[f"{key}_recognised"] = browser_upload.recognise(upload, db, writable())
    kind, suggested = st.session_state[f"{key}_recognised"]
    if kind is None:
        st.warning(tr("import.kind_unknown"))
    elif suggested is not None:
        st.caption(tr("import.recognised_profile", kind=label("kind", kind, lang), profile=fmt.plain(suggested.label or suggested.name)))
    else:
        st.caption(tr("import.recognised", kind=label("kind", kind, lang)))
    kinds = list(FEEDS)
    kind = st.selectbox(tr("import.kind"), kinds, index=kinds.index(kind) if kind else 0, key=f"{key}_kind",
                        format_func=lambda k: label("kind", k, lang))
    profile = choose_profile(key, kind, suggested)
    notice = st.empty()      # a refusal shows above the editor, and only while the edit has not cured it
    seen = preview(upload, kind, profile)
    if seen.refused is not None and not seen.headers:
        notice.error(fmt.plain(seen.refused.message(lang)))
        return
    found = seen.raw.profile if seen.raw is not None else None
    base = profiles.find(db, found, writable()) if profile == AUTO and found else (None if profile == AUTO else profile)
    changed = mapping_editor(key, kind, seen, base if base and base.name else None)
    if changed is not None:
        profile = changed
        seen = preview(upload, kind, changed)
    if seen.refused is not None:
        notice.error(fmt.plain(seen.refused.message(lang)))
        return
    show_preview(kind, seen)
    if changed is not None or (base is not None and base.name):
        save_box(key, changed or base)
    # the import applies exactly the profile named here, not a choice made again when it runs
    applied = changed or base or profiles.Profile(name="", kind=kind)
    st.caption(fmt.plain(browser_upload.describe(applied, lang)))
    if st.button(tr("import.go", name=fmt.plain(upload.name)), key=f"{key}_go", type="primary"):
        run(upload, kind, applied)


def changed_lines(changed) -> list[str]:
    """"2026年第1周 · 12月29日–1月4日 超时包裹 35 → 709": every number of a complete period the import moved,
    as the pages show it (a change too small to show is no change to the reader)."""
    several = len({c.community_id for c in changed}) > 1
    lines = []
    for c in changed:
        was, now = fmt.value(c.metric, c.before, lang), fmt.value(c.metric, c.after, lang)
        if was == now:
            continue
        where = f"{fmt.plain(c.community_id)} " if several else ""
        lines.append(f"{where}{fmt.period(c.grain, c.period_start, lang)} {metric_name(c.metric, lang)} {was} → {now}")
    return lines


def show_changed(outcome) -> None:
    lines = changed_lines(outcome.changed)
    if not lines:
        st.caption(tr("import.changed_none"))
        return
    st.warning(tr("import.changed", n=len(lines)) + "\n\n" + "\n".join(f"- {line}" for line in lines[:12]))
    if len(lines) > 12:
        with st.expander(tr("import.changed_more", n=len(lines) - 12)):
            st.markdown("\n".join(f"- {line}" for line in lines[12:]))


# Brings the results heading into view after an import: the button was far down the page, under the
# file's preview, which the import removes. Fixed text, no input in it.
SCROLL_TO_RESULTS = """<script>
(function find(tries) {
  const el = document.getElementById("import-results");
  if (el) { el.scrollIntoView({block: "start", behavior: "smooth"}); return; }
  if (tries > 0) setTimeout(() => find(tries - 1), 100);
})(30);
</script>"""


def results() -> None:
    done = st.session_state.get(RESULTS) or []
    if not done:
        return
    st.subheader(tr("import.h.results"), anchor="import-results")
    if st.session_state.get("import_scroll"):     # dropped once the page has drawn without a rerun after it
        st.html(SCROLL_TO_RESULTS, unsafe_allow_javascript=True)
    waiting = q.quarantine(v.snap, v.scope) if v is not None else pd.DataFrame()
    for i, outcome in enumerate(done):
        if outcome.refused is not None:
            st.error(fmt.plain(outcome.refused.message(lang)))
            continue
        report = outcome.report
        st.success(fmt.plain(report.summary(lang)))
        show_changed(outcome)
        for line in report.column_lines(lang):
            st.caption(fmt.plain(line))
        if report.quarantined:
            st.warning(tr("import.quarantined_n", n=len(report.quarantined)))
            problems = pd.DataFrame({t("col.file_name", lang): report.file_name,
                                     t("col.row_number", lang): [r["row"] for r in report.quarantined],
                                     tr("import.col.problem"): [r[f"reason_{lang}"] for r in report.quarantined]})
            st.dataframe(problems, hide_index=True, width="stretch")
            mine = waiting[waiting["import_id"] == report.import_id] if not waiting.empty else waiting
            if not mine.empty:
                fixable = pd.DataFrame([json.loads(r) for r in mine["raw"]])
                ui.download_csv(tr("import.bad_download", name=fmt.plain(report.file_name), n=len(fixable)), fixable,
                                f"fix_{report.import_id}.csv", key=f"fix_result_{i}")
    st.info(tr("import.built"))


def undo_box(history: pd.DataFrame) -> None:
    applied = history[history["status"] == "applied"]
    st.markdown(f"**{tr('import.h.undo')}**")
    if applied.empty:
        st.caption(tr("import.nothing_to_undo"))
        return
    names = dict(zip(applied["import_id"], applied["file_name"]))
    pick = st.selectbox(tr("import.undo_pick"), list(names), key="undo_pick",
                        format_func=lambda i: f"{i} · {names[i]}")
    if st.button(tr("import.undo_go"), key="undo_go"):
        st.session_state["undo_asked"] = int(pick)     # one click only asks; the import stays until confirmed
    if st.session_state.get("undo_asked") != int(pick):
        return
    row = applied[applied["import_id"] == pick].iloc[0]
    st.warning(tr("import.undo_confirm", id=int(pick), name=fmt.plain(row["file_name"]),
                  kind=label("kind", row["kind"], lang), when=fmt.datetime(row["imported_at"], lang),
                  new=int(row["rows_new"]), replaced=int(row["rows_replaced"])))
    yes, no = st.columns(2)
    if no.button(tr("import.undo_cancel"), key="undo_cancel"):
        st.session_state.pop("undo_asked", None)
        st.rerun()
    if yes.button(tr("import.undo_yes"), key="undo_yes", type="primary"):
        st.session_state.pop("undo_asked", None)
        try:
            name = imports.undo_import(db, int(pick), user(), allowed_communities=writable())
        except UserError as exc:
            st.error(tr("import.undo_failed", message=fmt.plain(exc.message(lang))))
            return
        st.session_state["import_undone"] = (int(pick), name)
        st.rerun()


st.title(t("page.import", lang))
if not auth.can("import"):
    # the navigation leaves the page out for these roles; this holds if it is reached another way
    st.warning(tr("import.not_allowed"))
    st.stop()
st.markdown(t("import.how", lang))
if writable() is not None:
    st.caption(tr("import.scope_note", community=fmt.plain("、".join(writable()) if lang == "zh" else ", ".join(writable()))))
for problem in profiles.skipped(db):
    st.warning(fmt.plain(problem.message(lang)))
results()
uploaded = st.file_uploader(tr("import.upload"), type=["csv", "xlsx"], accept_multiple_files=True,
                            help=tr("import.upload_help"), key=f"import_upload_{st.session_state.get(UPLOADER, 0)}")
files = [browser_upload.Upload(f.name, f.getvalue()) for f in uploaded or []]
pending = [u for u in files if u.digest not in st.session_state.get(DONE, set())]
if files and not pending:      # every file in the uploader is imported: a fresh, empty uploader
    st.session_state[UPLOADER] = st.session_state.get(UPLOADER, 0) + 1
    st.session_state[DONE] = set()
    st.rerun()
st.session_state.pop("import_scroll", None)
if (toast := st.session_state.pop("import_toast", None)) is not None:     # seen wherever the page is scrolled to
    st.toast(fmt.plain(toast.report.summary(lang) if toast.report else toast.refused.message(lang)),
             icon=":material/task_alt:" if toast.report else ":material/error:")
for upload in pending:
    one_file(upload)
if "import_undone" in st.session_state:
    undone_id, undone_name = st.session_state.pop("import_undone")
    st.success(tr("import.undone", id=undone_id, name=fmt.plain(undone_name)))
if v is None:
    st.info(t("import.none", lang))
    st.stop()
st.subheader(v.tr("import.h.history"))
history = q.imports(v.snap, v.scope)
shown = history.assign(status=[v.tr(f"status.{s}") for s in history["status"]],
                       kind=[label("kind", k, lang) for k in history["kind"]],
                       imported_at=[fmt.datetime(x, lang) for x in history["imported_at"]])
headers = {c: v.tr(f"col.{c}") for c in history.columns}
ui.table(v, shown.rename(columns=headers), "imports", download=history.rename(columns=headers))
undo_box(history)

st.subheader(v.tr("import.h.quarantine"))
bad = q.quarantine(v.snap, v.scope)
if bad.empty:
    st.success(v.tr("import.quarantine_none"))
    st.stop()
bad["reason"] = bad["reason_zh" if lang == "zh" else "reason_en"]
shown = bad[["import_id", "kind", "file_name", "row_number", "reason", "raw"]].assign(
    kind=[label("kind", k, lang) for k in bad["kind"]])
ui.table(v, shown.rename(columns={c: v.tr(f"col.{c}") for c in shown.columns}), "quarantine")
st.caption(v.tr("import.fix_hint"))
for kind, rows in bad.groupby("kind"):
    # the rows as given, under canonical headers, so the corrected file imports as it is
    fixable = pd.DataFrame([json.loads(r) for r in rows["raw"]])
    ui.download_csv(v.tr("import.fix_download", kind=label("kind", kind, lang), n=len(fixable)), fixable,
                    f"fix_{kind}.csv", key=f"fix_{kind}")
