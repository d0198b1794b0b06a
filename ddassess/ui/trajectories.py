""""Scores over time": one small line chart per instrument of the case (its final totals,
the form's bands shaded), on the case page and above the joint review form."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ddassess.services.trajectories import Trajectory
from ddassess.ui.charts import LineChartWidget
from ddassess.ui.widgets import relative_font

NO_SCORES = "No final screening scores yet: each final PHQ-9, GAD-7, AUDIT, SADQ… adds a point here."


class TrajectoryPanel(QWidget):
    """The case's trajectories, two charts a row; a line saying so when there are none."""

    def __init__(self, columns: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.heading = QLabel("Scores over time")
        relative_font(self.heading, 1.2)
        self.heading.setAccessibleName("Scores over time")
        self.empty = QLabel(NO_SCORES)
        self.empty.setWordWrap(True)
        self.grid = QGridLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.empty)
        layout.addLayout(self.grid)
        self.charts: list[LineChartWidget] = []
        self.setAccessibleName("Scores over time")

    def show_trajectories(self, trajectories: tuple[Trajectory, ...], date_format: str = "%d %b %Y") -> None:
        for chart in self.charts:
            self.grid.removeWidget(chart)
            chart.setParent(None)
            chart.deleteLater()
        self.charts = []
        for i, trajectory in enumerate(trajectories):
            chart = LineChartWidget(trajectory.chart(date_format))
            chart.setMinimumHeight(chart.minimumSizeHint().height())
            self.grid.addWidget(chart, i // self.columns, i % self.columns)
            self.charts.append(chart)
        self.empty.setVisible(not trajectories)
