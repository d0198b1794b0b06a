""""Change risk level…": a practitioner raises or lowers the case's risk level, or hands it
back to the flags of the final forms, with a reason that is kept (services.case_risk).

The dialog shows what the flags say now, so a lowering is a decision made knowing them.
Bad input (no reason, a reason too long) is refused in the dialog with a message beside
the reason, and the dialog stays open with what was typed.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ddassess.errors import UserFacingError
from ddassess.services.case_risk import LEVEL_WORDS, CaseRisk, set_case_risk
from ddassess.services.vault import Store

FOLLOW_FLAGS = "flags"  # the combo's data for "follow the flags again"


class RiskLevelDialog(QDialog):
    def __init__(self, store: Store, case_id: int, risk: CaseRisk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.case_id = store, case_id
        self.result_risk: CaseRisk | None = None
        self.setWindowTitle("Change risk level")
        intro = QLabel(f"{risk.describe()}\n\nThe flags of the case's final forms say: "
                       f"{LEVEL_WORDS[risk.from_flags]}. A level you set stands until a newer final form "
                       "raises a flag above it.")
        intro.setWordWrap(True)
        self.level = QComboBox()
        self.level.setAccessibleName("New risk level")
        for words, data in (("Urgent", "urgent"), ("High", "high"), ("Not raised", "")):
            self.level.addItem(words, data)
        if risk.overridden:
            self.level.addItem("Follow the flags of the final forms again", FOLLOW_FLAGS)
        self.level.setCurrentIndex(max(0, self.level.findData(risk.level)))
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for the change")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("Why: kept with the change in the case's record")
        self.problem = QLabel()
        self.problem.setAccessibleName("Problem")
        self.problem.setStyleSheet("QLabel { color:#B00020; font-weight:bold; }")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.addRow("&New level:", self.level)
        form.addRow("&Reason:", self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Change level")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(intro)
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addWidget(self.buttons)
        self.level.setFocus()

    def accept(self) -> None:
        data = self.level.currentData()
        try:
            self.result_risk = set_case_risk(self.store, self.case_id, None if data == FOLLOW_FLAGS else data,
                                             self.reason.toPlainText())
        except UserFacingError as exc:  # said beside the reason; what was typed stays
            self.problem.setText(str(exc))
            self.problem.show()
            self.reason.setFocus()
            return
        super().accept()
