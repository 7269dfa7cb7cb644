"""The capacity runway as text, CSV and HTML; the what-if side by side. Rendering only:
takes the plain data of `playbooks.forecasting.Forecast.to_dict()` (and of a what-if).

Figures are shown in readable units (kVA, Mbps); CSV and JSON keep the engine's
(VA, kbps). A threshold reached is "now", a month (YYYY-MM) with the band's earliest
and latest months, or "not within the horizon".
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from markupsafe import Markup

from reports.charts import rack_heatmap, runway_chart
from reports.i18n import Labels, dimension_label, display_unit, format_number, labels
from reports.render import Formatter, environment

#: display unit of a figure's unit: (divisor, name)
CSV_COLUMNS = ("rank", "site", "dimension", "object", "unit", "used", "capacity", "free", "used_pct",
               "growth_per_month", "growth_low", "growth_high", "warning_when", "warning_earliest",
               "warning_latest", "full_when", "full_earliest", "full_latest", "history_points")


def amount(value: float, unit: str, lang: str = "en", signed: bool = False) -> str:
    """`value` in its display unit (kVA, Mbps), one decimal below 100; `signed`: a + when above 0.

    A value that one decimal would show as 0 keeps two significant digits (35 W a month
    is +0.035 kW, not a flat 0)."""
    number = value / display_unit(unit)[0]
    if number and abs(number) < 0.05:
        digits = 1 - math.floor(math.log10(abs(number)))
        shown, text = number, format_number(round(number, digits), lang, digits).rstrip("0")
    else:
        shown = round(number, 1) if abs(number) < 100 else round(number)
        text = format_number(shown, lang)
    return f"{'+' if signed and shown > 0 else ''}{text}"


def when_text(c: dict[str, Any], L: Labels) -> str:
    """"now", "2027-09 (2027-05..2028-02)" or "not within the horizon (earliest 2027-09)"."""
    if c["when"] == "now":
        return L.fc_now
    if c["when"] is None:
        return L.fc_not_within + (f" ({L.fc_earliest} {c['earliest']})" if c.get("earliest") else "")
    band = f"{c['earliest'] or ''}..{c['latest'] or ''}"
    return f"{c['when']} ({band})" if band != f"{c['when']}..{c['when']}" else c["when"]


def forecast_rows(data: dict[str, Any], lang: str = "en") -> list[dict[str, str]]:
    """One row of display text per dimension, ranked."""
    L = labels(lang)
    rows = []
    for r in data["dimensions"]:
        _, unit = display_unit(r["unit"])
        growth = f"{amount(r['growth_per_month'], r['unit'], lang, True)} {unit} " \
                 f"({amount(r['growth_low'], r['unit'], lang, True)}..{amount(r['growth_high'], r['unit'], lang, True)})"
        rows.append({
            "rank": str(r["rank"]), "site": r["site"], "dimension": dimension_label(r, L),
            "used": f"{amount(r['used'], r['unit'], lang)} / {amount(r['capacity'], r['unit'], lang)} {unit}",
            "pct": f"{format_number(r['used_pct'], lang, 1)} %", "growth": growth,
            "warning": when_text(r["warning"], L), "full": when_text(r["full"], L),
        })
    return rows


def render_forecast_table(data: dict[str, Any]) -> str:
    meta = data["meta"]
    L = labels("en")
    lines = [f"Capacity runway at {meta['now'][:10]}: horizon {meta['horizon_months']} months, warning at "
             f"{format_number(meta['warning_pct'], 'en')} %",
             "History: " + ("; ".join(meta["history_sources"]) or "none (no growth is known)")
             + f", {meta['history_months']} months", ""]
    headers = {"rank": "#", "site": "site", "dimension": "dimension", "used": "used / capacity", "pct": "used",
               "growth": "growth per month (95 %)", "warning": f"{format_number(meta['warning_pct'], 'en')} % reached",
               "full": "100 % reached"}
    lines.append(_columns(headers, forecast_rows(data)))
    if data["binding"]:
        lines += ["", "Binding constraint (runs out first):"]
        for b in data["binding"]:
            lines.append(f"  {b['site']}: {dimension_label(b, L)}, {format_number(b['warning']['pct'], 'en')} % "
                         f"{when_text(b['warning'], L)}, 100 % {when_text(b['full'], L)}")
    if meta["notes"]:
        lines += ["", "Notes:", *[f"  {n}" for n in meta["notes"]]]
    return "\n".join(lines) + "\n"


def render_forecast_csv(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in data["dimensions"]:
        flat = {**r, **{f"warning_{k}": r["warning"][k] for k in ("when", "earliest", "latest")},
                **{f"full_{k}": r["full"][k] for k in ("when", "earliest", "latest")}}
        writer.writerow(["" if flat.get(c) is None else flat[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


def render_whatif_table(data: dict[str, Any]) -> str:
    """Per dimension: today's and the what-if's figures and runways, side by side."""
    L = labels("en")
    today, after = data["today"]["forecast"], data["after"]["forecast"]
    meta = after["meta"]
    lines = [f"What-if at {meta['now'][:10]} (horizon {meta['horizon_months']} months, warning at "
             f"{format_number(meta['warning_pct'], 'en')} %); nothing is written anywhere", ""]
    lines += ["Changes:", *[f"  {a}" for a in data["applied"]]] if data["applied"] else ["Changes: none"]
    if data["refused"]:
        lines += ["Not applied:", *[f"  {r}" for r in data["refused"]]]
    before = {(r["site"], r["dimension"], r["object"]): r for r in today["dimensions"]}
    rows = []
    for r in after["dimensions"]:
        b = before.get((r["site"], r["dimension"], r["object"]))
        _, unit = display_unit(r["unit"])

        def fig(x: dict[str, Any] | None) -> str:
            if x is None:
                return "-"
            return f"{amount(x['used'], x['unit'])}/{amount(x['capacity'], x['unit'])} " \
                   f"({format_number(x['used_pct'], 'en', 1)} %)"

        rows.append({"rank": str(r["rank"]), "site": r["site"], "dimension": f"{dimension_label(r, L)} ({unit})",
                     "today": fig(b), "after": fig(r),
                     "full_today": when_text(b["full"], L) if b else "-", "full_after": when_text(r["full"], L)})
    headers = {"rank": "#", "site": "site", "dimension": "dimension", "today": "today", "after": "what-if",
               "full_today": "100 % today", "full_after": "100 % what-if"}
    lines += ["", _columns(headers, rows)]
    if after["binding"]:
        lines += ["", "Binding constraint with the changes:"]
        for b in after["binding"]:
            lines.append(f"  {b['site']}: {dimension_label(b, L)}, 100 % {when_text(b['full'], L)}")
    return "\n".join(lines) + "\n"


def _columns(headers: dict[str, str], rows: list[dict[str, str]]) -> str:
    widths = {k: max([len(h)] + [len(r[k]) for r in rows]) for k, h in headers.items()}
    out = ["  ".join(h.ljust(widths[k]) for k, h in headers.items()).rstrip()]
    for r in rows:
        out.append("  ".join(r[k].ljust(widths[k]) for k in headers).rstrip())
    return "\n".join(out)


def runway_charts(data: dict[str, Any], lang: str, prefix: str = "runway") -> list[dict[str, Any]]:
    """An SVG chart per dimension, ranked, for the HTML pages."""
    L = labels(lang)
    return [{"site": r["site"], "title": dimension_label(r, L),
             "svg": Markup(runway_chart(r, L, lang, f"{prefix}{i}"))}  # noqa: S704 - matplotlib escapes its text
            for i, r in enumerate(data["dimensions"], start=1)]


def render_forecast_html(data: dict[str, Any], *, lang: str = "en", generated: str, source: str) -> str:
    L = labels(lang)
    return environment().get_template("forecast.html").render(
        data=data, rows=forecast_rows(data, lang), charts=runway_charts(data, lang), L=L, F=Formatter(lang),
        lang=lang, generated=generated, source=source)


def rack_heatmaps(racks: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """A heat map per site of its racks (free units, failover headroom), for the HTML report."""
    L = labels(lang)
    sites: dict[str, list[dict[str, Any]]] = {}
    for r in racks:
        sites.setdefault(r["site"], []).append(r)
    out = []
    for i, (site, rows) in enumerate(sites.items(), start=1):
        svg = rack_heatmap(rows, L, lang, f"heatmap{i}")
        if svg is not None:
            out.append({"site": site, "svg": Markup(svg)})  # noqa: S704 - matplotlib escapes its text
    return out
