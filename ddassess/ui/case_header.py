"""The top of a case page: who the person is, the pathway as a timeline, the risk flags that
are active now, and the latest screening scores.

The values come from ``services.case_header`` (worked out with the forms engine); this
module only lays them out. Every step, flag and score is its own label with an accessible
name, so a screen reader can walk the pathway step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.models import PersonDetails
from ddassess.domain.nhs import format_nhs_number
from ddassess.domain.person import ETHNICITY_WORDS
from ddassess.errors import UserFacingError
from ddassess.services.case_header import SEVERITY_ORDER, ActiveFlag, CaseSummary, TimelineStep
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


def _clear_deep(layout: QLayout) -> None:
    """Empty a layout and the layouts inside it, deleting their widgets."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            continue
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            widget.deleteLater()
        elif inner is not None:
            _clear_deep(inner)
            inner.deleteLater()


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


class ElidedLabel(QLabel):
    """One line of plain text that never asks for more width than it is given: what does not
    fit ends in "…", and the whole text is its tooltip and accessible name."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width(), 40)
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def is_elided(self) -> bool:
        return self.text() != self.full_text


def flag_words(f: ActiveFlag, summary: CaseSummary) -> str:
    """A flag in words: its message, the form and date it comes from, and whether that form is unfinished."""
    partial = ", form not finished" if f.partial else ""
    return f"{f.message.rstrip('.')} ({f.form_title}, {summary.date(f.on)}{partial})"


def severity_line(severity: str, flags: list[ActiveFlag], summary: CaseSummary) -> str:
    """'URGENT — first flag (form, date)', or 'URGENT: 3 flags — first flag (form, date) and 2 more'."""
    head = severity.upper() if len(flags) == 1 else f"{severity.upper()}: {len(flags)} flags"
    more = f" and {len(flags) - 1} more" if len(flags) > 1 else ""
    return f"{head} — {flag_words(flags[0], summary)}{more}"


Acknowledger = Callable[[ActiveFlag, str], CaseSummary]


class RiskBanner(QFrame):
    """The case's risk flags in at most one line per severity (urgent, high, warning), each
    saying how many there are and the first; "Show all" lists every flag, acknowledged ones
    too, and is where a practitioner acknowledges one. Acknowledged flags leave the lines,
    never the record. Info flags (prompts such as "offer a joint assessment") are not risks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Active risk flags")
        self.setStyleSheet("RiskBanner { background:#FDECEE; border:1px solid #B00020; border-radius:4px; }")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(8, 4, 8, 4)
        self.column.setSpacing(2)
        self.flag_labels: list[QLabel] = []
        self.show_all_button = self._show_all_button()
        self.summary: CaseSummary | None = None
        self.acknowledger: Acknowledger | None = None  # set by the case page: records an acknowledgement
        self.dialog: FlagListDialog | None = None

    def _show_all_button(self) -> QPushButton:
        button = QPushButton("Show all flags…")
        button.setAccessibleName("Show all risk flags")
        button.clicked.connect(self.show_all)
        return button

    def show_flags(self, summary: CaseSummary) -> None:
        self.summary = summary
        _clear_deep(self.column)
        self.show_all_button = self._show_all_button()
        self.flag_labels = []
        # The case's level itself (which a practitioner may have set) is RiskLevelWidget's line.
        open_flags = summary.unacknowledged_risk_flags
        lines: list[tuple[str, str]] = []
        for severity in sorted({f.severity for f in open_flags}, key=lambda s: SEVERITY_ORDER.get(s, 9)):
            flags = [f for f in open_flags if f.severity == severity]
            lines.append((severity, severity_line(severity, flags, summary)))
        acked = len(summary.risk_flags) - len(open_flags)
        if acked and not open_flags:
            lines.append(("", f"All {acked} risk flag{'s' if acked > 1 else ''} acknowledged (still in the record)"))
        for i, (severity, text) in enumerate(lines):
            row = QHBoxLayout()
            row.setSpacing(6)
            line = ElidedLabel(text)
            colour = SEVERITY_COLOURS.get(severity, "#4B5563")
            line.setStyleSheet(f"QLabel {{ color:{colour}; {'font-weight:bold;' if severity else ''} }}")
            line.setProperty("severity", severity)
            row.addWidget(line, 1)
            if i == 0:
                row.addWidget(self.show_all_button)
            self.column.addLayout(row)
            self.flag_labels.append(line)
        if not lines and summary.risk_flags:
            self.column.addWidget(self.show_all_button)
        total = len(summary.risk_flags)
        self.show_all_button.setText(f"Show all {total} flag{'s' if total != 1 else ''}"
                                     + (f" ({acked} acknowledged)" if acked and open_flags else "") + "…")
        self.show_all_button.setVisible(bool(summary.risk_flags))
        self.setVisible(bool(self.flag_labels))
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_summary(summary)

    def texts(self) -> list[str]:
        """What the banner says, one line per severity (as a screen reader reads it)."""
        return [label.accessibleName() for label in self.flag_labels]

    def show_all(self) -> None:
        if self.summary is None:
            return
        if self.dialog is None:
            self.dialog = FlagListDialog(self)
            self.dialog.acknowledge.connect(self._acknowledge)
        self.dialog.show_summary(self.summary)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self.dialog.flags.setFocus()

    def _acknowledge(self, flag: ActiveFlag, reason: str) -> None:
        if self.acknowledger is None or self.dialog is None:
            return
        try:
            summary = self.acknowledger(flag, reason)
        except UserFacingError as exc:
            self.dialog.say(str(exc), error=True)
            return
        self.show_flags(summary)
        self.dialog.show_summary(summary)
        self.dialog.reason.clear()
        self.dialog.say(f"Acknowledged: {flag.message.rstrip('.')}. It stays in the record.")


class FlagListDialog(QDialog):
    """Every risk flag of the case, most severe first, with who acknowledged it, when and why;
    an unacknowledged one can be acknowledged here with a reason (kept and audited)."""

    acknowledge = Signal(object, str)  # the ActiveFlag, the reason

    COLUMNS = ("Severity", "Flag", "Form", "Date", "Acknowledged")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Risk flags of this case")
        self.setAccessibleName("Risk flags of this case")
        self.rows: list[ActiveFlag] = []
        self.flags = QTreeWidget()
        self.flags.setAccessibleName("Risk flags")
        self.flags.setRootIsDecorated(False)
        self.flags.setHeaderLabels(list(self.COLUMNS))
        self.flags.setWordWrap(True)
        self.flags.currentItemChanged.connect(lambda *_: self._selected())
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for acknowledging the selected flag")
        self.reason.setPlaceholderText("What was done about this flag, or why no action is needed")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 4)
        reason_label = QLabel("&Reason for acknowledging:")
        reason_label.setBuddy(self.reason)
        self.acknowledge_button = QPushButton("&Acknowledge selected flag")
        self.acknowledge_button.setAccessibleName("Acknowledge the selected flag")
        self.acknowledge_button.clicked.connect(self._acknowledge)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Acknowledgement message")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.flags)
        column.addWidget(reason_label)
        column.addWidget(self.reason)
        row = QHBoxLayout()
        row.addWidget(self.acknowledge_button)
        row.addWidget(self.message, 1)
        column.addLayout(row)
        column.addWidget(buttons)
        self.resize(1080, 440)

    def show_summary(self, summary: CaseSummary) -> None:
        keep = self._current()
        self.flags.clear()
        self.rows = sorted(summary.risk_flags, key=lambda f: (f.acknowledged is not None,
                                                              SEVERITY_ORDER.get(f.severity, 9)))
        for f in self.rows:
            ack = f.acknowledged
            ack_text = ("; also ".join(  # one flag acknowledged on two laptops: both
                f"{a.by}, {summary.date(a.at.astimezone())} {a.at.astimezone():%H:%M}: {a.reason}"
                for a in (ack, *ack.others)) if ack is not None else "not yet")
            partial = " (form not finished)" if f.partial else ""
            item = QTreeWidgetItem([f.severity.upper(), f.message + partial, f.form_title, summary.date(f.on),
                                    ack_text])
            item.setForeground(0, QColor(SEVERITY_COLOURS.get(f.severity, "#333")))
            for c in range(len(self.COLUMNS)):
                item.setToolTip(c, f"{f.severity.upper()} — {flag_words(f, summary)}. Acknowledged: {ack_text}")
            self.flags.addTopLevelItem(item)
        self.flags.resizeColumnToContents(0)
        self.flags.setColumnWidth(1, 460)
        self.flags.setColumnWidth(2, 170)
        self.flags.resizeColumnToContents(3)
        index = next((i for i, f in enumerate(self.rows) if keep is not None
                      and (f.response_uuid, f.flag_id) == (keep.response_uuid, keep.flag_id)), 0)
        current = self.flags.topLevelItem(index) if self.rows else None
        if current is not None:
            self.flags.setCurrentItem(current)
        self._selected()

    def _current(self) -> ActiveFlag | None:
        item = self.flags.currentItem()
        if item is None:
            return None
        i = self.flags.indexOfTopLevelItem(item)
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def _selected(self) -> None:
        f = self._current()
        can = f is not None and f.acknowledged is None and bool(f.flag_id and f.response_uuid)
        self.acknowledge_button.setEnabled(can)
        self.reason.setEnabled(can)

    def _acknowledge(self) -> None:
        f = self._current()
        if f is not None:
            self.acknowledge.emit(f, self.reason.toPlainText())

    def say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("QLabel { color:#B00020; }" if error else "")


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


class ConflictsLine(QFrame):
    """How many conflicts this shared case has ("2 conflicts to resolve"), and the way to
    them (ui/conflicts.py); hidden while there are none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet("ConflictsLine { background:#FFF8E1; border:1px solid #B45309; border-radius:4px; }")
        self.label = QLabel()
        self.label.setStyleSheet("QLabel { color:#7C2D12; font-weight:bold; }")
        self.button = QPushButton("Resolve conflicts…")
        self.button.setAccessibleName("Resolve the conflicts of this case")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 8, 2)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        self.hide()

    def show_count(self, n: int) -> None:
        text = f"{n} conflict{'s' if n != 1 else ''} to resolve: changed on two laptops at the same time"
        self.label.setText(text)
        self.label.setAccessibleName(text)
        self.setVisible(n > 0)


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
        self.risk_level = RiskLevelWidget()
        self.risk = RiskBanner()
        self.conflicts = ConflictsLine()  # a shared case's conflicts (the case page counts them)
        self.scores = ScoresStrip()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.identifiers)
        column.addLayout(person_row)
        column.addWidget(self.details)
        for w in (self.timeline, self.risk_level, self.risk, self.conflicts, self.scores):
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
        self.risk_level.show_risk(summary)
        self.risk.show_flags(summary)
        self.scores.show_scores(summary)
