"""The workspace: the case list and a tab per open case, and where the practitioner was.

A lock records the ``Places`` (each case tab with its form and field, and which tab was
current) before every tab is dropped; the unlock brings them back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QMessageBox, QTabWidget

from ddassess.errors import UserFacingError
from ddassess.ui.caselist import CaseListWidget
from ddassess.ui.errors import show_error
from ddassess.ui.ops import disown_within
from ddassess.ui.team_view import TeamViewPage

if TYPE_CHECKING:
    from ddassess.services.vault import Store
    from ddassess.ui.casepage import CasePage
    from ddassess.ui.mainwindow import MainWindow


@dataclass
class Place:
    case_id: int | None = None
    response_id: int | None = None
    field: str | None = None
    cursor: int | None = None  # where the text cursor was in that field


@dataclass
class Places:
    """The case tabs open when the store was locked, and which one was current."""

    tabs: list[Place] = field(default_factory=list)
    current: int | None = None


class Workspace(QTabWidget):
    """The "Cases" tab, which cannot be closed, then one tab per case."""

    def __init__(self, case_list: CaseListWidget, close_tab: Callable[[int], None]) -> None:
        super().__init__()
        self.setTabsClosable(True)
        self.tabCloseRequested.connect(close_tab)
        self.case_list = case_list
        self.addTab(case_list, "Cases")
        self.tabBar().setTabButton(0, self.tabBar().ButtonPosition.RightSide, None)

    def case_pages(self) -> list[CasePage]:
        pages = (self.widget(i) for i in range(self.count()))
        return [cast("CasePage", p) for p in pages if not isinstance(p, CaseListWidget | TeamViewPage)]

    def current_case_page(self) -> CasePage | None:
        page = self.currentWidget()
        return None if page is None or isinstance(page, CaseListWidget | TeamViewPage) else cast("CasePage", page)

    def team_view(self) -> TeamViewPage | None:
        pages = (self.widget(i) for i in range(self.count()))
        return next((p for p in pages if isinstance(p, TeamViewPage)), None)

    def case_page(self, case_id: int) -> CasePage | None:
        return next((p for p in self.case_pages() if p.case_id == case_id), None)

    def places(self) -> Places:
        current = self.current_case_page()
        places = Places()
        for page in self.case_pages():
            if page is current:
                places.current = len(places.tabs)
            form = page.form_page
            places.tabs.append(Place(page.case_id, form.response.id if form else None,
                                     form.view.focused_field() if form else None,
                                     form.view.cursor_position() if form else None))
        return places

    def save_all(self) -> bool:
        """Close every open form, waiting until its answers are on the disk."""
        return all([page.close_form() for page in self.case_pages()])

    def reopen(self, places: Places, open_case: Callable[..., CasePage]) -> None:
        """Every case tab open at the lock, each with its form; the current one current,
        with the focus on the same field, scrolled into view, the cursor where it was."""
        from ddassess.errors import RecordNotFound

        pages = []
        for place in places.tabs:
            try:
                assert place.case_id is not None
                pages.append((open_case(place.case_id, place.response_id, place.field, cursor=place.cursor), place))
            except RecordNotFound:  # gone meanwhile (another process): nothing to return to
                continue
        if places.current is not None and 0 <= places.current < len(places.tabs):
            wanted = places.tabs[places.current]
            for page, place in pages:
                if place is wanted:
                    self.setCurrentWidget(page)
                    if page.form_page is not None:
                        page.form_page.view.focus_field(place.field, place.cursor)

    def drop(self) -> None:
        """Every decrypted view goes: operations still running let go of the store, the
        list's rows are cleared, and the tabs are deleted."""
        for widget in (self.case_list, self):  # a search or read still running lets go of the store
            disown_within(widget)
        self.case_list.model.clear()
        self.deleteLater()


def offer_return(window: MainWindow, store: Store, open_case: Callable[..., CasePage]) -> None:
    """A draft that was open when ddassess last stopped without closing it (crash, kill)."""
    from ddassess.services.settings import get_setting, set_setting

    draft = get_setting(store, "open_draft")
    if not draft:
        return
    answer = QMessageBox.question(window, "Return to your form?", "ddassess stopped while a form was open. "
                                  "Every change was saved. Return to it now?")
    if window.store is not store:
        return  # locked while asking: the question was closed, not answered (it is asked again)
    if answer == QMessageBox.StandardButton.Yes:
        try:
            open_case(draft["case_id"], draft["response_id"], draft.get("field"), cursor=draft.get("cursor"))
        except UserFacingError as exc:  # the form or case is no longer there
            set_setting(store, "open_draft", None)
            show_error(window, exc)
    else:
        set_setting(store, "open_draft", None)
