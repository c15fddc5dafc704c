"""The process drawn as a graph: phases as nodes, routes (or the default next phase) as edges.

Rendered on the server as an SVG image (a data URI), so user text is escaped, never HTML.
"""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape

from ordertrack.domain import process as p

W, H, GAP, X = 220, 46, 40, 40


def graph_svg(definition: p.ProcessDef, others: dict[int, p.ProcessDef] | None = None) -> str:
    """An SVG of the process."""
    others = others or {}
    phases = definition.phases
    index = {ph.id: i for i, ph in enumerate(phases)}
    height = max(1, len(phases)) * (H + GAP) + 60
    width = 560
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="13">',
             '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
             '<path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>']
    def y(i: int) -> int:
        return 20 + i * (H + GAP)
    for i, ph in enumerate(phases):
        parts.append(f'<rect x="{X}" y="{y(i)}" width="{W}" height="{H}" rx="8" fill="#eef2ff" stroke="#4f46e5"/>')
        label = escape(ph.name if len(ph.name) <= 26 else ph.name[:25] + "…")
        parts.append(f'<text x="{X + W / 2}" y="{y(i) + 20}" text-anchor="middle" font-weight="bold">{label}</text>')
        parts.append(f'<text x="{X + W / 2}" y="{y(i) + 37}" text-anchor="middle" fill="#555">'
                     f'{len(ph.tasks)} task{"s" if len(ph.tasks) != 1 else ""}</text>')
    end_y = y(len(phases))
    parts.append(f'<circle cx="{X + W / 2}" cy="{end_y + 14}" r="10" fill="#16a34a"/>'
                 f'<text x="{X + W / 2 + 18}" y="{end_y + 18}" fill="#16a34a">complete</text>')
    bend = 0
    for i, ph in enumerate(phases):
        routes = ph.routes or (p.RouteDef("", "", phases[i + 1].id if i + 1 < len(phases) else ""),)
        for r in routes:
            if r.process_id not in (None, definition.id):
                target = others.get(r.process_id)
                name = escape(f"→ {target.name if target else 'missing process'}")
                parts.append(f'<line x1="{X + W}" y1="{y(i) + H / 2}" x2="{X + W + 60}" y2="{y(i) + H / 2}" '
                             f'stroke="#b45309" stroke-dasharray="4" marker-end="url(#a)"/>')
                parts.append(f'<text x="{X + W + 66}" y="{y(i) + H / 2 + 4}" fill="#b45309">{name}</text>')
                continue
            j = index.get(r.next_phase_id, len(phases)) if r.next_phase_id else len(phases)
            if r.next_phase_id and r.next_phase_id not in index:
                parts.append(f'<text x="{X + W + 10}" y="{y(i) + H / 2 + 4}" fill="#dc2626">→ missing phase</text>')
                continue
            if j == i + 1 and not r.description:
                parts.append(f'<line x1="{X + W / 2}" y1="{y(i) + H}" x2="{X + W / 2}" y2="{y(j) - 2}" '
                             f'stroke="#555" marker-end="url(#a)"/>')
            else:
                bend += 1
                off = X + W + 14 + 22 * bend
                y1, y2 = y(i) + H / 2, (y(j) + H / 2 if j < len(phases) else end_y + 14)
                parts.append(f'<path d="M{X + W},{y1} C{off},{y1} {off},{y2} {X + W},{y2}" fill="none" '
                             f'stroke="#4f46e5" marker-end="url(#a)"/>')
                if r.description:
                    parts.append(f'<text x="{off + 4}" y="{(y1 + y2) / 2}" fill="#4f46e5">'
                                 f'{escape(r.description[:30])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def graph_data_uri(definition: p.ProcessDef, others: dict[int, p.ProcessDef] | None = None) -> str:
    """The graph as an image source."""
    return "data:image/svg+xml;base64," + base64.b64encode(graph_svg(definition, others).encode()).decode()
