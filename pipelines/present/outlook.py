"""未来两周 in words: the alert before a point's capacity is breached, and the backtest said beside each forecast.
Pure functions over the frames of pipelines/forecast/read.py; the pages, the weekly brief and tests share them."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.present import format as fmt
from pipelines.present.alerts import PEAK, Alert, _joined
from pipelines.present.i18n import t
from pipelines.records.alert_rules import DEFAULTS
from pipelines.rule_defaults import FULL_CAPACITY

BASELINES = ("last_week", "mean_4wk")


def _day(x) -> dt.date:
    return pd.Timestamp(x).date()


def day_range(days: list[dt.date], lang: str = "zh") -> str:
    """11月11日, 11月11日–13日, 11月30日–12月2日 (English: 11 Nov, 11–13 Nov, 30 Nov – 2 Dec)."""
    first, last = min(days), max(days)
    if first == last:
        return fmt.day_short(first, lang)
    if lang == "zh":
        return f"{first.month}月{first.day}日–{last.day}日" if first.month == last.month else \
            f"{fmt.day_short(first, lang)}–{fmt.day_short(last, lang)}"
    if first.month == last.month:
        return f"{first.day}–{fmt.day_short(last, lang)}"
    return f"{fmt.day_short(first, lang)} – {fmt.day_short(last, lang)}"


def days_words(days: list[dt.date], lang: str = "zh") -> str:
    """Days as their runs: 11月4日、11月11日–13日 (a range only where the days follow one another)."""
    return _joined([day_range(run, lang) for run in _runs(days)], lang)


def _runs(days: list[dt.date]) -> list[list[dt.date]]:
    out: list[list[dt.date]] = []
    for d in sorted(days):
        if out and (d - out[-1][-1]).days == 1:
            out[-1].append(d)
        else:
            out.append([d])
    return out


def _near_threshold(alert_rules) -> float:
    rules = [r for r in (DEFAULTS if alert_rules is None else alert_rules) if r.metric == PEAK and r.enabled]
    return min((r.threshold for r in rules), default=0.9)


def breach_alerts(outlook: pd.DataFrame, lang: str = "zh", alert_rules=None) -> list[Alert]:
    """One alert per point and run of days whose expected peak is over capacity: "预计11月11日–13日东门驿站超出
    容量约 40%…", with the advice of today's capacity alerts (the other points expected to have room on those
    days, else the general advice). `outlook`: point_outlook's frame."""
    if outlook is None or outlook.empty:
        return []
    df = outlook.assign(day=[_day(d) for d in outlook["day"]])
    roomy_below = _near_threshold(alert_rules)
    names = dict(zip(df["point_id"], df["name"]))
    out = []
    for pid, g in df.groupby("point_id", sort=True):
        over = g[g["expected_ratio"] > FULL_CAPACITY]
        for run in _runs(list(over["day"])):
            days = g[g["day"].isin(run)]
            peak = float(days["expected_ratio"].max())
            others = df[(df["point_id"] != pid) & df["day"].isin(run)].groupby("point_id").agg(
                ratio=("expected_ratio", "max"), capacity=("capacity", "first"))
            roomy = others[(others["ratio"] > 0) & (others["ratio"] < roomy_below)].sort_values("ratio")

            def advice(name=lambda text: text) -> str:
                if not roomy.empty:
                    return t("alert.advice.move", lang, points=_joined([t(
                        "alert.spare", lang, point=name(names[o]), ratio=fmt.value("rate", r.ratio, lang),
                        room=fmt.number(r.capacity * (1 - r.ratio), lang)) for o, r in roomy.head(2).iterrows()], lang))
                return t("alert.advice.all_full" if others.shape[0] else "alert.advice.general", lang)

            values = dict(days=day_range(run, lang), over=f"{round((peak - FULL_CAPACITY) * 100):d}%",
                          peak=fmt.number(float(days["expected_peak"].max()), lang),
                          capacity=fmt.number(float(days["capacity"].iloc[0]), lang))
            text = t("forecast.alert", lang, point=names[pid], advice=advice(), **values)
            markdown = t("forecast.alert", lang, point=fmt.plain(names[pid]), advice=advice(fmt.plain), **values)
            out.append(Alert("warning", text, PEAK, markdown, str(pid), None,
                             t("forecast.alert.short", lang, point=names[pid], days=values["days"]), (str(pid),)))
    return out


def risk_days(outlook: pd.DataFrame, chance: float = 0.5) -> pd.DataFrame:
    """The days at risk: expected over capacity, or at least an even chance of going over it."""
    if outlook is None or outlook.empty:
        return outlook
    return outlook[(outlook["expected_ratio"] > FULL_CAPACITY) | (outlook["chance_over"].fillna(0) >= chance)]


def _mae_words(metric: str, mae: float, lang: str) -> str:
    """"平均差 12 件" / "平均差容量的 9.9%": the whole phrase is the catalog's, so a number is spaced from the words
    before it and a word is not (the sentence read "平均差 容量的 9.9%" when only the amount was)."""
    if metric == "parcels.peak_occupancy_ratio":
        return t("forecast.mae.ratio", lang, mae=fmt.value("rate", mae, lang))
    if metric == "complaints.noise":
        return t("forecast.mae.complaints", lang, mae=fmt.number(mae, lang, 1))
    return t("forecast.mae.parcels", lang, mae=fmt.number(mae, lang))


def accuracy_words(row, lang: str = "zh") -> str:
    """The backtest beside a forecast: "过去 12 周，这个预测平均差 12 件，比“按上周同日”准 35%。", against the better
    baseline; a forecast served as that baseline says so. `row`: one row of read.accuracy (a mapping)."""
    weeks, metric = int(row["origins"]), row["metric"]
    best = min(BASELINES, key=lambda b: row[f"mae_{b}"])
    base, model = float(row[f"mae_{best}"]), float(row["mae_model"])
    if row["served"] != "model":
        served = row["served"]
        return t("forecast.served_baseline", lang, weeks=weeks, baseline=t(f"forecast.baseline.{served}", lang),
                 mae=_mae_words(metric, float(row[f"mae_{served}"]), lang),
                 model=_mae_words(metric, model, lang))
    better = f"{round((1 - model / base) * 100):d}%" if base > 0 else "—"
    return t("forecast.accuracy", lang, weeks=weeks, mae=_mae_words(metric, model, lang),
             baseline=t(f"forecast.baseline.{best}", lang), better=better)


def band_chart(outlook: pd.DataFrame, day_title: str, ratio_title: str, point_title: str, band_title: str,
               lang: str = "zh"):
    """Each point's expected peak occupancy per day (a line), its 80 % band (shaded) and capacity (the rule at
    100 %). Every layer names its own tooltip: left to itself the band showed its raw fields (low 0.15626264634)."""
    import altair as alt

    from pipelines.present.charts import FONT, LEGEND_PX, PALETTE, _x

    df = pd.DataFrame({"day": pd.to_datetime(outlook["day"]), "point": outlook["name"].astype(str),
                       "ratio": outlook["expected_ratio"], "low": outlook["lower_peak"] / outlook["capacity"],
                       "high": outlook["upper_peak"] / outlook["capacity"]})
    df["band"] = [f"{lo:.0%}–{hi:.0%}" if pd.notna(lo) and pd.notna(hi) else "—" for lo, hi in zip(df["low"], df["high"])]
    color = alt.Color("point:N", title=point_title, scale=alt.Scale(range=PALETTE))
    x, _ = _x("day", day_title, None, df)     # the days as every other chart writes them: 12/07, one tick a day
    day_tip = alt.Tooltip("day:T", title=day_title, format=fmt.chart_date(lang))   # 2026年12月7日, as the pages write a date
    band = alt.Chart(df).mark_area(opacity=0.18).encode(
        x=x, y=alt.Y("low:Q"), y2="high:Q", color=color,
        tooltip=[day_tip, alt.Tooltip("point:N", title=point_title), alt.Tooltip("band:N", title=band_title)])
    line = alt.Chart(df).mark_line(point=True).encode(
        x=x, y=alt.Y("ratio:Q", title=ratio_title, axis=alt.Axis(format=".0%"), scale=alt.Scale(domainMin=0)),
        color=color, tooltip=[day_tip,
                              alt.Tooltip("point:N", title=point_title),
                              alt.Tooltip("ratio:Q", title=ratio_title, format=".0%")])
    rule = alt.Chart(pd.DataFrame({"y": [FULL_CAPACITY]})).mark_rule(color="#b5485d", strokeDash=[4, 3]).encode(y="y:Q")
    return (alt.layer(band, line, rule).properties(height=240 + LEGEND_PX).configure(font=FONT)
            .configure_legend(orient="bottom", columns=2, labelLimit=160).configure_view(strokeWidth=0))


def outlook_table(outlook: pd.DataFrame, lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, raw): per point × day the expected peak against capacity, the band and the chance of going over."""
    cols = [t(f"outlook.col.{k}", lang) for k in ("day", "point", "expected_peak", "band", "capacity", "ratio",
                                                   "chance", "arrived")]
    raw = pd.DataFrame(dict(zip(cols, [[_day(d) for d in outlook["day"]], outlook["name"], outlook["expected_peak"],
                                       [f"{lo:.0f}–{hi:.0f}" if not fmt.is_missing(lo) else "—"
                                        for lo, hi in zip(outlook["lower_peak"], outlook["upper_peak"])],
                                       outlook["capacity"], outlook["expected_ratio"], outlook["chance_over"],
                                       outlook["arrived"]])))
    shown = raw.copy()
    shown[cols[0]] = [fmt.day_short(d, lang) for d in raw[cols[0]]]
    shown[cols[2]] = [fmt.number(x, lang) for x in raw[cols[2]]]
    shown[cols[4]] = [fmt.number(x, lang) for x in raw[cols[4]]]
    shown[cols[5]] = [fmt.value("rate", x, lang) for x in raw[cols[5]]]
    shown[cols[6]] = [fmt.value("rate", x, lang) if not fmt.is_missing(x) else "—" for x in raw[cols[6]]]
    shown[cols[7]] = [fmt.number(x, lang) if not fmt.is_missing(x) else "—" for x in raw[cols[7]]]
    return shown, raw


def noise_sentence(noise: pd.DataFrame, lang: str = "zh") -> str | None:
    """Livestream noise complaints expected, summed by week (the first 7 days ahead, then the next 7)."""
    if noise is None or noise.empty:
        return None
    v = list(noise["value"])
    return t("outlook.noise", lang, week1=fmt.number(sum(v[:7]), lang), week2=fmt.number(sum(v[7:14]), lang))
