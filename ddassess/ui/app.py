"""Start the desktop client: the QApplication, the crash handler, the catalogue, the window."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from ddassess.paths import store_dir
from ddassess.ui.errors import install_excepthook
from ddassess.ui.mainwindow import MainWindow

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue


def load_catalogue() -> Catalogue:
    """The forms catalogue (the forms engine is imported only when this runs)."""
    from ddassess.formengine import load_catalogue as load

    return load()


def build_window(demo: bool = False) -> MainWindow:
    folder = store_dir(demo=demo)
    if not demo:
        return MainWindow(folder, load_catalogue)  # the catalogue is read when first needed
    from ddassess.services.demo import DEMO_PASSPHRASE, open_or_create_demo

    catalogue = load_catalogue()
    open_or_create_demo(folder, catalogue).close()
    return MainWindow(folder, catalogue, demo_passphrase=DEMO_PASSPHRASE)


def run(demo: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("ddassess")
    install_excepthook()
    window = build_window(demo)
    window.resize(1200, 800)
    window.show()
    return app.exec()
