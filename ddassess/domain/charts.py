"""What a chart shows, with no drawing in it: the client (``ui/charts.py``, QPainter) and the
PDFs (``pdf/charts.py``, reportlab graphics) draw the same ``BarChart`` / ``LineChart``, with
the same scale, colours and patterns, and give the same text alternative to readers who
cannot see it (a screen reader reads it as the widget's accessible description; a PDF prints
it under the chart).

Colours: series are told apart by the Okabe & Ito (2008) colour-blind safe palette *and* by
a pattern or marker shape, and every value is also written as a number, so no reader needs
colour at all. Bands (score severity) are shaded with a sequential single-hue scale
(ColorBrewer "OrRd", Brewer & Harrower 2003): lighter is less severe, so the order reads in
grey too, and each band carries its name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, reddish purple.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
# Series 1 is solid, series 2 striped, ... ; in a line chart each series has its own marker.
SERIES_PATTERNS = ("solid", "stripes", "dots", "cross")
SERIES_MARKERS = ("circle", "square", "triangle", "diamond")
# ColorBrewer OrRd, light to dark: band i of n takes colours spread over this scale.
BAND_COLOURS = ("#FFF7EC", "#FEE8C8", "#FDD49E", "#FDBB84", "#FC8D59")
INK = "#1F2937"       # text, axes
GRID = "#D1D5DB"      # grid lines
COUNTS_TOP = 5.0      # the lowest top of a counts axis: its ticks 0, 1, ..., 5


@dataclass(frozen=True)
class Series:
    """One series: a name and a value for each category / x label; ``None`` is "no value".
    ``shown`` optionally gives the text written for each value instead of the number
    (e.g. "<5" for a suppressed small count, whose value is then ``None``)."""

    name: str
    values: tuple[float | None, ...]
    shown: tuple[str, ...] = ()

    def text(self, index: int) -> str:
        if self.shown and index < len(self.shown) and self.shown[index]:
            return self.shown[index]
        value = self.values[index] if index < len(self.values) else None
        return "no value" if value is None else number(value)


@dataclass(frozen=True)
class Band:
    """A shaded stretch of the value axis, ``low`` ≤ value < ``high`` (the top band includes
    its top), named as the form names it ("Moderate"). ``span`` is how its range is written
    when that is not ``low``–``high``: a form's whole-number band 10–14 is shaded from 9.5 to
    14.5, so that no score sits on a boundary, and written "10–14"."""

    low: float
    high: float
    label: str
    span: str = ""

    def range_text(self) -> str:
        return self.span or f"{number(self.low)}–{number(self.high)}"


@dataclass(frozen=True)
class BarChart:
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = ""
    # Whole numbers (counts of cases): the axis runs to at least COUNTS_TOP, so that its
    # steps are whole numbers too (no "0.5 cases").
    counts: bool = False

    def __post_init__(self) -> None:
        _check_series(self.title, len(self.categories), self.series)

    def value_range(self) -> tuple[float, float]:
        """0 to a round number at or above the largest value (bars start at zero)."""
        values = [v for s in self.series for v in s.values if v is not None]
        top = nice_top(max([0.0, *values]))
        return 0.0, max(top, COUNTS_TOP) if self.counts else top

    def text_alternative(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        parts = [f"Bar chart: {self.title}{unit}."]
        if not self.categories:
            return parts[0] + " No data."
        for i, category in enumerate(self.categories):
            values = "; ".join(f"{s.name} {s.text(i)}" for s in self.series)
            parts.append(f"{category}: {values}.")
        return " ".join(parts)


@dataclass(frozen=True)
class LineChart:
    title: str
    x_labels: tuple[str, ...]
    series: tuple[Series, ...]
    bands: tuple[Band, ...] = ()
    y_min: float | None = None
    y_max: float | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        _check_series(self.title, len(self.x_labels), self.series)
        for band in self.bands:
            if not band.low < band.high:
                raise ValueError(f"chart {self.title!r}: band {band.label!r} is empty ({band.low}–{band.high})")

    def value_range(self) -> tuple[float, float]:
        """The given range, else the bands' range, widened to take every value."""
        values = [v for s in self.series for v in s.values if v is not None]
        lows = [b.low for b in self.bands] + values
        highs = [b.high for b in self.bands] + values
        low = self.y_min if self.y_min is not None else min(lows, default=0.0)
        high = self.y_max if self.y_max is not None else max(highs, default=1.0)
        low, high = min([low, *values]), max([high, *values])
        if high <= low:
            high = low + 1.0
        if not self.bands and self.y_max is None:
            high = nice_top(high) if low >= 0 else high
        return low, high

    def band_of(self, value: float) -> Band | None:
        for i, band in enumerate(self.bands):
            last = i == len(self.bands) - 1
            if band.low <= value < band.high or (last and value == band.high):
                return band
        return None

    def text_alternative(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        parts = [f"Line chart: {self.title}{unit}."]
        if self.bands:
            parts.append("Bands: " + ", ".join(f"{b.label} {b.range_text()}" for b in self.bands) + ".")
        if not any(v is not None for s in self.series for v in s.values):
            parts.append("No values yet.")
            return " ".join(parts)
        for s in self.series:
            points = []
            for i, x in enumerate(self.x_labels):
                value = s.values[i]
                band = self.band_of(value) if value is not None else None
                points.append(f"{x} {s.text(i)}" + (f" ({band.label})" if band else ""))
            name = f"{s.name}: " if len(self.series) > 1 or s.name else ""
            parts.append(name + "; ".join(points) + ".")
        return " ".join(parts)


def _check_series(title: str, count: int, series: tuple[Series, ...]) -> None:
    if not series:
        raise ValueError(f"chart {title!r} has no series")
    for s in series:
        if len(s.values) != count:
            raise ValueError(f"chart {title!r}: series {s.name!r} has {len(s.values)} values for {count} labels")
        for v in s.values:
            if v is not None and not math.isfinite(v):
                raise ValueError(f"chart {title!r}: series {s.name!r} has a value that is not a number")


def number(value: float) -> str:
    """A value as people write it: 12, 12.5 (no "12.0")."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def nice_top(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (an axis ends on a round number)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        top = step * 10.0 ** exponent
        if top >= value - 1e-9:
            return top
    return float(10.0 ** (exponent + 1))


def ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round values between ``low`` and ``high`` for the axis, at most ``most`` of them."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / max(1, most - 1)
    exponent = math.floor(math.log10(raw))
    step = 10.0 ** exponent
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = multiple * 10 ** exponent
        if span / step <= most - 1 + 1e-9:
            break
    first = math.ceil(low / step - 1e-9) * step
    out = []
    value = first
    while value <= high + 1e-9:
        out.append(round(value, 10))
        value += step
    return out


def band_colour(index: int, count: int) -> str:
    """Band ``index`` of ``count`` on the light-to-dark scale (one band: the lightest tint
    but one; the last of many: the darkest)."""
    if count <= 1:
        return BAND_COLOURS[1]
    position = round(index * (len(BAND_COLOURS) - 1) / (count - 1))
    return BAND_COLOURS[position]


def fraction(value: float, low: float, high: float) -> float:
    """Where ``value`` falls between ``low`` (0) and ``high`` (1)."""
    return (value - low) / (high - low)
