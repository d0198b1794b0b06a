"""Unlocking: the keyring when it can, the passphrase otherwise, or the recovery key
(which then asks for a new passphrase). Every store error is shown here in its words.

The keyring and the passphrase give an ``Unlocked`` store (``key_ready``): the window
shows the first page of cases from it at once and opens the store fully meanwhile (see
``services.vault.finish_open``). The recovery key also sets a new passphrase, which needs
the open store, so it gives the ``Store`` itself (``store_ready``), as set-up does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QWidget

from ddassess.errors import DdassessError
from ddassess.services.vault import (
    Credentials,
    Unlocked,
    UnlockRequired,
    new_passphrase_problem,
    open_with_recovery_key,
    unlock,
)
from ddassess.ui.ops import Op
from ddassess.ui.widgets import centred_column, heading, password_field, problem_label

if TYPE_CHECKING:
    from ddassess.services.vault import Store


class UnlockPage(QWidget):
    key_ready = Signal(object)  # Unlocked: keyring or passphrase
    store_ready = Signal(object)  # Store: recovery key (a new passphrase is set with it)
    attempt_started = Signal()  # a key is being checked (the keyring asked, or what was typed)
    attempt_failed = Signal()  # ...and it did not unlock: the page asks again

    def __init__(self, folder: Path, parent: QWidget | None = None, *, demo_passphrase: str | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.demo_passphrase = demo_passphrase
        layout = centred_column(self)
        layout.addWidget(heading("ddassess is locked"))
        self.note = QLabel("Enter your passphrase to unlock your cases.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        form = QFormLayout()
        self.passphrase = password_field("Passphrase")
        form.addRow("Passphrase", self.passphrase)
        self.recovery = password_field("Recovery key")
        self.new_pass = password_field("New passphrase")
        self.new_again = password_field("New passphrase again")
        self.recovery_rows = [("Recovery key", self.recovery), ("New passphrase", self.new_pass),
                              ("New passphrase again", self.new_again)]
        for label, field in self.recovery_rows:
            form.addRow(label, field)
        layout.addLayout(form)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        self.switch_button = QPushButton("Forgotten it? Use the recovery key")
        self.message = problem_label()
        layout.addWidget(self.unlock_button)
        layout.addWidget(self.switch_button)
        layout.addWidget(self.message)
        layout.addStretch()
        self.form = form
        self.busy = False  # one unlock attempt at a time: two would race for the store's lock
        self.pending = False
        self.use_recovery = False
        self._show_recovery(False)
        self.unlock_button.clicked.connect(self.unlock)
        self.passphrase.returnPressed.connect(self.unlock)
        self.new_again.returnPressed.connect(self.unlock)
        self.switch_button.clicked.connect(lambda: self._show_recovery(not self.use_recovery))

    def _show_recovery(self, on: bool) -> None:
        self.use_recovery = on
        self.form.setRowVisible(0, not on)
        for i in range(1, 4):
            self.form.setRowVisible(i, on)
        self.switch_button.setText("Use my passphrase instead" if on else "Forgotten it? Use the recovery key")
        self.message.clear()
        (self.recovery if on else self.passphrase).setFocus()

    def try_keyring(self) -> None:
        """Called when the page is shown: unlock without a passphrase if the keyring can."""
        if self.demo_passphrase is not None:
            self.passphrase.setText(self.demo_passphrase)
            self.note.setText("This is the DEMO store: fictional people only. Its passphrase is filled in.")
            return

        def no_keyring(exc: BaseException) -> None:
            if not isinstance(exc, UnlockRequired):
                self.failed(exc)
                return
            self.busy = False
            self.attempt_failed.emit()
            self.passphrase.setFocus()
            if self.pending:  # the user pressed Unlock while the keyring was being asked
                self.pending = False
                self.unlock()

        self.busy = True
        self.attempt_started.emit()
        Op(self, lambda: unlock(self.folder, Credentials())).success(self._opened).failure(no_keyring).run()

    def unlock(self) -> None:
        if self.busy:
            self.pending = True
            return
        self.message.clear()
        if self.use_recovery:
            problem = new_passphrase_problem(self.new_pass.text(), self.new_again.text())
            if problem:
                self.message.setText(problem)
                return
            key, new = self.recovery.text(), self.new_pass.text()

            def with_recovery() -> Store:
                return open_with_recovery_key(self.folder, key, new)

            job: Callable[[], Unlocked | Store] = with_recovery
        else:
            passphrase = self.passphrase.text()
            if not passphrase:
                self.message.setText("Enter your passphrase.")
                return

            def with_passphrase() -> Unlocked:
                return unlock(self.folder, Credentials(passphrase=passphrase, use_keyring=False))

            job = with_passphrase

        self.unlock_button.setEnabled(False)
        self.unlock_button.setText("Unlocking…")
        self.busy = True
        self.attempt_started.emit()
        Op(self, job).success(self._opened).failure(self.failed).run()

    def _opened(self, opened: Unlocked | Store) -> None:
        self.busy = self.pending = False
        for field in (self.passphrase, self.recovery, self.new_pass, self.new_again):
            field.clear()
        self._reset_button()
        if isinstance(opened, Unlocked):
            self.key_ready.emit(opened)
        else:
            self.store_ready.emit(opened)

    def failed(self, exc: BaseException) -> None:
        """The unlock attempt failed: say why and ask again."""
        self.attempt_failed.emit()
        self.show_failure(exc)

    def show_failure(self, exc: BaseException) -> None:
        """Say why unlocking failed; also called when opening fails after the key was accepted."""
        self.busy = self.pending = False
        self._reset_button()
        if not isinstance(exc, DdassessError):
            raise exc
        self.message.setText(str(exc))
        field = self.recovery if self.use_recovery else self.passphrase
        field.selectAll()
        field.setFocus()

    def _reset_button(self) -> None:
        self.unlock_button.setEnabled(True)
        self.unlock_button.setText("Unlock")
