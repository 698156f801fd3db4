"""Pure functions: DataFrame in, Altair chart or pydeck deck out. Labels come in from the caller."""
from __future__ import annotations

import math

import altair as alt
import pandas as pd
import pydeck as pdk

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ["#2f6f9f", "#e07b39", "#4c9a6a", "#b5485d", "#8a6fb0", "#7f7f7f"]


def _style(chart: alt.Chart, height: int = 260) -> alt.Chart:
    return (chart.properties(height=height)
            .configure(font=FONT)
            .configure_axis(labelFont=FONT, titleFont=FONT, labelFontSize=12, titleFontSize=12)
            .configure_legend(labelFont=FONT, titleFont=FONT, orient="bottom")
            .configure_view(strokeWidth=0))


def _x(x: str, title: str, order: str | None):
    """Periods as ordered labels ("6月2日", "2025年6月") when `order` names their start column, else dates."""
    if order:
        return (alt.X(f"{x}:O", title=title, sort=alt.EncodingSortField(field=order, op="min"),
                      axis=alt.Axis(labelAngle=0, labelOverlap="greedy")),
                alt.Tooltip(f"{x}:O", title=title))
    return alt.X(f"{x}:T", title=title, axis=alt.Axis(format="%m/%d")), alt.Tooltip(f"{x}:T", title=title)


def _step(df: pd.DataFrame, y: str):
    """Whole numbers (people, parcels) get whole ticks: no "0.5 persons" on an axis."""
    values = pd.to_numeric(df[y], errors="coerce").dropna() if y in df else pd.Series(dtype=float)
    return 1 if not values.empty and (values == values.round()).all() else alt.Undefined


def stacked_bars(df: pd.DataFrame, x: str, y: str, color: str, x_title: str, y_title: str, color_title: str,
                 order: str | None = None) -> alt.Chart:
    x_enc, x_tip = _x(x, x_title, order)
    chart = alt.Chart(df).mark_bar().encode(
        x=x_enc, y=alt.Y(f"{y}:Q", title=y_title, stack=True),
        color=alt.Color(f"{color}:N", title=color_title, scale=alt.Scale(range=PALETTE)),
        tooltip=[x_tip, alt.Tooltip(f"{color}:N", title=color_title), alt.Tooltip(f"{y}:Q", title=y_title, format=",.0f")])
    return _style(chart)


def lines(df: pd.DataFrame, x: str, y: str, color: str, x_title: str, y_title: str, color_title: str,
          y_format: str = ",.0f", order: str | None = None) -> alt.Chart:
    x_enc, x_tip = _x(x, x_title, order)
    # Straight segments (no smoothing that could swing past a point) on a scale that starts at 0:
    # every kpi is a count, a share or a duration, so a line never shows below zero.
    chart = alt.Chart(df).mark_line(point=True, interpolate="linear").encode(
        x=x_enc,
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format, tickMinStep=_step(df, y)),
                scale=alt.Scale(domainMin=0, clamp=True)),
        color=alt.Color(f"{color}:N", title=color_title, scale=alt.Scale(range=PALETTE)),
        tooltip=[x_tip, alt.Tooltip(f"{color}:N", title=color_title), alt.Tooltip(f"{y}:Q", title=y_title, format=y_format)])
    return _style(chart)


def bars(df: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, sort: list | None = None,
         horizontal: bool = False, color: str = PALETTE[0]) -> alt.Chart:
    cat = alt.X(f"{x}:N", title=x_title, sort=sort, axis=alt.Axis(labelAngle=0, labelOverlap=False, labelFontSize=11)) if not horizontal else alt.Y(f"{x}:N", title=x_title, sort="-x")
    axis = alt.Axis(tickMinStep=_step(df, y))
    val = alt.Y(f"{y}:Q", title=y_title, axis=axis) if not horizontal else alt.X(f"{y}:Q", title=y_title, axis=axis)
    chart = alt.Chart(df).mark_bar(color=color).encode(
        **({"x": cat, "y": val} if not horizontal else {"y": cat, "x": val}),
        tooltip=[alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=",.0f")])
    return _style(chart)


def heatmap(df: pd.DataFrame, x: str, y: str, value: str, x_title: str, y_title: str, value_title: str,
            y_sort: list) -> alt.Chart:
    chart = alt.Chart(df).mark_rect().encode(
        x=alt.X(f"{x}:O", title=x_title),
        y=alt.Y(f"{y}:N", title=y_title, sort=y_sort),
        color=alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="blues")),
        tooltip=[alt.Tooltip(f"{y}:N", title=y_title), alt.Tooltip(f"{x}:O", title=x_title),
                 alt.Tooltip(f"{value}:Q", title=value_title)])
    return _style(chart, 240)


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
    base = alt.Chart(df).encode(x=alt.X(f"{name}:N", title=x_title))
    bar = base.mark_bar(color=PALETTE[0], size=36).encode(
        y=alt.Y(f"{peak}:Q", title=peak_title),
        tooltip=[alt.Tooltip(f"{name}:N", title=x_title), alt.Tooltip(f"{peak}:Q", title=peak_title),
                 alt.Tooltip(f"{capacity}:Q", title=cap_title)])
    tick = base.mark_tick(color="#b5485d", thickness=3, size=48).encode(y=alt.Y(f"{capacity}:Q"))
    return _style(alt.layer(bar, tick))


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
    p["color"] = [[181, 72, 93, 230] if r > 1 else [47, 111, 159, 230] for r in p["ratio"]]
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
    # Point names drawn on the map. pydeck turns plain strings into data accessors, so the literal
    # "auto" (glyphs for whatever characters the names use, Chinese included) is wrapped.
    if not p.empty:
        layers.append(pdk.Layer("TextLayer", p, get_position=["lon", "lat"], get_text="name", get_size=14,
                                get_color=[31, 41, 51], get_pixel_offset=[0, -28],
                                character_set=pdk.types.String("auto")))
    view = pdk.ViewState(latitude=float(all_lat.mean()), longitude=float(all_lon.mean()), zoom=15.5, pitch=0)
    # No basemap at all: map_style=None would make Streamlit fetch a Carto basemap from the internet.
    # "__MAP_STYLE__" is pydeck's "not given" marker, which Streamlit's frontend honours by drawing none.
    # A text tooltip, not an HTML one: the tip holds imported names, and Streamlit HTML-escapes every value
    # put into an HTML tooltip (so a <br/> inside the value showed as written). Text is set as innerText,
    # where names stay plain text and the \n between lines still breaks the line.
    return pdk.Deck(layers=layers, initial_view_state=view, map_style="__MAP_STYLE__", map_provider=None,
                    tooltip={"text": "{tip}", "style": {"fontFamily": FONT, "fontSize": "13px"}})


def marked_line(df: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, order: str,
                mark_at: str | None, mark_text: str, y_format: str = "d") -> alt.Chart:
    """One series over periods with a dashed rule at the period a rule took effect (`mark_at`, an x label)."""
    x_enc, x_tip = _x(x, x_title, order)
    line = alt.Chart(df).mark_line(point=True, interpolate="linear", color="#b5485d").encode(
        x=x_enc, y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domainMin=0, clamp=True),
                         axis=alt.Axis(format=y_format, tickMinStep=_step(df, y))),
        tooltip=[x_tip, alt.Tooltip(f"{y}:Q", title=y_title, format=y_format)])
    if mark_at is None or mark_at not in set(df[x]):
        return _style(line)
    mark = pd.DataFrame({x: [mark_at], "label": [mark_text]})
    rule = alt.Chart(mark).mark_rule(color="#2f6f9f", strokeDash=[5, 4], size=2).encode(x=alt.X(f"{x}:O"))
    text = alt.Chart(mark).mark_text(align="left", dx=4, dy=-6, color="#2f6f9f", fontSize=12, font=FONT).encode(
        x=alt.X(f"{x}:O"), y=alt.value(8), text="label:N")
    return _style(alt.layer(line, rule, text))


def grouped_bars(df: pd.DataFrame, category: str, value: str, group: str, cat_title: str, value_title: str,
                 group_title: str, group_order: list, y_format: str = ",.0f") -> alt.Chart:
    """Horizontal bars, one row per category, one bar per group (this month, last month, a year ago):
    long Chinese labels stay readable on a phone."""
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=None, sort=None, axis=alt.Axis(labelLimit=140)),
        yOffset=alt.YOffset(f"{group}:N", sort=group_order),
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=y_format)),
        color=alt.Color(f"{group}:N", title=group_title, sort=group_order, scale=alt.Scale(range=PALETTE)),
        tooltip=[alt.Tooltip(f"{category}:N", title=cat_title), alt.Tooltip(f"{group}:N", title=group_title),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=y_format)])
    return _style(chart, max(160, 46 * df[category].nunique()))
