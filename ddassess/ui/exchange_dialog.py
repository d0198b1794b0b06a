"""File → Send changes… and File → Receive changes…: shared cases carried between laptops as
encrypted bundle files (``services.exchange``).

Sending: to one colleague or to everyone in the care teams of the cases held here; the
dialog shows what is waiting for each, and the bundle's place (checked writable before any
work). Receiving: a bundle file, then what it brought: cases and forms, who, when,
conflicts, and anything refused with its reason. Both run off the GUI thread (``ui.ops``);
receiving announces the cases it changed, so open case pages refresh.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddassess.services import exchange
from ddassess.services.interchange import check_writable
from ddassess.services.vault import Store
from ddassess.ui.changes import Change
from ddassess.ui.errors import show_error
from ddassess.ui.export_path import ask_save_path
from ddassess.ui.ops import Op

TEAM = ""  # the "to" choice meaning every colleague in a care team here


class SendChangesDialog(QDialog):
    """Choose who and where; shows what is waiting; writes the bundle when Send is clicked."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.report: exchange.ExportReport | None = None
        self.setWindowTitle("Send changes")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.to = QComboBox(self)
        self.to.setAccessibleName("Send to")
        self.to.addItem("Everyone in the care teams of my cases", TEAM)
        for uuid, name in exchange.colleagues(store):
            self.to.addItem(name, uuid)
        form.addRow("Send to:", self.to)
        self.waiting = QLabel(self)
        self.waiting.setWordWrap(True)
        self.waiting.setAccessibleName("What will be sent")
        form.addRow("Waiting:", self.waiting)
        row = QHBoxLayout()
        self.path = QLineEdit(self)
        self.path.setAccessibleName("Bundle file")
        self.path.setPlaceholderText("a file ending in .ddbundle")
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        row.addWidget(self.path)
        row.addWidget(browse)
        form.addRow("Save as:", row)
        layout.addLayout(form)
        note = QLabel("The bundle is encrypted: only the colleagues it is for can read it. Carry it to them "
                      "(a USB stick, your service's shared drive).")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.send = self.buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send.clicked.connect(self._send)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._waiting = exchange.waiting_to_send(store)
        self.to.currentIndexChanged.connect(self._show_waiting)
        self._show_waiting()

    def _show_waiting(self) -> None:
        chosen = self.to.currentData()
        shown = [w for w in self._waiting if chosen in (TEAM, w.practitioner)]
        if not shown:
            self.waiting.setText("Nothing new is waiting (the bundle will carry the team roster and case keys).")
            return
        self.waiting.setText("\n".join(f"{w.name}: {w.operations} change(s) in {w.cases} case(s)" for w in shown))

    def _browse(self) -> None:
        path = ask_save_path(self, self.store, "Save the bundle", "changes.ddbundle", "Bundle (*.ddbundle)")
        if path is not None:
            self.path.setText(str(path))

    def _send(self) -> None:
        text = self.path.text().strip()
        if not text:
            self.path.setFocus()
            self.path.setPlaceholderText("Say where to save the bundle (a file ending in .ddbundle)")
            return
        out = Path(text)
        try:
            check_writable(out, exchange.SUFFIX)
        except Exception as exc:  # noqa: BLE001 - shown to the practitioner in its own words
            show_error(self, exc)
            return
        to = self.to.currentData() or None
        store = self.store
        self.send.setEnabled(False)
        Op(self, lambda: exchange.export_changes(store, to=to, out=out)).success(self._sent) \
            .failure(self._failed).changes(Change.CASES).run()

    def _sent(self, report: exchange.ExportReport) -> None:
        self.report = report
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.send.setEnabled(True)
        show_error(self, exc)


class ReceiveChangesDialog(QDialog):
    """Choose a bundle file, receive it, then show what it brought."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.report: exchange.ImportReport | None = None
        self.setWindowTitle("Receive changes")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit(self)
        self.path.setAccessibleName("Bundle file")
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        row.addWidget(QLabel("Bundle file:"))
        row.addWidget(self.path)
        row.addWidget(browse)
        layout.addLayout(row)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What the bundle brought")
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        self.receive = self.buttons.addButton("Receive", QDialogButtonBox.ButtonRole.ActionRole)
        self.receive.clicked.connect(self._receive)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Receive a bundle", "", "Bundle (*.ddbundle);;All files (*)")
        if name:
            self.path.setText(name)

    def _receive(self) -> None:
        text = self.path.text().strip()
        if not text:
            self.path.setFocus()
            return
        path, store = Path(text), self.store
        self.receive.setEnabled(False)
        Op(self, lambda: exchange.import_changes(store, path)).success(self._received).failure(self._failed) \
            .changes(Change.CASES | Change.RESPONSES | Change.CARE_PLANS).run()

    def _received(self, report: exchange.ImportReport) -> None:
        self.report = report
        self.receive.setEnabled(True)
        self.summary.setText(describe(report))

    def _failed(self, exc: Exception) -> None:
        self.receive.setEnabled(True)
        self.summary.setText("Nothing was changed.")
        show_error(self, exc)


def describe(report: exchange.ImportReport) -> str:
    """What a bundle brought, in words."""
    lines = [f"From {report.sender}, made {report.made_at.replace('T', ' ')[:16]} UTC."]
    if report.nothing_new:
        lines.append("Nothing new: everything in it was received before. Nothing was changed.")
    else:
        lines.append(f"{report.operations} change(s) applied from {report.envelopes} envelope(s)"
                     + (f", by {', '.join(report.authors)}" if report.authors else "") + ".")
        for ref, forms in sorted(report.cases.items()):
            lines.append(f"  {ref}" + (f": {', '.join(forms)}" if forms else ""))
        if report.conflicts:
            lines.append(f"{report.conflicts} new conflict(s): see File → Conflicts….")
        if report.waiting:
            lines.append(f"{report.waiting} change(s) wait for a record not received yet.")
        if report.roster_adopted:
            lines.append("A newer team roster came with it and is now in force.")
    if report.released:
        lines.append(f"{report.released} change(s) that waited for their case key were applied.")
    if report.waiting_for_key:
        lines.append(f"{report.waiting_for_key} change(s) wait for their case key: they are kept and applied when it "
                     "arrives.")
    lines += [f"Refused: {why}" for why in report.refused]
    return "\n".join(lines)
