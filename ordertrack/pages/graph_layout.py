"""Where the process graph draws its arrows and their labels (pure geometry, no Reflex).

Nodes are boxes in graph coordinates. An arrow is drawn *direct* (down from the source's lower
edge to the target's upper edge) when nothing stands in its way and its label fits in the gap;
otherwise it runs in a *lane*: out of the side of the source, along a vertical line beside the
nodes, into the side of the target. Lanes for arrows within the process are on the left of the
nodes (back-routes and routes that skip phases), lanes to nodes of other processes on the right.
Each lane is as close to the nodes as it can be while its line crosses no label and keeps clear of
the other lanes' lines, and its label touches no node, label or line; a label sits on its lane in
a gap between nodes, so no arrow's horizontal leg (drawn at a node's middle) runs through it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

CHAR_W = 7.0  # px per character of a 12 px label (Cyrillic is wider than Latin: err wide)
LINE_H = 15.0
LABEL_CHARS = 24  # a label wraps at this many characters
GAP = 14.0  # between the nodes and the nearest lane
LINE_GAP = 8.0  # between two lanes' lines


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def mid_y(self) -> float:
        return self.y + self.h / 2

    def hits(self, other: Box, margin: float = 0.0) -> bool:
        return (self.x - margin < other.right and other.x < self.right + margin
                and self.y - margin < other.bottom and other.y < self.bottom + margin)


def label_lines(text: str) -> list[str]:
    """A label wrapped into short lines (long words are kept whole)."""
    return textwrap.wrap(text, LABEL_CHARS, break_long_words=False) if text.strip() else []


def label_size(lines: list[str]) -> tuple[float, float]:
    """An estimate of a label's width and height in px, with its padding."""
    if not lines:
        return 0.0, 0.0
    return max(len(line) for line in lines) * CHAR_W + 14, len(lines) * LINE_H + 8


NODE_LINE_H = 16.0  # the nodes' line height (set in their style)


def node_height(lines: int) -> float:
    """The height of a node showing ``lines`` lines of 12 px text (10 px padding, 2 px border)."""
    return 24 + lines * NODE_LINE_H


def wrapped_count(text: str, chars: int) -> int:
    """How many lines ``text`` (with newlines) takes in a node ``chars`` characters wide."""
    return sum(max(1, len(textwrap.wrap(part, chars)) or 1) for part in text.split("\n"))


@dataclass(frozen=True, slots=True)
class Arrow:
    """One arrow to place: its end nodes, its label and which side its lane would be on."""

    source: str
    target: str
    lines: list[str]
    side: int  # -1: lane on the left of the nodes, +1: on the right


@dataclass(frozen=True, slots=True)
class Placed:
    mode: str  # "direct" or "lane"
    lane_x: float = 0.0
    label_y: float = 0.0
    label_box: Box | None = None


@dataclass
class Layout:
    """Places arrows one after the other, remembering what they occupy."""

    boxes: dict[str, Box]
    side_nodes: frozenset[str] = frozenset()  # nodes that stand beside the column (other processes)

    def __post_init__(self) -> None:
        self.labels: list[Box] = []
        self.columns: list[tuple[int, Box]] = []  # lines of arrows (side 0: direct ones)
        self.pairs: set[tuple[str, str]] = set()
        self.legs: list[Box] = []  # a lane's legs: the band of its node from the node's side to the lane

    def place(self, arrow: Arrow) -> Placed:
        s, t = self.boxes[arrow.source], self.boxes[arrow.target]
        w, h = label_size(arrow.lines)
        if arrow.side < 0 and (arrow.source, arrow.target) not in self.pairs:
            direct = self._direct(arrow, s, t, w, h) or self._between(arrow, s, t, w, h)
            if direct is not None:
                self.pairs.add((arrow.source, arrow.target))
                return direct
        if arrow.source == arrow.target:  # a route back into its own phase: a small loop on its side
            s, t = Box(s.x, s.y, s.w, s.h / 2), Box(s.x, s.y + s.h / 2, s.w, s.h / 2)
        return self._lane(arrow, s, t, w, h)

    @staticmethod
    def _legs(x: float, ends: tuple[Box, Box]) -> list[Box]:
        out = []
        for b in ends:
            near = b.x if x < b.x + b.w / 2 else b.right
            out.append(Box(min(x, near), b.y, abs(x - near), b.h))
        return out

    def _between(self, arrow: Arrow, s: Box, t: Box, w: float, h: float) -> Placed | None:
        """Side by side (the designer moved them so): a lane half way between the two."""
        if s.right + 30 <= t.x:
            x = (s.right + t.x) / 2
        elif t.right + 30 <= s.x:
            x = (t.right + s.x) / 2
        else:
            return None
        y0, y1 = sorted((s.mid_y, t.mid_y))
        line = Box(x - 1, y0, 2, max(y1 - y0, 1))
        label = Box(x - w / 2, (y0 + y1) / 2 - h / 2, w, h) if h else None
        others = [b for k, b in self.boxes.items() if k not in (arrow.source, arrow.target)]
        if any(line.hits(b, 4) for b in others) or any(line.hits(lb, 4) for lb in self.labels):
            return None
        if label is not None and (any(label.hits(b, 4) for b in self.boxes.values())
                                  or any(label.hits(lb, 4) for lb in self.labels)):
            return None
        return self._take(0, line, label, x, (y0 + y1) / 2, (s, t))

    def _direct(self, arrow: Arrow, s: Box, t: Box, w: float, h: float) -> Placed | None:
        if t.y < s.bottom + max(h + 2 * 6, 24):
            return None
        sx, tx = s.x + s.w / 2, t.x + t.w / 2
        way = Box(min(sx, tx) - 4, s.bottom, abs(sx - tx) + 8, t.y - s.bottom)
        label = Box((sx + tx) / 2 - w / 2, (s.bottom + t.y) / 2 - h / 2, w, h) if h else None
        for key, box in self.boxes.items():
            if key in (arrow.source, arrow.target):
                continue
            if box.hits(way) or (label is not None and box.hits(label, 4)):
                return None
        if label is not None and any(label.hits(other, 4) for other in self.labels):
            return None
        if label is not None:
            self.labels.append(label)
        self.columns.append((0, Box(sx - 1, s.bottom, 2, t.y - s.bottom)))
        self.columns.append((0, Box(tx - 1, s.bottom, 2, t.y - s.bottom)))
        return Placed("direct", label_box=label)

    def _lane(self, arrow: Arrow, s: Box, t: Box, w: float, h: float) -> Placed:
        """The lane nearest the nodes whose line crosses no label and keeps clear of the other
        lanes' lines, with a gap between nodes where its label touches no node, label or line."""
        y0, y1 = sorted((s.mid_y, t.mid_y))
        column = [b for k, b in self.boxes.items()
                  if b.y < y1 + 4 and y0 - 4 < b.bottom and (k not in self.side_nodes or k == arrow.source)]
        if arrow.side < 0:
            edge = min(b.x for b in column) - GAP
        else:
            edge = max(b.right for b in column) + GAP
        gaps = self._label_ys([*column, s, t], y0, y1, h)
        top, low = y0 - h - 8, y1 + h + 8
        near = [b for b in (*self.boxes.values(), *self.labels, *(c for _s, c in self.columns))
                if b.y < low and top < b.bottom]
        nodes = [b for b in self.boxes.values() if b.y < low and top < b.bottom]
        labels = [b for b in self.labels if b.y < low and top < b.bottom]
        lines = [c for _s, c in self.columns if c.y < low and top < c.bottom]
        ends = (self.boxes[arrow.source], self.boxes[arrow.target])
        # The best lane is at the edge or just beyond some obstacle: try those places, nearest first.
        spots = {edge}
        for reach in (LINE_GAP + 2, max(w / 2, 1) + LINE_GAP + 1):
            spots |= {(b.x - reach if arrow.side < 0 else b.right + reach) for b in near}
        for x in sorted((x for x in spots if (x - edge) * arrow.side >= 0), key=lambda x: abs(x - edge)):
            line = Box(x - 1, y0, 2, max(y1 - y0, 1))
            if any(line.hits(lb, 4) for lb in labels) or any(line.hits(other, LINE_GAP) for other in lines) or any(
                    leg.hits(lb, 3) for leg in self._legs(x, ends) for lb in labels):
                continue
            for label_y in gaps:
                label = Box(x - w / 2, label_y - h / 2, w, h) if h else None
                if label is None or not (any(label.hits(b, 4) for b in nodes) or any(
                        label.hits(lb, 4) for lb in labels) or any(label.hits(c, 3) for c in lines)
                        or any(label.hits(leg, 3) for leg in self.legs)):
                    return self._take(arrow.side, line, label, x, label_y, ends)
        x, label_y = edge + arrow.side * (w + 40), gaps[0]  # not reached: the farthest spot is clear
        return self._take(arrow.side, Box(x - 1, y0, 2, y1 - y0), Box(x - w / 2, label_y - h / 2, w, h) if h else None,
                          x, label_y, ends)

    def _take(self, side: int, line: Box, label: Box | None, x: float, label_y: float,
              ends: tuple[Box, Box]) -> Placed:
        self.columns.append((side, line))
        self.legs.extend(self._legs(x, ends))
        if label is not None:
            self.labels.append(label)
        return Placed("lane", lane_x=round(x, 1), label_y=round(label_y, 1), label_box=label)

    @staticmethod
    def _label_ys(column: list[Box], y0: float, y1: float, h: float) -> list[float]:
        """Where a label ``h`` high may sit on a lane from y0 to y1: the middles of the gaps between
        nodes that fit it, nearest the lane's middle first (the lane's middle when none does)."""
        middle = (y0 + y1) / 2
        spans = sorted((b.y - 4, b.bottom + 4) for b in column)
        gaps, at = [], y0
        for a, b in spans:
            if a > at:
                gaps.append((at, min(a, y1)))
            at = max(at, b)
        if at < y1:
            gaps.append((at, y1))
        fitting = sorted(((a + b) / 2 for a, b in gaps if b - a >= h + 4), key=lambda c: abs(c - middle))
        return fitting or [middle]


def ports(boxes: dict[str, Box], arrows: list[Arrow], placed: list[Placed]) -> list[tuple[float, float]]:
    """Where each lane leaves its source and enters its target, as a fraction of the node's height:
    the lanes on one side of a node are spread along it instead of meeting at its middle, nested so
    they do not cross there (from the top: lanes going up, inner first; then lanes going down,
    outer first)."""
    sides: dict[tuple[str, bool], list[tuple[int, float, int, str]]] = {}
    for n, (arrow, pl) in enumerate(zip(arrows, placed, strict=True)):
        if pl.mode != "lane":
            continue
        for role, key, other in (("s", arrow.source, arrow.target), ("t", arrow.target, arrow.source)):
            b = boxes[key]
            left = pl.lane_x < b.x + b.w / 2
            far = abs(pl.lane_x - (b.x if left else b.right))
            if key == other:  # into its own phase: out above, in below
                up = role == "s"
            else:
                up = boxes[other].mid_y < b.mid_y
            sides.setdefault((key, left), []).append((0, far, n, role) if up else (1, -far, n, role))
    out = [(0.5, 0.5)] * len(arrows)
    for items in sides.values():
        items.sort()
        for i, (_up, _far, n, role) in enumerate(items):
            f = round((i + 1) / (len(items) + 1), 3)
            out[n] = (f, out[n][1]) if role == "s" else (out[n][0], f)
    return out
