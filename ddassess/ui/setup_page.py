"""First run: the practitioner's profile, a passphrase typed twice, the recovery key shown
once (with print and save), and a test unlock before going on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ddassess.domain.limits import practitioner_problem
from ddassess.services.vault import (
    MIN_PASSPHRASE_LENGTH,
    check_passphrase,
    keyring_description,
    passphrase_problem,
    secure_keyring,
)
from ddassess.ui.errors import show_error
from ddassess.ui.ops import Op
from ddassess.ui.widgets import (
    PassphraseStrength,
    centred_column,
    heading,
    password_field,
    problem_label,
)

if TYPE_CHECKING:
    from ddassess.services.vault import CreatedStore, Store


def recovery_text(key: str, store_id: str) -> str:
    return (f"ddassess recovery key\n\n{key}\n\nStore id {store_id}\n"
            "Keep this apart from the laptop. With it a new passphrase can be set.\n")


class RecoveryKeyPanel(QWidget):
    """The recovery key, shown once: print it, save it to a file, and say it is kept.

    Used at set-up and when a new key is made in Settings; ``stored`` is the "I have
    kept it" confirmation that the caller waits for.
    """

    def __init__(self, text: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = text
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        intro = QLabel("<b>Your recovery key.</b> If you forget your passphrase, this key lets you set a new one. "
                       "It is shown only now: print it or save it somewhere safe, away from this laptop.")
        intro.setWordWrap(True)
        self.key_label = QLabel()
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setFont(QFont("DejaVu Sans Mono", 16))
        self.key_label.setAccessibleName("Recovery key")
        buttons = QHBoxLayout()
        self.print_button = QPushButton("Print…")
        self.save_button = QPushButton("Save to a file…")
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch()
        self.stored = QCheckBox("I have printed or saved the recovery key")
        self.error = problem_label()
        box.addWidget(intro)
        box.addWidget(self.key_label)
        box.addLayout(buttons)
        box.addWidget(self.stored)
        box.addWidget(self.error)
        self.print_button.clicked.connect(self._print)
        self.save_button.clicked.connect(self._save)

    def show_key(self, key: str) -> None:
        self.key_label.setText(key)
        self.stored.setChecked(False)
        self.error.clear()

    def clear(self) -> None:
        self.key_label.clear()

    def _print(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        if QPrintDialog(printer, self).exec():
            doc = QTextDocument(self.text())
            doc.print_(printer)
            self.error.setProperty("ok", True)
            self.error.setText("Sent to the printer. Keep the page away from this laptop, then tick the box below.")

    def save_to(self, path: Path) -> bool:
        from ddassess.fileio import atomic_write

        try:
            atomic_write(path, self.text().encode("utf-8"))
        except OSError as exc:
            self.error.setProperty("ok", False)
            self.error.setText(f"Could not save there ({exc.strerror}); choose another place.")
            return False
        self.error.setProperty("ok", True)
        self.error.setText(f"Saved to {path}. Move it away from this laptop (a USB stick kept apart, or print it), "
                           "then tick the box below.")
        return True

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the recovery key", "ddassess-recovery-key.txt")
        if path:
            self.save_to(Path(path))


class FirstRunPage(QWidget):
    store_ready = Signal(object)  # Store

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.created: CreatedStore | None = None
        self.steps = QStackedWidget()
        self.steps.addWidget(self._profile_step())
        self.steps.addWidget(self._recovery_step())
        outer = centred_column(self)
        outer.addWidget(heading("Set up ddassess on this computer"))
        outer.addWidget(self.steps)
        outer.addStretch()

    # step 1 -------------------------------------------------------------------------

    def _profile_step(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.name = QLineEdit()
        self.role = QLineEdit()
        self.agency = QLineEdit()
        self.passphrase = password_field("New passphrase")
        self.confirm = password_field("New passphrase again")
        self.strength = problem_label()
        self.keyring_box = QCheckBox("Unlock with the system keyring on this computer")
        self.keyring_box.setAccessibleName("Use the system keyring")
        usable = secure_keyring() is not None
        self.keyring_box.setChecked(usable)
        self.keyring_box.setEnabled(usable)
        self.keyring_note = QLabel(keyring_description())
        self.keyring_note.setWordWrap(True)
        self.create_button = QPushButton("Create encrypted store")
        self.create_button.setAccessibleName("Create encrypted store")
        self.create_error = problem_label()
        for label, widget in (("Your name", self.name), ("Your role", self.role), ("Your service", self.agency)):
            widget.setAccessibleName(label)
            form.addRow(label, widget)
        intro = QLabel("Everything you record is kept encrypted on this computer. Choose a passphrase of at least "
                       "ten characters — a few unrelated words work well. It is asked when ddassess starts and "
                       "after it locks.")
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Type it again", self.confirm)
        self.meter = PassphraseStrength(min_length=MIN_PASSPHRASE_LENGTH)  # how hard to guess, as you type
        self.meter.watch(self.passphrase)
        form.addRow("", self.meter)
        form.addRow("", self.strength)
        form.addRow("", self.keyring_box)
        form.addRow("", self.keyring_note)
        form.addRow("", self.create_button)
        form.addRow("", self.create_error)
        self._typed: set[QLineEdit] = set()  # boxes the user has typed in
        self._tried = False  # the user tried to create the store
        for box in (self.name, self.role, self.agency, self.passphrase, self.confirm):
            box.textChanged.connect(self._check)
            box.textEdited.connect(lambda _text, box=box: self._typed_in(box))
            box.returnPressed.connect(self._submit)  # Enter creates, as the button does
        self.create_button.clicked.connect(self._submit)
        self.create_button.setDefault(True)
        self._check()
        return w

    def _problems(self) -> list[tuple[QLineEdit, str]]:
        """Every problem with what is typed, in the page's order, each with the box it is about."""
        problems: list[tuple[QLineEdit, str]] = []
        if not self.name.text().strip():
            problems.append((self.name, "Enter your name: it is recorded with everything you save."))
        else:  # each box's problem with the box: the name's, then the role's, then the service's
            texts = [self.name.text(), self.role.text(), self.agency.text()]
            for n, box in enumerate((self.name, self.role, self.agency), start=1):
                problem = practitioner_problem(*texts[:n])
                if problem:
                    problems.append((box, problem))
                    break
        problem = passphrase_problem(self.passphrase.text())
        if problem:
            problems.append((self.passphrase, problem))
        if self.confirm.text() != self.passphrase.text():
            problems.append((self.confirm, "The two passphrases differ."))
        return problems

    def _problem(self) -> str | None:
        problems = self._problems()
        return problems[0][1] if problems else None

    def _check(self) -> None:
        """Say what is wrong only about boxes the user has typed in (all of them once they
        tried to create the store): nothing is wrong before anything is typed. A passphrase
        too short is said once, by the strength meter under it."""
        problems = self._problems()
        shown = next(((w, text) for w, text in problems if self._tried or w in self._typed), None)
        if shown is not None and shown[0] is self.passphrase and self.meter.verdict == "too short":
            text = ""  # the meter right above says it
        elif shown is not None:
            text = shown[1]
        else:
            text = "" if problems else "Passphrase accepted."
        self.strength.setText(text)
        self.strength.setProperty("ok", not problems)

    def _typed_in(self, box: QLineEdit) -> None:
        self._typed.add(box)
        self._check()

    def _submit(self) -> None:
        """Create (the button or Enter in any box): if something is wrong, say what and go to it."""
        if not self.create_button.isEnabled():
            return  # already creating
        self._tried = True
        self._check()
        problems = self._problems()
        if problems:
            if problems[0][0] is self.passphrase and self.meter.verdict == "too short":
                self.strength.setText(problems[0][1])  # asked for: say it here too, where the eye goes
            problems[0][0].setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._create()

    def _create(self) -> None:
        profile = {"name": self.name.text(), "role": self.role.text(), "agency": self.agency.text()}
        passphrase, use_keyring = self.passphrase.text(), self.keyring_box.isChecked()
        self.create_button.setEnabled(False)
        self.create_button.setText("Creating…")

        def failed(exc: BaseException) -> None:
            self.create_button.setText("Create encrypted store")
            self.create_button.setEnabled(True)
            self._check()
            show_error(self, exc)

        def create() -> CreatedStore:
            from ddassess.services.vault import create_store  # loads SQLAlchemy: not at start-up

            return create_store(self.folder, passphrase, practitioner=profile, use_keyring=use_keyring)

        Op(self, create).success(self._created).failure(failed).run()

    # step 2 -------------------------------------------------------------------------

    def _recovery_step(self) -> QWidget:
        w = QWidget()
        box = QVBoxLayout(w)
        self.panel = RecoveryKeyPanel(self._recovery_text)
        self.key_label, self.stored = self.panel.key_label, self.panel.stored
        self.print_button, self.save_button = self.panel.print_button, self.panel.save_button
        self.test_passphrase = password_field("Passphrase, to check it works")
        self.test_error = problem_label()
        self.continue_button = QPushButton("Check passphrase and start")
        self.continue_button.setEnabled(False)
        form = QFormLayout()
        form.addRow("Type your passphrase once more", self.test_passphrase)
        box.addWidget(self.panel)
        box.addLayout(form)
        box.addWidget(self.continue_button)
        box.addWidget(self.test_error)
        self.stored.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self._test_unlock)
        self.test_passphrase.returnPressed.connect(self._test_unlock)
        return w

    def _created(self, created: CreatedStore) -> None:
        self.created = created
        self.passphrase.clear()
        self.confirm.clear()
        self.key_label.setText(created.recovery_key)
        self.steps.setCurrentIndex(1)
        self.stored.setFocus()

    def _recovery_text(self) -> str:
        assert self.created is not None
        return recovery_text(self.created.recovery_key, self.created.store.store_id)

    def forget(self) -> None:
        """Drop the recovery key and the store: they were shown once, and are not kept."""
        self.key_label.clear()
        self.test_passphrase.clear()
        self.created = None

    def _test_unlock(self) -> None:
        assert self.created is not None
        if not check_passphrase(self.created.store, self.test_passphrase.text()):
            self.test_error.setText("That is not the passphrase you chose. Type it again; if you cannot "
                                    "remember it, use the recovery key above.")
            self.test_passphrase.selectAll()
            return
        store: Store = self.created.store
        self.forget()
        self.store_ready.emit(store)
