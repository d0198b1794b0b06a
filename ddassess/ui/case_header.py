"""The top of a case page: who the person is, the pathway as a timeline, the risk flags that
are active now, and the latest screening scores.

The values come from ``services.case_header`` (worked out with the forms engine); this
module only lays them out. Every step, flag and score is its own label with an accessible
name, so a screen reader can walk the pathway step by step.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from ddassess.domain.models import PersonDetails
from ddassess.domain.nhs import format_nhs_number
from ddassess.domain.person import ETHNICITY_WORDS
from ddassess.services.case_header import CaseSummary, TimelineStep
from ddassess.ui.widgets import heading

STATE_WORDS = {"done": "done", "current": "now", "due": "next", "overdue": "overdue", "later": ""}
STATE_STYLE = {
    "done": "background:#E8F5E9; color:#1B5E20; border:1px solid #A5D6A7;",
    "current": "background:#1D4ED8; color:white; border:1px solid #1D4ED8; font-weight:bold;",
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


def contact_line(p: PersonDetails) -> str:
    """What a home visitor needs at a glance: the name they go by, the address and the phone."""
    parts = []
    known, pronouns = p.preferred_name.strip(), p.pronouns.strip()
    if known or pronouns:
        parts.append(" ".join(x for x in (f"known as {known}" if known else "", f"({pronouns})" if pronouns else "")
                              if x))
    address = ", ".join(line.strip() for line in p.address.splitlines() if line.strip())
    if p.postcode:
        address = f"{address} {p.postcode}".strip()
    parts.append(address or "no address recorded")
    parts.append(f"phone {p.phone}" if p.phone else "no phone recorded")
    return " · ".join(part.strip() for part in parts)


def detail_lines(p: PersonDetails) -> list[tuple[str, str]]:
    """The rest of what is recorded, behind "Details": (what, value), "not recorded" for blanks."""
    kin = p.next_of_kin_name
    if kin and p.next_of_kin_relationship:
        kin += f" ({p.next_of_kin_relationship})"
    if p.next_of_kin_phone:
        kin = f"{kin}, {p.next_of_kin_phone}" if kin else p.next_of_kin_phone
    rows = (("GP practice", p.gp_practice), ("Next of kin / emergency contact", kin), ("Email", p.email),
            ("Gender", p.gender), ("Ethnicity", ETHNICITY_WORDS.get(p.ethnicity, "")),
            ("Communication needs", " ".join(p.communication_needs.split())))
    return [(what, value or "not recorded") for what, value in rows]


class CaseHeader(QWidget):
    """Name and reference, identifiers, the person line (address and phone, the rest behind
    "Details", and "Edit person…"), timeline, risk banner and scores, from one summary."""

    edit_person_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = heading("")
        self.identifiers = QLabel()
        self.identifiers.setAccessibleName("Person's identifiers")
        self.identifiers.setWordWrap(True)
        self.contact = QLabel()
        self.contact.setAccessibleName("Address and phone")
        self.contact.setWordWrap(True)
        self.contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAccessibleName("Show the person's details")
        self.edit_button = QPushButton("Edit person…")
        self.edit_button.setAccessibleName("Edit person")
        self.details = QLabel()
        self.details.setAccessibleName("Person's details")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.hide()
        person_row = QHBoxLayout()
        person_row.setContentsMargins(0, 0, 0, 0)
        person_row.addWidget(self.contact, 1)
        person_row.addWidget(self.details_button)
        person_row.addWidget(self.edit_button)
        self.timeline = TimelineWidget()
        self.risk = RiskBanner()
        self.scores = ScoresStrip()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.identifiers)
        column.addLayout(person_row)
        column.addWidget(self.details)
        for w in (self.timeline, self.risk, self.scores):
            column.addWidget(w)
        self.details_button.toggled.connect(self._show_details)
        self.edit_button.clicked.connect(self.edit_person_requested)

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.details_button.setAccessibleName("Hide the person's details" if shown else "Show the person's details")

    def _show_person(self, p: PersonDetails | None) -> None:
        if p is None:
            self.contact.setText("")
            self.details.setText("")
            return
        line = contact_line(p)
        self.contact.setText(line)
        self.contact.setAccessibleDescription(line)
        rows = detail_lines(p)
        self.details.setText("<br/>".join(f"<b>{escape(what)}:</b> {escape(value)}" for what, value in rows))
        self.details.setAccessibleDescription("; ".join(f"{what}: {value}" for what, value in rows))

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
        self._show_person(d.person)
        self.timeline.show_steps(summary.steps, summary)
        self.risk.show_flags(summary)
        self.scores.show_scores(summary)
