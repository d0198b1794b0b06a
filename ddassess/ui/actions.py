"""The window's menus, and the one table of which action works in which session state.

Every action that needs the store is enabled from ``ENABLED_IN`` and nowhere else: the
window calls ``MenuActions.follow`` on every move of its session (``services.session``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox

from ddassess.services.session import Phase

ALWAYS = frozenset(Phase)
ENABLED_IN: dict[str, frozenset[Phase]] = {
    "new": frozenset({Phase.OPEN}),
    "settings": frozenset({Phase.OPEN}),
    "verify": frozenset({Phase.OPEN}),
    "countersign": frozenset({Phase.OPEN}),
    "print_many": frozenset({Phase.OPEN}),
    "export": frozenset({Phase.OPEN}),
    "import_fhir": frozenset({Phase.OPEN}),
    "signing_setup": frozenset({Phase.OPEN}),
    "finalise": frozenset({Phase.OPEN}),
    "team_view": frozenset({Phase.OPEN}),
    "agenda": frozenset({Phase.OPEN}),
    "history": frozenset({Phase.OPEN}),
    "conflicts": frozenset({Phase.OPEN}),
    "send_changes": frozenset({Phase.OPEN}),
    "receive_changes": frozenset({Phase.OPEN}),
    "sync_now": frozenset({Phase.OPEN}),
    # Cases are on screen while the store opens: Ctrl+L must hide them then too.
    "lock": frozenset({Phase.OPENING, Phase.OPEN}),
    "quit": ALWAYS,
    "about": ALWAYS,
}


class MenuActions:
    """File and Help menus on ``window``; ``handlers`` maps each action's name to what it does."""

    def __init__(self, window: QMainWindow, handlers: dict[str, Callable[[], object]]) -> None:
        self.new = QAction("&New referral…", window, shortcut=QKeySequence(QKeySequence.StandardKey.New))
        self.settings = QAction("&Settings…", window, shortcut=QKeySequence(QKeySequence.StandardKey.Preferences))
        self.verify = QAction("&Verify a care plan…", window)
        self.countersign = QAction("Sign a &received care plan…", window)
        self.print_many = QAction("&Print care plans of selected cases…", window)
        self.signing_setup = QAction("Si&gning set-up…", window)
        self.export = QAction("&Export…", window)
        self.import_fhir = QAction("&Import FHIR…", window)
        self.lock = QAction("&Lock", window, shortcut=QKeySequence("Ctrl+L"))
        self.quit = QAction("&Quit", window, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        self.about = QAction("&About ddassess", window)
        # Ctrl+Return from anywhere in an open draft form: what its Finalise button does.
        self.finalise = QAction("&Finalise the open form…", window, shortcut=QKeySequence("Ctrl+Return"))
        # The team lead's figures (View → Team view), in a tab beside the cases.
        self.team_view = QAction("&Team view", window, shortcut=QKeySequence("Ctrl+Shift+T"))
        # The complex case review meeting's agenda: printed, and each case's review form started from it.
        self.agenda = QAction("Complex case review &agenda…", window)
        # Ctrl+H: the history of the case in the current tab (its page has the same button).
        self.history = QAction("Case &history…", window, shortcut=QKeySequence("Ctrl+H"))
        self.conflicts = QAction("&Conflicts…", window)  # every open conflict of every shared case
        self.send_changes = QAction("Sen&d changes…", window)  # a bundle file for a colleague or the team
        self.receive_changes = QAction("&Receive changes…", window)
        # With the team server (Settings): at once, off the GUI thread (F5 as mail clients fetch mail).
        self.sync_now = QAction("S&ync now", window, shortcut=QKeySequence("F5"))
        self.by_name: dict[str, QAction] = {
            "new": self.new, "settings": self.settings, "verify": self.verify, "countersign": self.countersign,
            "print_many": self.print_many, "signing_setup": self.signing_setup, "lock": self.lock,
            "quit": self.quit, "about": self.about, "finalise": self.finalise, "export": self.export,
            "import_fhir": self.import_fhir, "team_view": self.team_view, "agenda": self.agenda,
            "history": self.history, "conflicts": self.conflicts, "send_changes": self.send_changes,
            "receive_changes": self.receive_changes, "sync_now": self.sync_now}
        file_menu = window.menuBar().addMenu("&File")
        for name in ("new", "finalise", "history", "conflicts", "settings", "verify", "countersign", "print_many",
                     "export", "import_fhir", "send_changes", "receive_changes", "sync_now",
                     "signing_setup", "lock", "quit"):
            file_menu.addAction(self.by_name[name])
        view_menu = window.menuBar().addMenu("&View")
        view_menu.addAction(self.team_view)
        view_menu.addAction(self.agenda)
        window.menuBar().addMenu("&Help").addAction(self.about)
        handlers = {**handlers, "about": lambda: QMessageBox.about(
            window, "ddassess", "Joint dual-diagnosis assessment on an encrypted local store. GPL-3.0-or-later.")}
        for name, handler in handlers.items():
            self.by_name[name].triggered.connect(lambda _checked=False, h=handler: h())

    def follow(self, phase: Phase) -> None:
        """Enable exactly the actions that work in ``phase``."""
        for name, action in self.by_name.items():
            action.setEnabled(phase in ENABLED_IN[name])
