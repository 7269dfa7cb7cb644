"""`colo capacity check` as plain text: the verdict, a table of dimensions, then the
ranked placement candidates (capacity/fit_result.py's `FitReport`)."""

from __future__ import annotations

from capacity.fit_result import FitReport, figure_text


def format_fit_report(report: FitReport) -> str:
    """Plain text: the verdict, a table of dimensions, then the ranked placements."""
    lines: list[str] = []
    head = "Request" + (f" {report.request_id}" if report.request_id else "")
    if report.tenant:
        head += f" for {report.tenant}"
    if report.site:
        head += f" at {report.site}"
    lines.append(f"{head}: {'FITS' if report.fits else 'DOES NOT FIT'}")
    lines.append("")
    header = ("dimension", "unit", "before", "requested", "after", "verdict", "reason")
    rows = [header] + [
        (d.dimension, d.unit, figure_text(d.before), figure_text(d.requested), figure_text(d.after),
         d.verdict, d.reason)
        for d in report.dimensions
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    right = {2, 3, 4}
    for r in rows:
        cells = [r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i]) for i in range(len(widths))]
        lines.append("  ".join(cells + [r[-1]]).rstrip())
    if report.reasons:
        lines.append("")
        lines.append("Why it does not fit:")
        lines.extend(f"  - {r}" for r in report.reasons)
    if report.placements:
        lines.append("")
        lines.append("Placements (best first):")
        for i, p in enumerate(report.placements, 1):
            lines.append(f"  {i}. site {p.site_name}, rack{'s' if p.racks_used > 1 else ''} "
                         f"{', '.join(p.racks)} (score {p.score:g})")
            for s in p.servers:
                depth = "full depth" if s.full_depth else "half depth"
                feeds = (s.feed_a_name or "-") + (f" (leg {s.feed_a_leg})" if s.feed_a_leg else "")
                if s.feed_b_name:
                    feeds += f" + {s.feed_b_name}" + (f" (leg {s.feed_b_leg})" if s.feed_b_leg else "")
                lines.append(f"     {s.server}: {s.rack_name} {s.units} {s.face or '-'} ({depth}), "
                             f"feeds {feeds}, {s.draw_va} W {s.draw_source}")
    elif report.dimensions and any(d.requested for d in report.dimensions[:1]):
        lines.append("")
        lines.append("No placement found.")
    for n in report.notes:
        lines.append(f"Note: {n}")
    return "\n".join(lines) + "\n"
