"""The Team view's charts: the figures drawn as bars (the caseload now, and each distribution of
the period beside the period before) and lines (referrals and median waits over the chosen
period and those of its kind before it).

They are the chart widgets of ``ui/charts.py``, so each has its text alternative (every value
in words) as its accessible description, takes the keyboard focus (Tab), steps through its bars
or points with Left / Right, chooses a series with Up / Down, and lists the cases behind the
chosen value with Enter (or a double click), as a figure of the tables does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ddassess.domain.charts import COUNTS_TOP, BarChart, LineChart, Series, nice_top
from ddassess.ui.charts import BarChartWidget, LineChartWidget

if TYPE_CHECKING:
    from ddassess.domain.periods import Period
    from ddassess.services.case_list_rows import CaseQuery
    from ddassess.services.team_kpis import Figure, Table, TeamNow, TeamPeriod, TrendPoint

# The tables drawn, in order: (key, short title). The rest stay in the tables (a single
# number, or a table of practitioners' names) where a chart would add nothing.
NOW_CHARTS = (("now.stage", "Open cases by pathway step"), ("now.lead", "Open cases by lead agency"),
              ("now.risk", "Open cases by risk level"))
PERIOD_CHARTS = (("p.source", "Referrals by source"), ("p.agency", "Referrals by lead agency"),
                 ("p.to_assessment", "Days from referral to joint assessment"),
                 ("p.to_plan", "Days from referral to a signed care plan"),
                 ("p.mh_need", "Mental health treatment need"), ("p.substance", "Primary substance"),
                 ("p.sadq", "SADQ band"), ("p.exit_type", "Exits, planned and unplanned"),
                 ("p.exit_reason", "Exits by reason"))
TREND_COUNT = 6  # the chosen period and the five of its kind before it


def short(period: Period) -> str:
    """A period's name short enough for an axis: 2026-Q3, 2026-07, 2026, or 01 Jul–15 Aug."""
    if period.kind == "custom":
        return f"{period.start:%d %b}–{period.end:%d %b}"
    return period.label


@dataclass(frozen=True)
class Opens:
    """What a chart's value opens: its cases, and what they are (the case list's note)."""

    query: CaseQuery
    what: str


class TeamCharts(QWidget):
    """Every chart of the Team view, in a grid of two columns under three headings."""

    figure_opened = Signal(object, str)  # as TeamViewPage.figure_opened

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Team charts")
        self.now_heading, self.period_heading, self.trend_heading = QLabel(), QLabel(), QLabel()
        self.charts: dict[str, BarChartWidget | LineChartWidget] = {}
        self.opens: dict[str, list[list[Opens]]] = {}  # chart key: [series][index]
        layout = QVBoxLayout(self)
        self.grids: list[tuple[QGridLayout, tuple[str, ...]]] = []
        self.columns = 2
        for heading, keys in ((self.trend_heading, ("trend.referrals", "trend.waits")),
                              (self.now_heading, tuple(k for k, _ in NOW_CHARTS)),
                              (self.period_heading, tuple(k for k, _ in PERIOD_CHARTS))):
            heading.setWordWrap(True)
            layout.addWidget(heading)
            grid = QGridLayout()
            self.grids.append((grid, keys))
            for i, key in enumerate(keys):
                empty = Series("", ())
                widget: BarChartWidget | LineChartWidget = (
                    LineChartWidget(LineChart(key, (), (empty,))) if key.startswith("trend.")
                    else BarChartWidget(BarChart(key, (), (empty,))))
                widget.openable = True
                widget.activated.connect(lambda series, index, key=key: self._open(key, series, index))
                self.charts[key] = widget
                grid.addWidget(widget, i // 2, i % 2)
            layout.addLayout(grid)
        layout.addStretch()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """Two charts a row when two fit at the size their labels need, else one (large text)."""
        super().resizeEvent(event)
        need = max(w.sizeHint().width() for w in self.charts.values())
        columns = 2 if self.width() >= 2 * need else 1
        if columns != self.columns:
            self.columns = columns
            for grid, keys in self.grids:
                for key in keys:
                    grid.removeWidget(self.charts[key])
                for i, key in enumerate(keys):
                    grid.addWidget(self.charts[key], i // columns, i % columns)
                for col in range(2):
                    grid.setColumnStretch(col, 1 if col < columns else 0)

    def show_figures(self, now: TeamNow, period: TeamPeriod, trend: tuple[TrendPoint, ...]) -> None:
        from ddassess.services.team_kpis import drill_query

        self.now_heading.setText(f"<b>Now</b> ({now.today:%d %b %Y}): the open caseload")
        self.period_heading.setText(f"<b>{period.period.words}</b> against {period.previous.words}")
        by_key = {t.key: t for t in now.tables}
        for key, title in NOW_CHARTS:
            table = by_key[key]
            self._bars(key, f"{title} ({now.today:%d %b %Y})", table, (("Now", None),))
        for key, title in PERIOD_CHARTS:
            table = period.table(key)
            self._bars(key, title, table, ((period.period.label, None), (period.previous.label, period.previous)),
                       lambda f, p: drill_query(f.measure, f.group, now.today, p))
        self._trend(trend, now.today)

    def _bars(self, key: str, title: str, table: Table, series: tuple[tuple[str, Period | None], ...],
              earlier: Callable[[Figure, Period], CaseQuery] | None = None) -> None:
        categories = tuple(f.label for f in table.figures)
        values = [tuple(float(f.count) for f in table.figures)]
        opens = [[Opens(f.query, f"{table.title}: {f.label}") for f in table.figures]]
        if len(series) > 1:
            previous = series[1][1]
            assert previous is not None and earlier is not None
            values.append(tuple(float(f.previous or 0) for f in table.figures))
            opens.append([Opens(earlier(f, previous), f"{table.title}: {f.label} ({previous.label})")
                          for f in table.figures])
        chart = BarChart(title, categories, tuple(Series(name, v) for (name, _), v in zip(series, values, strict=True)),
                         unit="cases", counts=True)
        self.charts[key].set_chart(chart)
        self.opens[key] = opens

    def _trend(self, trend: tuple[TrendPoint, ...], today: dt.date) -> None:
        labels = tuple(short(p.period) for p in trend)
        kind = {"quarter": "quarters", "month": "months", "year": "years"}.get(trend[-1].period.kind, "periods")
        self.trend_heading.setText(f"<b>Trends</b>: {short(trend[0].period)} to {short(trend[-1].period)}, "
                                   f"the last {len(trend)} {kind}")
        most = max(p.referrals for p in trend)
        self.charts["trend.referrals"].set_chart(LineChart(
            "Referrals in each period", labels, (Series("Referrals", tuple(float(p.referrals) for p in trend)),),
            y_min=0, y_max=max(COUNTS_TOP, nice_top(most)), unit="cases"))
        self.opens["trend.referrals"] = [[Opens(p.query("referrals", today), f"Referrals: {p.period.label}")
                                          for p in trend]]
        self.charts["trend.waits"].set_chart(LineChart(
            "Median days from referral", labels,
            (Series("to joint assessment", tuple(p.to_assessment for p in trend)),
             Series("to a signed care plan", tuple(p.to_plan for p in trend))), y_min=0, unit="days"))
        self.opens["trend.waits"] = [
            [Opens(p.query("to_assessment", today), f"Referred in {p.period.label} and jointly assessed")
             for p in trend],
            [Opens(p.query("to_plan", today), f"Referred in {p.period.label} with a signed care plan")
             for p in trend]]

    def _open(self, key: str, series: int, index: int) -> None:
        opens = self.opens.get(key) or []
        if series < len(opens) and index < len(opens[series]):
            chosen = opens[series][index]
            self.figure_opened.emit(chosen.query, chosen.what)
