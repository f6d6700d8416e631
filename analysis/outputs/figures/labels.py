"""Label placement for scatter plots: each point's label beside its point where it collides
with nothing, else further out on a leader line, else left to the hover.

Plotly places ``textposition`` labels without looking at their neighbours, so 30 contexts on
a scatter plot write over each other. The placement here is greedy (the most crowded points
first, ties by input order: deterministic) over candidate offsets, nearest first:

1. beside the point: above, below, right, left, then the four diagonals;
2. on a leader line: rings 30, 48, 70 and 95 px out, sixteen directions each.

A candidate is taken when its box stays inside the plot area and meets no label placed
before, no marker and no obstacle (a caption). All geometry is in pixels of an assumed plot
area, screen coordinates (x to the right, y down); text boxes are estimated from their
characters (:func:`char_width`, :data:`LINE_HEIGHT` for plotly's default 12 px font). The
assumed width should be the narrowest the figure is shown at: wider, the points move apart
and the labels, whose size is fixed in pixels, only gain room.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.outputs.figures.common import add_annotations

#: Pixels per character of plotly's default 12 px font as Chromium draws it (measured on
#: DejaVu Sans, the widest of the usual fallbacks, rounded up): most characters, then the
#: narrow, the middling and the wide ones.
CHAR_WIDTH = 7.7
NARROW, NARROW_CHARS = 3.6, set("ijlI.,:;|!' ")
MIDDLING, MIDDLING_CHARS = 4.8, set("frt-/()[]")
WIDE, WIDE_CHARS = 11.8, set("mwMW%&<>↔→…—")
CAPITAL = 9.5
#: Pixels per line of the same font.
LINE_HEIGHT = 16.0
#: Free pixels between a marker and its label.
GAP = 3.0
#: Distances (px) of the leader-line rings and the number of directions on each.
LEADER_RINGS = (30.0, 48.0, 70.0, 95.0)
LEADER_DIRECTIONS = 16


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels, ``x0 <= x1`` and ``y0 <= y1`` (y down)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def intersects(self, other: Box, margin: float = 1.0) -> bool:
        """Whether the two boxes overlap by more than ``margin`` pixels both ways."""
        return (min(self.x1, other.x1) - max(self.x0, other.x0) > margin
                and min(self.y1, other.y1) - max(self.y0, other.y0) > margin)

    def inside(self, width: float, height: float) -> bool:
        return self.x0 >= 0 and self.y0 >= 0 and self.x1 <= width and self.y1 <= height


@dataclass(frozen=True)
class Placement:
    """Where a label goes: its centre's offset from its point (px, y down), whether a leader
    line joins them, and the label's box."""

    dx: float
    dy: float
    leader: bool
    box: Box


def text_size(text: str) -> tuple[float, float]:
    """Estimated width and height (px) of a plotly label (``<br>`` separates lines; entities
    such as ``&amp;`` count as one character)."""
    import html

    lines = html.unescape(text).split("<br>")
    return max(sum(char_width(c) for c in line) for line in lines) + 4.0, LINE_HEIGHT * len(lines)


def char_width(char: str) -> float:
    """Estimated width (px) of one character (see :data:`CHAR_WIDTH`)."""
    if char in NARROW_CHARS:
        return NARROW
    if char in MIDDLING_CHARS:
        return MIDDLING
    if char in WIDE_CHARS:
        return WIDE
    return CAPITAL if char.isupper() else CHAR_WIDTH


def box_at(cx: float, cy: float, width: float, height: float) -> Box:
    """The box of that size centred on (cx, cy)."""
    return Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def _candidates(width: float, height: float, marker: float) -> list[tuple[float, float, bool]]:
    """Offsets of a label's centre, nearest first (see the module docstring)."""
    side = marker + GAP
    diagonal = marker / math.sqrt(2) + GAP
    near = [
        (0.0, -(side + height / 2)), (0.0, side + height / 2),
        (side + width / 2, 0.0), (-(side + width / 2), 0.0),
        (diagonal + width / 2, -(diagonal + height / 2)), (-(diagonal + width / 2), -(diagonal + height / 2)),
        (diagonal + width / 2, diagonal + height / 2), (-(diagonal + width / 2), diagonal + height / 2),
    ]
    out = [(dx, dy, False) for dx, dy in near]
    for ring in LEADER_RINGS:
        for k in range(LEADER_DIRECTIONS):
            angle = 2 * math.pi * k / LEADER_DIRECTIONS  # 0 = straight up, clockwise
            out.append((math.sin(angle) * (ring + width / 2), -math.cos(angle) * (ring + height / 2), True))
    return out


def _towards(candidates: list[tuple[float, float, bool]], direction: tuple[float, float]) -> list[tuple[float, float, bool]]:
    """The candidates, those beside the point first, by closeness to ``direction``; then
    the leader lines by length × (2 - cos(angle to ``direction``)): a leader pointing the
    preferred way may be up to three times longer than one pointing back (stable)."""
    dx, dy = direction
    norm = math.hypot(dx, dy) or 1.0

    def key(c: tuple[float, float, bool]) -> tuple[bool, float]:
        length = math.hypot(c[0], c[1]) or 1.0
        cos = (c[0] * dx + c[1] * dy) / (length * norm)
        return c[2], round(length * (2 - cos) if c[2] else -cos, 6)

    return sorted(candidates, key=key)


def place_labels(points: Sequence[tuple[float, float]], texts: Sequence[str], *, width: float, height: float,
                 marker: float | Sequence[float] = 6.0, obstacles: Sequence[Box] = (),
                 prefer: Sequence[tuple[float, float]] | None = None) -> list[Placement | None]:
    """A placement per label (``None``: no room, the label is left to the hover).

    ``points`` are pixel positions in a ``width`` × ``height`` plot area (y down),
    ``marker`` the markers' radius (one for all, or one per point), ``obstacles`` boxes no
    label may cover (captions), ``prefer`` a direction per point to try first (outward
    from a circle's centre, say). Returned boxes never meet each other, a marker or an
    obstacle, and stay in the area.
    """
    if len(points) != len(texts):
        raise ValueError(f"{len(points)} points but {len(texts)} labels")
    radii = [float(marker)] * len(points) if isinstance(marker, (int, float)) else [float(r) for r in marker]
    markers = [Box(x - r, y - r, x + r, y + r) for (x, y), r in zip(points, radii)]

    def crowd(i: int) -> int:
        x, y = points[i]
        return sum(1 for j, (u, v) in enumerate(points) if j != i and abs(u - x) < 80 and abs(v - y) < 40)

    order = sorted(range(len(points)), key=lambda i: (-crowd(i), i))
    placed: list[Box] = []
    out: list[Placement | None] = [None] * len(points)
    for i in order:
        if not texts[i]:
            continue
        w, h = text_size(texts[i])
        x, y = points[i]
        candidates = _candidates(w, h, radii[i])
        for dx, dy, leader in (_towards(candidates, prefer[i]) if prefer is not None else candidates):
            box = box_at(x + dx, y + dy, w, h)
            if not box.inside(width, height):
                continue
            if any(box.intersects(b) for b in placed) or any(box.intersects(b) for b in obstacles):
                continue
            if any(box.intersects(m, margin=0.0) for j, m in enumerate(markers) if j != i or leader):
                continue
            placed.append(box)
            out[i] = Placement(dx, dy, leader, box)
            break
    return out


def label_points(fig, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], *, x_range: tuple[float, float],
                 y_range: tuple[float, float], area: tuple[float, float], marker: float | Sequence[float] = 6.0,
                 obstacles: Sequence[Box] = (), prefer: Sequence[tuple[float, float]] | None = None) -> int:
    """Label the points (data coordinates) of a plotly figure whose axes span ``x_range`` and
    ``y_range`` over a plot area of ``area`` (width, height) pixels: one annotation per
    placed label (with a grey leader line when it sits away from its point). ``prefer``
    directions are in data coordinates (y up). Returns how many labels found no room."""
    width, height = area

    def to_px(x: float, y: float) -> tuple[float, float]:
        return ((x - x_range[0]) / (x_range[1] - x_range[0]) * width, (y_range[1] - y) / (y_range[1] - y_range[0]) * height)

    where = place_labels([to_px(x, y) for x, y in zip(xs, ys)], texts, width=width, height=height, marker=marker,
                         obstacles=obstacles, prefer=None if prefer is None else [(dx, -dy) for dx, dy in prefer])
    radii = [float(marker)] * len(texts) if isinstance(marker, (int, float)) else list(marker)
    notes: list[dict] = []
    for x, y, text, spot, radius in zip(xs, ys, texts, where, radii):
        if spot is None:
            continue
        if spot.leader:
            notes.append({"x": x, "y": y, "text": text, "showarrow": True, "ax": spot.dx, "ay": spot.dy, "axref": "pixel",
                          "ayref": "pixel", "arrowhead": 0, "arrowwidth": 1, "arrowcolor": "#999", "standoff": radius,
                          "xanchor": "center", "yanchor": "middle"})
        else:
            notes.append({"x": x, "y": y, "text": text, "showarrow": False, "xshift": spot.dx, "yshift": -spot.dy,
                          "xanchor": "center", "yanchor": "middle"})
    add_annotations(fig, notes)
    return sum(1 for text, spot in zip(texts, where) if text and spot is None)
