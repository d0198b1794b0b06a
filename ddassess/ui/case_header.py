"""The top of a case page: who the person is, the pathway as a timeline, the risk flags that
are active now, and the latest screening scores.

The values come from ``services.case_header`` (worked out with the forms engine); this
module only lays them out. Every step, flag and score is its own label with an accessible
name, so a screen reader can walk the pathway step by step.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ddassess.domain.nhs import format_nhs_number
from ddassess.services.case_header import CaseSummary, TimelineStep
from ddassess.ui.widgets import heading

# A step is done only when a form of it is final (services.case_header._steps).
STATE_WORDS = {"done": "done", "in_progress": "in progress (draft)", "not_done": "not recorded", "due": "next",
               "overdue": "overdue", "later": ""}
STATE_STYLE = {
    "done": "background:#E8F5E9; color:#1B5E20; border:1px solid #A5D6A7;",
    "in_progress": "background:#EFF6FF; color:#1E3A8A; border:2px solid #1D4ED8; font-weight:bold;",
    "not_done": "background:#FFFFFF; color:#7F1D1D; border:1px dashed #B91C1C;",
    "due": "background:#FFF8E1; color:#6D4C00; border:1px solid #F0C36D;",
    "overdue": "background:#B00020; color:white; border:1px solid #B00020; font-weight:bold;",
    "later": "background:#F3F4F6; color:#4B5563; border:1px solid #D1D5DB;",
}
SEVERITY_COLOURS = {"urgent": "#B00020", "high": "#C2410C", "warning": "#8A5A00", "info": "#1D4ED8"}


def _clear(layout: QHBoxLayout | QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.deleteLater()


class TimelineWidget(QWidget):
    """The pathway, one box per step: done (with its date), now, next, overdue or later."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Pathway")
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(2)
        self.step_labels: dict[str, QLabel] = {}

    def show_steps(self, steps: tuple[TimelineStep, ...], summary: CaseSummary) -> None:
        _clear(self.row)
        self.step_labels = {}
        for i, step in enumerate(steps):
            if i:
                arrow = QLabel("→")
                arrow.setAccessibleName("then")
                self.row.addWidget(arrow)
            when = summary.date(step.on)
            state = STATE_WORDS[step.state]
            if step.state == "overdue":
                state = f"overdue since {when}" if when else "overdue"
            elif step.state == "done" and when:
                state = f"done {when}"
            elif step.state in ("due", "later") and when:
                state = f"{state + ' · ' if state else ''}due {when}"
            label = QLabel(f"<b>{escape(step.title)}</b>" + (f"<br/><small>{escape(state)}</small>" if state else ""))
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet(f"QLabel {{ {STATE_STYLE[step.state]} border-radius:4px; padding:3px 6px; }}")
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            label.setAccessibleName(f"Step {i + 1} of {len(steps)}, {step.title}: {state or 'not started'}")
            label.setProperty("state", step.state)
            self.row.addWidget(label)
            self.step_labels[step.stage] = label
        self.row.addStretch()


class RiskBanner(QFrame):
    """Each active risk flag (urgent, high, warning) by severity and words, with the form and
    date it comes from. Info flags (prompts such as "offer a joint assessment") are not risks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Active risk flags")
        self.setStyleSheet("RiskBanner { background:#FDECEE; border:1px solid #B00020; border-radius:4px; }")
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(8, 4, 8, 4)
        self.column.setSpacing(2)
        self.flag_labels: list[QLabel] = []

    def show_flags(self, summary: CaseSummary) -> None:
        _clear(self.column)
        self.flag_labels = []
        level = summary.detail.risk_level
        if not summary.risk_flags and level in ("high", "urgent"):
            lead = QLabel(f"<b style='color:#B00020'>RISK: {level.upper()}</b> — recorded on the case; no form of "
                          "this case raises a flag now.")
            lead.setAccessibleName(f"Risk {level}")
            self.column.addWidget(lead)
            self.flag_labels.append(lead)
        for f in summary.risk_flags:
            text = f"{f.severity.upper()} — {f.message.rstrip('.')} ({f.form_title}, {summary.date(f.on)})"
            label = QLabel(f"<span style='color:{SEVERITY_COLOURS.get(f.severity, '#333')}'>"
                           f"<b>{escape(f.severity.upper())}</b></span> — {escape(text.split(' — ', 1)[1])}")
            label.setWordWrap(True)
            label.setAccessibleName(text)
            self.column.addWidget(label)
            self.flag_labels.append(label)
        self.setVisible(bool(self.flag_labels))

    def texts(self) -> list[str]:
        """What the banner says, one line per flag (as a screen reader reads it)."""
        return [label.accessibleName() for label in self.flag_labels]


class ScoresStrip(QWidget):
    """The latest total and band of each screening instrument of the case."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Latest screening scores")
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.score_labels: list[QLabel] = []

    def show_scores(self, summary: CaseSummary) -> None:
        _clear(self.row)
        self.score_labels = []
        if summary.scores:
            title = QLabel("Scores:")
            self.row.addWidget(title)
        for s in summary.scores:
            draft = " (draft)" if s.status == "draft" else ""
            text = f"{s.name} {s.value:g}" + (f" — {s.band}" if s.band else "") + draft
            label = QLabel(f"<b>{escape(s.name)} {s.value:g}</b>" + (f" — {escape(s.band)}" if s.band else "")
                           + f"<small>{escape(draft)} {escape(summary.date(s.on))}</small>")
            label.setStyleSheet("QLabel { border:1px solid #CBD5E1; border-radius:4px; padding:2px 6px; }")
            label.setAccessibleName(f"{text}, {summary.date(s.on)}")
            label.setProperty("plain", text)
            self.row.addWidget(label)
            self.score_labels.append(label)
        self.row.addStretch()
        self.setVisible(bool(summary.scores))

    def texts(self) -> list[str]:
        return [str(label.property("plain")) for label in self.score_labels]


RISK_LEVEL_STYLE = {
    "urgent": "background:#B00020; color:white;", "high": "background:#FFE0B2; color:#5D2E00;",
    "": "background:#F3F4F6; color:#1F2937;",
}


class RiskLevelWidget(QWidget):
    """The case's one risk level (services.case_risk), saying whether the flags of its final
    forms set it or a practitioner did (who, when, why, and what the flags say), and the
    "Change risk level…" action."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.change_button = QPushButton("Change risk level…")
        self.change_button.setAccessibleName("Change risk level")
        self.change_button.setToolTip("Raise or lower the case's risk level, with a reason that is kept")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.change_button)

    def show_risk(self, summary: CaseSummary) -> None:
        risk = summary.risk
        plain = risk.describe()
        words = risk.level.upper() if risk.level else "NOT RAISED"
        tail = escape(plain.removeprefix(f"Risk level: {words}"))  # describe() starts with it
        self.label.setText(f"<span style='{RISK_LEVEL_STYLE.get(risk.level, '')}'>"
                           f"<b>&nbsp;Risk level: {escape(words)}&nbsp;</b></span>{tail}")
        self.label.setAccessibleName(plain)
        self.label.setProperty("plain", plain)

    def text(self) -> str:
        return str(self.label.property("plain"))


class CaseHeader(QWidget):
    """Name and reference, identifiers, timeline, risk banner and scores, from one summary."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = heading("")
        self.identifiers = QLabel()
        self.identifiers.setAccessibleName("Person's identifiers")
        self.identifiers.setWordWrap(True)
        self.timeline = TimelineWidget()
        self.risk_level = RiskLevelWidget()
        self.risk = RiskBanner()
        self.scores = ScoresStrip()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for w in (self.title, self.identifiers, self.timeline, self.risk_level, self.risk, self.scores):
            column.addWidget(w)

    def show_summary(self, summary: CaseSummary) -> None:
        d = summary.detail
        self.title.setText(f"{d.person_name} — {d.ref}")
        self.title.setAccessibleName(self.title.text())
        nhs = f"NHS {format_nhs_number(d.nhs_number)}" if d.nhs_number else "no NHS number"
        dob = f"born {summary.date(d.date_of_birth)}" if d.date_of_birth else "date of birth not known"
        parts = [nhs, dob, f"opened {summary.date(d.opened_on)}"]
        if d.lead_agency:
            parts.append(f"lead: {d.lead_agency}")
        plain = " · ".join(parts)
        html = escape(plain)
        if d.next_review_due is not None:
            if summary.review_overdue:
                words = f"review overdue since {summary.date(d.next_review_due)}"
                html += f" · <span style='color:#B00020'><b>{escape(words)}</b></span>"
            else:
                words = f"next review {summary.date(d.next_review_due)}"
                html += f" · {escape(words)}"
            plain += f" · {words}"
        self.identifiers.setText(html)
        self.identifiers.setAccessibleDescription(plain)
        self.timeline.show_steps(summary.steps, summary)
        self.risk_level.show_risk(summary)
        self.risk.show_flags(summary)
        self.scores.show_scores(summary)
