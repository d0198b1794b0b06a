"""One signal that says what changed in the store, so views refresh themselves.

Whatever changes the store (a referral added, a form started, finalised or amended, the
settings saved) announces it once, with the case it concerns; the case list, the case
pages (and their headers) and the window listen and refresh what they show. Nobody has
to know which views exist to keep them current (Anki's ``operation_did_execute``).
Background work declares its change on the ``Op`` (``ui.ops``); work done on the GUI
thread calls ``announce`` when it is done. Delivery is immediate, on the GUI thread.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal


class Change(enum.Flag):
    NOTHING = 0
    # A case added, or what the case list shows of one: its stage, risk level, lead agency and
    # next review follow from final forms, so finalising or amending a form announces CASES too.
    CASES = enum.auto()
    RESPONSES = enum.auto()  # a form started, finalised, amended or an amendment dropped
    CARE_PLANS = enum.auto()  # a care plan made, signed or exported
    SETTINGS = enum.auto()  # the practitioner's settings


@dataclass(frozen=True)
class Changed:
    what: Change
    case_id: int | None = None  # None: not one case (or many)

    def touches(self, what: Change, case_id: int | None = None) -> bool:
        """True if this change is one of ``what`` and concerns ``case_id`` (any case when None)."""
        return bool(self.what & what) and (case_id is None or self.case_id is None or self.case_id == case_id)


class ChangeHub(QObject):
    changed = Signal(object, object)  # Changed, the widget that made the change (or None)


_hub: ChangeHub | None = None


def hub() -> ChangeHub:
    """The application's one change signal (made when first asked for)."""
    global _hub
    if _hub is None:
        _hub = ChangeHub()
    return _hub


def announce(what: Change, case_id: int | None = None, *, initiator: QObject | None = None) -> None:
    hub().changed.emit(Changed(what, case_id), initiator)
