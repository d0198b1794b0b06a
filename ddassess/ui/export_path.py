"""Where an exported PDF goes. A care plan PDF holds personal data, and once written it is
an ordinary file outside the encrypted store: each export says so, short and plain, before
the save dialog opens, and the dialog starts in the folder the last export went to (the
``export_folder`` setting)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ddassess.services.settings import get_setting, set_setting
from ddassess.services.vault import Store

WARNING_TITLE = "Personal data leaves the encrypted store"
WARNING = ("This PDF holds personal data. Saved as a file it is outside ddassess's encrypted store and is not "
           "encrypted: save it only where your service allows, and delete it once it is no longer needed.")
GO = "Choose where to save…"


def export_warning(parent: QWidget) -> bool:
    """The warning, once per export; True when the practitioner goes on to choose a place."""
    box = QMessageBox(QMessageBox.Icon.Warning, WARNING_TITLE, WARNING, parent=parent)
    go = box.addButton(GO, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(go)
    box.exec()
    return box.clickedButton() is go


def choose_export_path(parent: QWidget, store: Store, title: str, file_name: str,
                       default_folder: Path | None = None) -> Path | None:
    """Warn, then ask where to save ``file_name`` (a PDF), starting in the folder the last export
    went to, else ``default_folder``; remember the folder chosen. None when cancelled, or when a
    lock closed the store while a question was up."""
    if not export_warning(parent) or store.closed:
        return None
    return ask_save_path(parent, store, title, file_name, "PDF (*.pdf)", default_folder)


def ask_save_path(parent: QWidget, store: Store, title: str, file_name: str, file_filter: str,
                  default_folder: Path | None = None) -> Path | None:
    """Ask where to save ``file_name``, starting in the folder the last export went to, else
    ``default_folder``; remember the folder chosen. None when cancelled or the store was locked
    meanwhile. (The caller has said the file holds personal data: ``export_warning``.)"""
    remembered = get_setting(store, "export_folder")
    folder = Path(remembered) if remembered and Path(remembered).is_dir() else default_folder
    start = str(folder / file_name) if folder is not None else file_name
    name, _ = QFileDialog.getSaveFileName(parent, title, start, file_filter)
    if not name or store.closed:
        return None
    path = Path(name)
    if str(path.parent) != remembered:
        set_setting(store, "export_folder", str(path.parent))
    return path
