"""Start the desktop client: the QApplication, the crash handler, the catalogue, the window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from ddassess.formengine import load_catalogue
from ddassess.paths import store_dir
from ddassess.ui.errors import install_excepthook
from ddassess.ui.mainwindow import MainWindow


def build_window(demo: bool = False) -> MainWindow:
    catalogue = load_catalogue()
    folder = store_dir(demo=demo)
    demo_passphrase = None
    if demo:
        from ddassess.services.demo import DEMO_PASSPHRASE, open_or_create_demo

        open_or_create_demo(folder, catalogue).close()
        demo_passphrase = DEMO_PASSPHRASE
    return MainWindow(folder, catalogue, demo_passphrase=demo_passphrase)


def run(demo: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("ddassess")
    install_excepthook()
    window = build_window(demo)
    window.resize(1200, 800)
    window.show()
    return app.exec()
