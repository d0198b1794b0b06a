"""Settings: idle lock, date format, text size, your role and service, the team server,
keyring, passphrase, and a new recovery key. Every value is checked before any is saved, then the settings and
the profile are saved in one transaction (Picard's options dialog does the same); each is
kept per practitioner in the encrypted store. What each setting is called and which values
it takes come from ``services.settings.SETTINGS``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ddassess.errors import UserFacingError
from ddassess.services.settings import (
    MAX_PROFILE_TEXT,
    MAX_SERVER_ADDRESS,
    SETTINGS,
    Profile,
    get_setting,
    logo_from_file,
    profile_problem,
    profile_to_edit,
    save_settings,
    settings_problem,
)
from ddassess.services.vault import (
    Store,
    change_passphrase,
    install_recovery_key,
    keyring_description,
    keyring_in_use,
    keyring_offered,
    passphrase_change_problem,
    propose_recovery_key,
    use_keyring,
)
from ddassess.ui.setup_page import RecoveryKeyPanel, recovery_text
from ddassess.ui.widgets import grow_to_fit_wrapped, password_field, problem_label

# How the dialog shows each general setting beyond its label and range (from SETTINGS).
SUFFIXES = {"idle_lock_minutes": " minutes", "font_size": " pt", "sync_every_minutes": " min"}
SPECIAL_TEXT = {"font_size": "System default"}  # shown for the lowest value


class SettingsDialog(QDialog):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Settings")
        layout = QVBoxLayout(self)
        general = QGroupBox("General")
        form = QFormLayout(general)
        self.idle = self._number("idle_lock_minutes")
        self.date_format = QComboBox()
        for fmt, example in SETTINGS["date_format"].choices:
            self.date_format.addItem(example, fmt)
        self.date_format.setCurrentIndex(max(0, self.date_format.findData(get_setting(store, "date_format"))))
        self.font_size = self._number("font_size")
        self.editors: dict[str, QSpinBox | QComboBox | QLineEdit] = {
            "idle_lock_minutes": self.idle, "date_format": self.date_format, "font_size": self.font_size}
        for key, editor in self.editors.items():
            label = SETTINGS[key].label
            editor.setAccessibleName(label)
            form.addRow(label, editor)
        layout.addWidget(general)

        profile = QGroupBox("You")
        pform = QFormLayout(profile)
        shown = profile_to_edit(store)
        self.role = QLineEdit(shown.role)
        self.agency = QLineEdit(shown.agency)
        # The organisation (care plan header) has a dialog of its own, from a button beside the
        # service: a row more here made the dialog taller than a screen at 200% text.
        self.organisation_button = QPushButton("Organisation and logo…")
        self.organisation_button.setToolTip("The organisation's name and logo printed at the top of care plan PDFs.")
        for label, w, tip in (("Your role", self.role, "Printed with your signature on care plans."),
                              ("Your service", self.agency, ("Printed with your signature on care plans, and put in "
                                                             "the signing certificates you are issued."))):
            w.setAccessibleName(label)
            w.setToolTip(tip)
            w.setMaxLength(MAX_PROFILE_TEXT)
            if w is self.agency:
                row = QHBoxLayout()
                row.addWidget(w, 1)
                row.addWidget(self.organisation_button)
                pform.addRow(label, row)
            else:
                pform.addRow(label, w)
        layout.addWidget(profile)

        # The team server: one row (the dialog must fit a screen at a large text size).
        server = QGroupBox("Team server")
        tform = QFormLayout(server)
        self.server = QLineEdit(get_setting(store, "sync_server"))
        self.server.setMaxLength(MAX_SERVER_ADDRESS)
        self.server.setPlaceholderText("https://server.example:8443 (empty: bundle files only)")
        self.server.setToolTip("The team server's address, from the team lead. Shared cases sync with it when "
                               "ddassess unlocks, soon after a save and every few minutes; bundle files keep "
                               "working with or without it. This laptop needs its server certificate first: "
                               "`ddassess sync request`, the lead's `ddassess sync issue`, then "
                               "`ddassess sync certificate`.")
        self.sync_every = self._number("sync_every_minutes")
        server_row = QHBoxLayout()
        server_row.addWidget(self.server, 1)
        every = QLabel(SETTINGS["sync_every_minutes"].label.lower())
        every.setBuddy(self.sync_every)
        server_row.addWidget(every)
        server_row.addWidget(self.sync_every)
        self.server.setAccessibleName(SETTINGS["sync_server"].label)
        self.sync_every.setAccessibleName(SETTINGS["sync_every_minutes"].label)
        self.editors["sync_server"] = self.server
        self.editors["sync_every_minutes"] = self.sync_every
        tform.addRow("Address", server_row)
        layout.addWidget(server)

        security = QGroupBox("Unlocking")
        sform = QFormLayout(security)
        self.keyring = QCheckBox("Unlock with the system keyring on this computer")
        self.keyring.setChecked(keyring_in_use(store))
        self.keyring.setEnabled(keyring_offered(store))
        note = QLabel(keyring_description())
        note.setWordWrap(True)
        sform.addRow(self.keyring)
        sform.addRow(note)
        self.old_pass = password_field("Current passphrase")
        self.new_pass = password_field("New passphrase")
        self.new_again = password_field("New passphrase again")
        sform.addRow("Current passphrase", self.old_pass)
        sform.addRow("New passphrase", self.new_pass)
        sform.addRow("New passphrase again", self.new_again)
        self.recovery_button = QPushButton("Make a new recovery key…")
        sform.addRow(self.recovery_button)
        layout.addWidget(security)
        self.message = problem_label()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.recovery_button.clicked.connect(self.new_recovery_key)
        self.organisation_button.clicked.connect(lambda: OrganisationDialog(self.store, self).exec())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        grow_to_fit_wrapped(self)  # the keyring note wraps: at a large text size it needs more lines

    def _number(self, key: str) -> QSpinBox:
        setting = SETTINGS[key]
        box = QSpinBox()
        box.setRange(setting.low, setting.high)
        box.setSuffix(SUFFIXES.get(key, ""))
        if key in SPECIAL_TEXT:
            box.setSpecialValueText(SPECIAL_TEXT[key])
        box.setValue(get_setting(self.store, key))
        return box

    def values(self) -> dict[str, Any]:
        """The general settings as they stand in the dialog (setting key → value)."""
        return {key: w.currentData() if isinstance(w, QComboBox) else w.text().strip() if isinstance(w, QLineEdit)
                else w.value() for key, w in self.editors.items()}

    def profile(self) -> Profile:
        return Profile(role=self.role.text(), agency=self.agency.text())

    def _problem(self) -> str | None:
        return (settings_problem(self.values()) or profile_problem(role=self.role.text(), agency=self.agency.text())
                or passphrase_change_problem(self.old_pass.text(), self.new_pass.text(), self.new_again.text()))

    def save(self) -> None:
        problem = self._problem()  # check everything before saving anything
        if problem:
            self.message.setText(problem)
            grow_to_fit_wrapped(self)  # a message of two lines is shown whole
            return
        try:
            if self.new_pass.text():
                change_passphrase(self.store, self.old_pass.text(), self.new_pass.text())
            problem = use_keyring(self.store, self.keyring.isChecked())
            if problem:
                self.message.setText(problem)
                return
            save_settings(self.store, self.values(), self.profile())
        except UserFacingError as exc:
            self.message.setText(str(exc))
            return
        self.accept()

    def new_recovery_key(self) -> None:
        """Show a new key with print / save and "I have kept it"; only then replace the old
        one. Cancelled, or closed by a lock, nothing changes and the old key still works."""
        if not self.old_pass.text():
            self.message.setText("Type your current passphrase first: it proves the request is yours.")
            return
        try:
            key = propose_recovery_key(self.store, self.old_pass.text())
        except UserFacingError as exc:
            self.message.setText(str(exc))
            return
        dialog = RecoveryKeyDialog(key, self.store.store_id, self)
        try:
            confirmed = dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.panel.clear()
            dialog.deleteLater()
        if not confirmed or not self.isVisible():  # not visible: a lock closed both dialogs
            self.message.setText("Nothing changed: your old recovery key still works.")
            return
        try:
            install_recovery_key(self.store, self.old_pass.text(), key)
        except UserFacingError as exc:
            self.message.setText(f"The new key was not set, and the old one still works: {exc}")
            return
        self.recovery_key = key
        self.message.setText("The new recovery key is set; the old one no longer works.")


class OrganisationDialog(QDialog):
    """The organisation's name and optional logo, printed at the top of care plan PDFs. The
    logo (PNG or JPEG, checked by pdf/logo.py) is kept in the encrypted store, never as a
    loose file; both are saved together, or neither."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Organisation and logo")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.organisation = QLineEdit(get_setting(store, "organisation_name"))
        self.organisation.setAccessibleName("Organisation")
        self.organisation.setMaxLength(MAX_PROFILE_TEXT)
        self.logo = str(get_setting(store, "organisation_logo"))
        self.logo_state = QLabel()
        self.logo_state.setAccessibleName("Organisation logo")
        self.choose_logo = QPushButton("Choose logo…")
        self.remove_logo = QPushButton("Remove logo")
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_state, 1)
        logo_row.addWidget(self.choose_logo)
        logo_row.addWidget(self.remove_logo)
        form.addRow("Organisation", self.organisation)
        form.addRow("Logo", logo_row)
        layout.addLayout(form)
        note = QLabel("Printed at the top of care plan PDFs. The logo is a PNG or JPEG of up to 200 KB, kept in the "
                      "encrypted store.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.message = problem_label()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.choose_logo.clicked.connect(self._pick_logo)
        self.remove_logo.clicked.connect(lambda: self._show_logo("", remove=True))
        self._show_logo("")

    def _show_logo(self, name: str, remove: bool = False) -> None:
        if remove:
            self.logo = ""
        size = len(self.logo) * 3 // 4
        # Short, on one line: the note under the group says where it is kept and when it is saved.
        self.logo_state.setText(f"{name or 'Logo set'} ({size / 1000:,.0f} KB)" if self.logo else "No logo")
        self.remove_logo.setEnabled(bool(self.logo))

    def _pick_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the organisation's logo", "",
                                              "Images (*.png *.jpg *.jpeg)")
        if path:
            self.use_logo_file(path)

    def use_logo_file(self, path: str) -> bool:
        """Take the image at ``path`` as the logo (saved with Save), or say why not."""
        try:
            self.logo = logo_from_file(path)
        except UserFacingError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText("")
        self._show_logo(Path(path).name)
        return True

    def save(self) -> None:
        try:
            save_settings(self.store, {"organisation_name": self.organisation.text().strip(),
                                       "organisation_logo": self.logo})
        except UserFacingError as exc:
            self.message.setText(str(exc))
            return
        self.accept()


class RecoveryKeyDialog(QDialog):
    """The new recovery key, as at set-up; "Use this key" once it is printed or saved."""

    def __init__(self, key: str, store_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New recovery key")
        layout = QVBoxLayout(self)
        self.panel = RecoveryKeyPanel(lambda: recovery_text(key, store_id))
        self.panel.show_key(key)
        note = QLabel("Your old recovery key keeps working until you press \"Use this key\".")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.use_button = self.buttons.addButton("Use this key", QDialogButtonBox.ButtonRole.AcceptRole)
        self.use_button.setEnabled(False)
        layout.addWidget(self.panel)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.panel.stored.toggled.connect(self.use_button.setEnabled)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
