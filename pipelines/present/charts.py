"""Pure functions: DataFrame in, Altair chart or pydeck deck out. Labels come in from the caller."""
from __future__ import annotations

import math

import altair as alt
import pandas as pd
import pydeck as pdk

from pipelines.present import format as fmt
from pipelines.rule_defaults import FULL_CAPACITY  # above it a point is over capacity: red on the map

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ["#2f6f9f", "#e07b39", "#4c9a6a", "#b5485d", "#8a6fb0", "#7f7f7f"]


# Streamlit fits a chart into its height *with* its axes and legend, so a chart with a legend below
# needs room for it or its plot shrinks to a strip (the heatmap was 75 px high in 240).
LEGEND_PX = 70


def _style(chart: alt.Chart, height: int = 260) -> alt.Chart:
    # Legend below the plot, two entries a row: at 390 px a single row ran off the right edge.
    return (chart.properties(height=height)
            .configure(font=FONT)
            .configure_axis(labelFont=FONT, titleFont=FONT, labelFontSize=12, titleFontSize=12)
            .configure_legend(labelFont=FONT, titleFont=FONT, orient="bottom", columns=2, labelLimit=160,
                              symbolLimit=0)
            .configure_view(strokeWidth=0))


def _safe(df: pd.DataFrame, **names: str) -> tuple[pd.DataFrame, dict]:
    """The frame with the named columns under plain field names: Vega-Lite reads a dot in a field name
    ("complaints.open_at_end") as a nested field, and the chart then draws nothing on a "0.000000" axis."""
    fields = {role: f"f_{role}" for role in names}
    return df.rename(columns={col: fields[role] for role, col in names.items()}), fields


def _x(x: str, title: str, order: str | None, df: pd.DataFrame | None = None, lang: str = "zh"):
    """Periods as ordered labels ("6月2日", "2025年6月") when `order` names their start column, else dates.

    Days of a week or a month get one tick a day: left to itself, Vega puts a tick every 12 hours on a week
    and writes each date twice (11/30, 11/30, 12/01, …). A date's tooltip is written as the pages write a
    date (2026年12月7日, 7 Dec 2026): left to itself, Vega-Lite wrote it in English (Dec 07, 2026)."""
    if order:
        return (alt.X(f"{x}:O", title=title, sort=alt.EncodingSortField(field=order, op="min"),
                      axis=alt.Axis(labelAngle=0, labelOverlap="greedy")),
                alt.Tooltip(f"{x}:O", title=title))
    days = pd.to_datetime(df[x], errors="coerce").dropna() if df is not None and x in df else pd.Series(dtype=object)
    short = not days.empty and (days.max() - days.min()) <= pd.Timedelta(days=31)
    axis = alt.Axis(format="%m/%d", tickCount={"interval": "day", "step": 1}) if short else alt.Axis(format="%m/%d")
    return alt.X(f"{x}:T", title=title, axis=axis), alt.Tooltip(f"{x}:T", title=title, format=fmt.chart_date(lang))


def _step(df: pd.DataFrame, y: str):
    """Whole numbers (people, parcels) get whole ticks: no "0.5 persons" on an axis."""
    values = pd.to_numeric(df[y], errors="coerce").dropna() if y in df else pd.Series(dtype=float)
    return 1 if not values.empty and (values == values.round()).all() else alt.Undefined


def _count_axis(df: pd.DataFrame, y: str, **extra) -> alt.Axis:
    """Whole numbers get whole ticks written as whole numbers: an all-zero count otherwise reads "0.000000"."""
    whole = _step(df, y) == 1
    return alt.Axis(tickMinStep=1 if whole else alt.Undefined, format=",d" if whole else alt.Undefined, **extra)


def stacked_bars(df: pd.DataFrame, x: str, y: str, color: str, x_title: str, y_title: str, color_title: str,
                 order: str | None = None, lang: str = "zh") -> alt.Chart:
    x_enc, x_tip = _x(x, x_title, order, df, lang)
    chart = alt.Chart(df).mark_bar().encode(
        x=x_enc, y=alt.Y(f"{y}:Q", title=y_title, stack=True, axis=_count_axis(df, y)),
        color=alt.Color(f"{color}:N", title=color_title, scale=alt.Scale(range=PALETTE)),
        tooltip=[x_tip, alt.Tooltip(f"{color}:N", title=color_title), alt.Tooltip(f"{y}:Q", title=y_title, format=",.0f")])
    return _style(chart, 240 + LEGEND_PX)


def lines(df: pd.DataFrame, x: str, y: str, color: str, x_title: str, y_title: str, color_title: str,
          y_format: str = ",.0f", order: str | None = None, lang: str = "zh") -> alt.Chart:
    x_enc, x_tip = _x(x, x_title, order, df, lang)
    # Straight segments (no smoothing that could swing past a point) on a scale that starts at 0:
    # every kpi is a count, a share or a duration, so a line never shows below zero.
    chart = alt.Chart(df).mark_line(point=True, interpolate="linear").encode(
        x=x_enc,
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format, tickMinStep=_step(df, y)),
                scale=alt.Scale(domainMin=0, clamp=True)),
        color=alt.Color(f"{color}:N", title=color_title, scale=alt.Scale(range=PALETTE)),
        tooltip=[x_tip, alt.Tooltip(f"{color}:N", title=color_title), alt.Tooltip(f"{y}:Q", title=y_title, format=y_format)])
    return _style(chart, 240 + LEGEND_PX)


def bars(df: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, sort: list | None = None,
         horizontal: bool = False, color: str = PALETTE[0]) -> alt.Chart:
    """Bars by category. `horizontal` (a row per category) keeps long labels ("12–24小时", a point's
    name) readable at 390 px, where seven upright labels ran into one another; `sort` is the order of
    the categories, else the longest bar first."""
    df, f = _safe(df, x=x, y=y)
    x, y = f["x"], f["y"]
    axis = _count_axis(df, y)
    if horizontal:
        cat = alt.Y(f"{x}:N", title=None, sort=sort or "-x", axis=alt.Axis(labelLimit=150, labelFontSize=12))
        val = alt.X(f"{y}:Q", title=y_title, axis=axis)
        enc = {"y": cat, "x": val}
        height = max(120, 34 * df[x].nunique() + 50)
    else:
        cat = alt.X(f"{x}:N", title=x_title, sort=sort, axis=alt.Axis(labelAngle=0, labelOverlap=False, labelFontSize=11))
        enc = {"x": cat, "y": alt.Y(f"{y}:Q", title=y_title, axis=axis)}
        height = 260
    chart = alt.Chart(df).mark_bar(color=color).encode(
        **enc, tooltip=[alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=",.0f")])
    return _style(chart, height)


def heatmap(df: pd.DataFrame, x: str, y: str, value: str, x_title: str, y_title: str, value_title: str,
            y_sort: list) -> alt.Chart:
    # every weekday named (labelOverlap off: at 240 px it showed every other day), hours upright and
    # thinned where they would touch; room for the seven rows, the hour axis and the colour legend
    chart = alt.Chart(df).mark_rect().encode(
        x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0, labelOverlap="greedy")),
        y=alt.Y(f"{y}:N", title=None, sort=y_sort, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(gradientLength=180)),
        tooltip=[alt.Tooltip(f"{y}:N", title=y_title), alt.Tooltip(f"{x}:O", title=x_title),
                 alt.Tooltip(f"{value}:Q", title=value_title)])
    return _style(chart, 7 * 26 + 60 + LEGEND_PX)


def hours_with_window(df: pd.DataFrame, start_hour: float, end_hour: float, x_title: str, y_title: str,
                      window_title: str) -> alt.Chart:
    """Complaints by hour of day (0–23) with the allowed livestream window shaded."""
    hours = pd.DataFrame({"hour": range(24)}).merge(df, on="hour", how="left").fillna({"complaints": 0})
    hours["outside"] = (hours["hour"] < start_hour) | (hours["hour"] >= end_hour)
    shade = alt.Chart(pd.DataFrame({"start": [start_hour - 0.5], "end": [end_hour - 0.5], "label": [window_title]})
                      ).mark_rect(color="#cfe8d4", opacity=0.6).encode(
        x=alt.X("start:Q", scale=alt.Scale(domain=[-0.5, 23.5])), x2="end:Q",
        tooltip=[alt.Tooltip("label:N", title=window_title)])
    bar = alt.Chart(hours).mark_bar(size=14).encode(
        x=alt.X("hour:Q", title=x_title, scale=alt.Scale(domain=[-0.5, 23.5]), axis=alt.Axis(tickCount=24, format="d")),
        y=alt.Y("complaints:Q", title=y_title, axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.condition("datum.outside", alt.value("#b5485d"), alt.value(PALETTE[0])),
        tooltip=[alt.Tooltip("hour:Q", title=x_title), alt.Tooltip("complaints:Q", title=y_title)])
    return _style(alt.layer(shade, bar))


def capacity_bars(df: pd.DataFrame, name: str, peak: str, capacity: str, x_title: str, peak_title: str,
                  cap_title: str) -> alt.Chart:
    """A row per point (its name stays on one line on a phone): the peak as a bar, the capacity as a tick."""
    base = alt.Chart(df).encode(y=alt.Y(f"{name}:N", title=None, axis=alt.Axis(labelLimit=150, labelFontSize=12)))
    # the axis runs past the larger of peak and capacity: a capacity tick at the axis' end was cut in half
    most = pd.concat([pd.to_numeric(df[peak], errors="coerce"), pd.to_numeric(df[capacity], errors="coerce")]).max()
    scale = alt.Scale(domain=[0, float(most) * 1.08]) if pd.notna(most) and most > 0 else alt.Undefined
    bar = base.mark_bar(color=PALETTE[0], size=22).encode(
        x=alt.X(f"{peak}:Q", title=peak_title, axis=_count_axis(df, peak), scale=scale),
        tooltip=[alt.Tooltip(f"{name}:N", title=x_title), alt.Tooltip(f"{peak}:Q", title=peak_title),
                 alt.Tooltip(f"{capacity}:Q", title=cap_title)])
    tick = base.mark_tick(color="#b5485d", thickness=3, size=30).encode(x=alt.X(f"{capacity}:Q", scale=scale))
    return _style(alt.layer(bar, tick), max(120, 40 * df[name].nunique() + 50))


def sparkline_values(series: pd.Series) -> list[float]:
    return [0.0 if pd.isna(v) else float(v) for v in series]


def noise_color(complaints: float, most: float) -> list[int]:
    share = 0.0 if most <= 0 else min(1.0, complaints / most)
    return [int(90 + 150 * share), int(160 - 120 * share), int(200 - 150 * share), 220]


def _square(lat: float, lon: float, half_metres: float) -> list[list[float]]:
    dlat = half_metres / 111_000
    dlon = half_metres / (111_000 * math.cos(math.radians(lat)))
    return [[lon - dlon, lat - dlat], [lon + dlon, lat - dlat], [lon + dlon, lat + dlat], [lon - dlon, lat + dlat]]


def deck(buildings: pd.DataFrame, points: pd.DataFrame, building_tip: str, point_tip: str) -> pdk.Deck:
    """Buildings as squares coloured by noise, points as circles sized by occupancy; no basemap tiles."""
    b = buildings.copy()
    most = float(b["complaints"].max()) if not b.empty else 0.0
    b["color"] = [noise_color(c, most) for c in b["complaints"]]
    b["tip"] = [building_tip.format(name=n, complaints=int(c)) for n, c in zip(b["name"], b["complaints"])]
    p = points.copy()
    p["ratio"] = p["peak_ratio"].fillna(0.0)
    p["radius"] = 18 + 40 * p["ratio"].clip(0, 1.5)
    # see-through, so that a building under a point keeps its colour and its label shows
    p["color"] = [[181, 72, 93, 170] if r > FULL_CAPACITY else [47, 111, 159, 170] for r in p["ratio"]]
    p["tip"] = [point_tip.format(name=n, capacity="—" if pd.isna(c) else int(c), ratio=f"{r * 100:.0f}%")
                for n, c, r in zip(p["name"], p["capacity"], p["ratio"])]
    all_lat = pd.concat([b["lat"], p["lat"]])
    all_lon = pd.concat([b["lon"], p["lon"]])
    b["polygon"] = [_square(lat, lon, 14) for lat, lon in zip(b["lat"], b["lon"])]
    layers = [
        pdk.Layer("PolygonLayer", b, get_polygon="polygon", get_fill_color="color", pickable=True, stroked=True,
                  get_line_color=[60, 60, 60], line_width_min_pixels=1),
        # radius in metres (deck.gl's default unit); pydeck would turn a radius_units string into an accessor
        pdk.Layer("ScatterplotLayer", p, get_position=["lon", "lat"], get_fill_color="color", get_radius="radius",
                  pickable=True, stroked=True, get_line_color=[255, 255, 255],
                  line_width_min_pixels=2),
    ]
    # Names drawn on the map: buildings under their square, points above their circle. pydeck turns
    # plain strings into data accessors, so the literal "auto" (glyphs for whatever characters the
    # names use, Chinese included; the default set is ASCII only) is wrapped.
    if not b.empty:
        b["label"] = [_short(n) for n in b["name"]]
        layers.append(pdk.Layer("TextLayer", b, get_position=["lon", "lat"], get_text="label", get_size=11,
                                get_color=[60, 70, 80], get_pixel_offset=[0, 18],
                                character_set=pdk.types.String("auto"), font_family=pdk.types.String(FONT)))
    if not p.empty:
        layers.append(pdk.Layer("TextLayer", p, get_position=["lon", "lat"], get_text="name", get_size=14,
                                get_color=[31, 41, 51], get_pixel_offset=[0, -28], background=True,
                                get_background_color=[255, 255, 255, 220], background_padding=[3, 1],
                                character_set=pdk.types.String("auto"), font_family=pdk.types.String(FONT)))
    view = pdk.ViewState(latitude=float((all_lat.min() + all_lat.max()) / 2),
                         longitude=float((all_lon.min() + all_lon.max()) / 2),
                         zoom=fit_zoom(all_lat, all_lon), pitch=0)
    # No basemap at all: map_style=None would make Streamlit fetch a Carto basemap from the internet.
    # "__MAP_STYLE__" is pydeck's "not given" marker, which Streamlit's frontend honours by drawing none.
    # A text tooltip, not an HTML one: the tip holds imported names, and Streamlit HTML-escapes every value
    # put into an HTML tooltip (so a <br/> inside the value showed as written). Text is set as innerText,
    # where names stay plain text and the \n between lines still breaks the line.
    return pdk.Deck(layers=layers, initial_view_state=view, map_style="__MAP_STYLE__", map_provider=None,
                    tooltip={"text": "{tip}", "style": {"fontFamily": FONT, "fontSize": "13px"}})


def _short(name) -> str:
    """A building's label on the map: "A社区7栋" is "7栋" there (the community is the page's), so that
    neighbouring labels do not run into one another."""
    text = str(name)
    return text.split("社区", 1)[1] if "社区" in text and not text.endswith("社区") else text


def fit_zoom(lat: pd.Series, lon: pd.Series, pixels: int = 330, most: float = 17.0) -> float:
    """The zoom at which every building and point fits `pixels` across, a phone's width: deck.gl draws
    the world 512 px wide at zoom 0, so a metre takes 2**zoom * 512 / (40,075 km * cos(lat)) pixels."""
    if lat.empty:
        return 15.5
    mid = math.radians(float(lat.mean()))
    metres = max((float(lon.max()) - float(lon.min())) * 111_320 * math.cos(mid),
                 (float(lat.max()) - float(lat.min())) * 110_574, 1.0) + 120   # + room for the labels
    return round(min(most, math.log2(pixels * 40_075_016 * math.cos(mid) / (512 * metres))), 2)


def marked_line(df: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, order: str,
                mark_at: str | None, mark_text: str, y_format: str = "d") -> alt.Chart:
    """One series over periods with a dashed rule at the period a rule took effect (`mark_at`, an x label).

    Every layer gets the periods' order as an explicit list: a layer without it made Vega-Lite merge the
    x domains as text, which put 2025年10月 before 2025年2月 and drew the line out of order."""
    periods = df.sort_values(order)[x].drop_duplicates().tolist()
    x_enc = alt.X(f"{x}:O", title=x_title, sort=periods, axis=alt.Axis(labelAngle=0, labelOverlap="greedy"))
    x_tip = alt.Tooltip(f"{x}:O", title=x_title)
    line = alt.Chart(df).mark_line(point=True, interpolate="linear", color="#b5485d").encode(
        x=x_enc, y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domainMin=0, clamp=True),
                         axis=alt.Axis(format=y_format, tickMinStep=_step(df, y))),
        tooltip=[x_tip, alt.Tooltip(f"{y}:Q", title=y_title, format=y_format)])
    if mark_at is None or mark_at not in set(df[x]):
        return _style(line)
    mark = pd.DataFrame({x: [mark_at], "label": [mark_text]})
    rule = alt.Chart(mark).mark_rule(color="#2f6f9f", strokeDash=[5, 4], size=2).encode(
        x=alt.X(f"{x}:O", sort=periods))
    text = alt.Chart(mark).mark_text(align="left", dx=4, dy=-6, color="#2f6f9f", fontSize=12, font=FONT).encode(
        x=alt.X(f"{x}:O", sort=periods), y=alt.value(8), text="label:N")
    return _style(alt.layer(line, rule, text))


def grouped_bars(df: pd.DataFrame, category: str, value: str, group: str, cat_title: str, value_title: str,
                 group_title: str, group_order: list, y_format: str = ",.0f", width: int = 250) -> alt.Chart:
    """One small panel per category, each on its own scale, one bar per group (this month, last month, a
    year ago) with its value written at its end: on one shared axis 出席人数 90 left 时段外 1 a sliver.
    A fixed width (a faceted chart cannot stretch) that fits a 390 px phone with its labels."""
    base = alt.Chart(df).encode(
        y=alt.Y(f"{group}:N", title=None, sort=group_order, axis=None),
        x=alt.X(f"{value}:Q", title=None, axis=None, scale=alt.Scale(domainMin=0, nice=False)),
        tooltip=[alt.Tooltip(f"{category}:N", title=cat_title), alt.Tooltip(f"{group}:N", title=group_title),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=y_format)])
    bars = base.mark_bar(size=12).encode(
        color=alt.Color(f"{group}:N", title=group_title, sort=group_order, scale=alt.Scale(range=PALETTE)))
    text = base.mark_text(align="left", dx=3, fontSize=11, font=FONT, color="#323f4b").encode(
        text=alt.Text(f"{value}:Q", format=y_format))
    rows = max(1, df[group].nunique())
    chart = alt.layer(bars, text).properties(width=width, height=16 * rows + 4)
    order = list(dict.fromkeys(df[category]))
    faceted = chart.facet(row=alt.Row(f"{category}:N", title=None, sort=order,
                                      header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start",
                                                        labelOrient="top", labelFontSize=12, labelFont=FONT,
                                                        labelColor="#323f4b")),
                          spacing=4).resolve_scale(x="independent")
    return (faceted.configure(font=FONT)
            .configure_legend(labelFont=FONT, titleFont=FONT, orient="bottom", columns=3, labelLimit=160,
                              symbolLimit=0)
            .configure_view(strokeWidth=0))
