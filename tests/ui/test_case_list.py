"""The case list on a large store: search, filters and sorting happen in the store, and
the model never holds more than the pages the view has asked for."""

from __future__ import annotations

from bulk import populate
from PySide6.QtCore import Qt

from ddassess.services.case_list import CaseQuery, count_cases
from ddassess.ui.caselist import (
    COLUMNS,
    COUNT_CAP,
    NAME_COLUMN,
    PAGE,
    RISK_COLUMN,
    STAGE_LABELS,
    CaseTableModel,
)

N = 20_000


def test_search_and_filters_on_a_large_store(qtbot, window):
    conn = window.store.raw_connection()
    populate(conn, N, 0)
    conn.close()
    cl = window.case_list
    cl.apply()
    assert count_cases(window.store, CaseQuery()) == N
    assert cl.model.total is None and len(cl.model.rows) == PAGE  # the model holds one page
    assert cl.count.text() == f"More than {COUNT_CAP:,} cases: type more to narrow the list"
    qtbot.keyClicks(cl.search, "Sam Dummy1")
    qtbot.waitUntil(lambda: cl.model.total is not None, timeout=3000)
    assert cl.model.total >= 1 and cl.count.text().endswith(("case", "cases"))
    assert all(r.name.startswith("Sam Dummy1") for r in cl.model.rows)
    cl.search.clear()
    qtbot.keyClicks(cl.search, "999 000 0018")
    qtbot.waitUntil(lambda: cl.model.total == 1, timeout=3000)
    assert cl.model.data(cl.model.index(0, 3)) == "999 000 0018"
    cl.search.clear()
    qtbot.waitUntil(lambda: cl.model.total is None, timeout=3000)
    cl.stage.setCurrentIndex(cl.stage.findData("screening"))
    assert count_cases(window.store, cl.model.query) == len([i for i in range(N) if i % 7 == 2])
    cl.risk.setChecked(True)
    assert cl.model.total == len([i for i in range(N) if i % 7 == 2 and i % 13 == 0])
    assert all(r.stage == "screening" and r.risk_level == "high" for r in cl.model.rows)


def test_paging_and_sorting(qtbot, window):
    conn = window.store.raw_connection()
    populate(conn, 1000, 0)
    conn.close()
    model = CaseTableModel(window.store)
    assert len(model.rows) == PAGE and model.canFetchMore() and model.total == 1000
    while model.canFetchMore():
        model.fetchMore()
    assert len(model.rows) == 1000
    with qtbot.waitSignal(model.sort_wanted) as asked:  # the view asks; the list sorts off the GUI thread
        model.sort(0)
    assert asked.args == ["ref", False]
    cl = window.case_list
    cl.apply()
    cl.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # by case reference
    assert cl._searching and cl.model.query.sort == "opened"  # asked of the store; the GUI thread goes on
    qtbot.waitUntil(lambda: cl.model.query.sort == "ref" and not cl._searching, timeout=5000)
    refs = [cl.model.data(cl.model.index(i, 0)) for i in range(5)]
    assert refs == sorted(refs) and len(cl.model.rows) == PAGE and refs[0] == "BENCH-000000"


def test_lead_agency_and_my_cases_filters(qtbot, window):
    import datetime as dt

    from ddassess.domain.models import PersonDetails
    from ddassess.services import case_changes
    from ddassess.services.case_pathway import set_lead
    from ddassess.ui.caselist import CaseListWidget

    mine = case_changes.open_case(window.store,
                                  case_changes.register_person(window.store, PersonDetails("Mine", "Fictional")).id)
    set_lead(window.store, mine.id, "Mental health service", dt.date(2027, 1, 1))
    conn = window.store.raw_connection()
    populate(conn, 300, 0)  # bulk cases coordinated by nobody in particular
    conn.close()
    cl = CaseListWidget(window.store)
    qtbot.addWidget(cl)
    qtbot.waitUntil(lambda: cl.lead.findData("Mental health service") > 0)  # listed off the GUI thread
    assert [cl.lead.itemText(i) for i in range(cl.lead.count())] == ["Any lead agency", "Mental health service"]
    cl.lead.setCurrentIndex(cl.lead.findData("Mental health service"))
    assert [r.case_id for r in cl.model.rows] == [mine.id]
    cl.lead.setCurrentIndex(0)
    cl.mine.setChecked(True)
    assert [r.case_id for r in cl.model.rows] == [mine.id]


def _person(window, given, family, born=None, nhs=None):
    from ddassess.domain.models import PersonDetails
    from ddassess.services import case_changes

    person = case_changes.register_person(window.store, PersonDetails(given, family, born, nhs))
    return case_changes.open_case(window.store, person.id).id


def _search(qtbot, cl, text):
    """Type into the search box as a person would, and wait for the list to show that text."""
    cl.search.clear()
    with qtbot.waitSignal(cl.searched, timeout=3000):
        qtbot.keyClicks(cl.search, text)
    qtbot.waitUntil(lambda: cl.model.query.text == text, timeout=3000)


def test_date_of_birth_search_accepts_the_ways_people_write_dates(qtbot, window):
    import datetime as dt

    case_id = _person(window, "Testy", "McTestface", dt.date(1985, 6, 3))
    _person(window, "Other", "Fictional", dt.date(1985, 3, 6))  # the same digits, read month first
    _person(window, "Third", "Madeup", dt.date(1985, 6, 4))
    cl = window.case_list
    for typed in ("03/06/1985", "3/6/1985", "3 Jun 1985", "03 Jun 1985", "3 June 1985", "1985-06-03", "03.06.1985"):
        _search(qtbot, cl, typed)
        assert [r.case_id for r in cl.model.rows] == [case_id], typed
        assert cl.model.data(cl.model.index(0, 2)) == "03 Jun 1985"  # as the list shows it
        assert cl.count.text() == "1 case"
    for not_a_date in ("31/02/1985", "3 Junk 1985"):  # searched as words: no one is called that
        _search(qtbot, cl, not_a_date)
        assert cl.model.rows == [] and cl.count.text() == "0 cases"


def test_sorting_by_stage_follows_the_pathway(qtbot, window):
    from ddassess.domain.models import PATHWAY_STAGES

    conn = window.store.raw_connection()
    populate(conn, 70, 0)  # ten cases at each of the first seven stages
    conn.close()
    cl = window.case_list
    cl.apply()
    stage_column = 4
    cl.table.sortByColumn(stage_column, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: cl.model.query.sort == "stage" and not cl._searching, timeout=5000)
    shown = [cl.model.data(cl.model.index(i, stage_column)) for i in range(cl.model.rowCount())]
    pathway = [STAGE_LABELS[s] for s in PATHWAY_STAGES[:7]]
    assert list(dict.fromkeys(shown)) == pathway  # referral first, discharge last: not alphabetical
    assert pathway != sorted(pathway)
    cl.table.sortByColumn(stage_column, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: cl.model.query.descending and not cl._searching, timeout=5000)
    shown = [cl.model.data(cl.model.index(i, stage_column)) for i in range(cl.model.rowCount())]
    assert list(dict.fromkeys(shown)) == pathway[::-1]


def test_review_overdue_filter_shows_only_cases_past_their_review_date(qtbot, window):
    import datetime as dt

    from ddassess.services.case_pathway import set_lead

    today = dt.date.today()
    overdue = _person(window, "Overdue", "Testperson")
    set_lead(window.store, overdue, "Mental health service", today - dt.timedelta(days=1))
    due_today = _person(window, "Duetoday", "Testperson")
    set_lead(window.store, due_today, "Mental health service", today)
    later = _person(window, "Later", "Testperson")
    set_lead(window.store, later, "Substance misuse service", today + dt.timedelta(days=30))
    _person(window, "Noreview", "Testperson")
    cl = window.case_list
    cl.apply()
    assert cl.count.text() == "4 cases"
    cl.overdue.setChecked(True)
    assert [r.case_id for r in cl.model.rows] == [overdue]
    assert cl.count.text() == "1 case"
    cl.overdue.setChecked(False)
    assert cl.count.text() == "4 cases"


def test_risk_column_has_colour_and_words(qtbot, window):
    from ddassess.services.case_risk import set_case_risk

    urgent = _person(window, "Urgent", "Fictional")
    set_case_risk(window.store, urgent, "urgent", "Seen at a fictional home visit")
    high = _person(window, "High", "Fictional")
    set_case_risk(window.store, high, "high", "Seen at a fictional home visit")
    none = _person(window, "Calm", "Fictional")
    cl = window.case_list
    cl.apply()
    by_id = {r.case_id: i for i, r in enumerate(cl.model.rows)}

    def cell(case_id, role):
        return cl.model.data(cl.model.index(by_id[case_id], RISK_COLUMN), role)

    assert cell(urgent, Qt.ItemDataRole.DisplayRole) == "URGENT"
    assert cell(high, Qt.ItemDataRole.DisplayRole) == "HIGH"
    assert cell(none, Qt.ItemDataRole.DisplayRole) == ""
    assert cell(urgent, Qt.ItemDataRole.AccessibleTextRole) == "Urgent risk"
    assert cell(high, Qt.ItemDataRole.AccessibleTextRole) == "High risk"
    assert cell(none, Qt.ItemDataRole.AccessibleTextRole) == "No risk flagged"
    urgent_bg, high_bg = cell(urgent, Qt.ItemDataRole.BackgroundRole), cell(high, Qt.ItemDataRole.BackgroundRole)
    assert urgent_bg is not None and high_bg is not None and urgent_bg != high_bg
    assert cell(none, Qt.ItemDataRole.BackgroundRole) is None
    # The words stay readable on the colour (WCAG AA: contrast at least 4.5:1).
    for case_id, bg in ((urgent, urgent_bg), (high, high_bg)):
        assert _contrast(cell(case_id, Qt.ItemDataRole.ForegroundRole), bg) >= 4.5


def _contrast(a, b) -> float:
    def luminance(c):
        def channel(v):
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_next_review_column_does_not_take_the_spare_width(qtbot, window):
    import datetime as dt

    from ddassess.services.case_pathway import set_lead

    set_lead(window.store, _person(window, "Testy", "McTestface"), "Mental health service", dt.date(2027, 9, 30))
    cl = window.case_list
    cl.apply()
    header = cl.table.horizontalHeader()
    review = len(COLUMNS) - 1
    window.resize(1800, 800)
    qtbot.waitUntil(lambda: cl.table.viewport().width() > 1500)
    assert header.sectionSize(review) < 200
    assert header.sectionSize(NAME_COLUMN) > header.sectionSize(review)
    # The columns are still wide enough for what they show.
    for column in range(len(COLUMNS)):
        text = cl.model.data(cl.model.index(0, column)) or ""
        assert header.sectionSize(column) >= cl.table.fontMetrics().horizontalAdvance(text), column


def test_ctrl_f_moves_to_the_search_box(qtbot, window):
    _person(window, "Testy", "McTestface")
    cl = window.case_list
    cl.apply()
    cl.search.setText("Testy")
    window.activateWindow()
    cl.table.setFocus()
    qtbot.waitUntil(cl.table.hasFocus)
    qtbot.keyClick(cl.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert cl.search.hasFocus()
    assert cl.search.selectedText() == "Testy"  # typing replaces the old search
    # With a case open in front of the list, Ctrl+F is not the list's: the hidden box keeps no focus.
    page = window.open_case(cl.model.rows[0].case_id)
    qtbot.waitUntil(page.isVisible)
    page.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert not cl.search.hasFocus()


def test_a_stale_search_answer_is_dropped(qtbot, window):
    from dataclasses import replace

    from ddassess.services.case_list import first_page

    mine = _person(window, "Mine", "Fictional")
    other = _person(window, "Other", "Madeup")
    cl = window.case_list
    _search(qtbot, cl, "Other")
    assert [r.case_id for r in cl.model.rows] == [other]
    # An answer for text no longer in the box arrives late: it must not replace the list.
    late = first_page(window.store, replace(cl.model.query, text="Mine"), PAGE, COUNT_CAP)
    assert [r.case_id for r in late.rows] == [mine]
    cl._searching = True  # as if it were the search in flight
    cl._found(late)
    assert [r.case_id for r in cl.model.rows] == [other] and cl.model.query.text == "Other"
    assert cl.count.text() == "1 case"
    # Typed on while a search ran: the late answer is dropped and the newest text searched.
    cl.search.blockSignals(True)
    cl.search.setText("Mi")
    cl.search.blockSignals(False)
    early = first_page(window.store, replace(cl.model.query, text="M"), PAGE, COUNT_CAP)
    cl._searching = True
    with qtbot.waitSignal(cl.searched, timeout=3000):
        cl._found(early)
    assert [r.case_id for r in cl.model.rows] == [mine] and cl.model.query.text == "Mi"


def test_sorting_while_a_search_runs_keeps_the_sort(qtbot, window):
    from ddassess.services.case_list import first_page

    for given in ("Alpha", "Bravo", "Charlie"):
        _person(window, given, "Fictional")
    cl = window.case_list
    _search(qtbot, cl, "Fictional")
    answer = first_page(window.store, cl.current_query(), PAGE, COUNT_CAP)  # in flight, newest first
    cl._searching = True  # that search is still running when the user sorts by name
    cl.table.sortByColumn(NAME_COLUMN, Qt.SortOrder.AscendingOrder)
    cl._found(answer)  # its answer, in the old order, is not shown: the sort is asked of the store
    qtbot.waitUntil(lambda: cl.model.query.sort == "name" and not cl._searching, timeout=5000)
    assert [r.name for r in cl.model.rows] == ["Alpha Fictional", "Bravo Fictional", "Charlie Fictional"]


def test_search_runs_off_the_gui_thread_and_shows_the_newest_text(qtbot, window):
    conn = window.store.raw_connection()
    populate(conn, 5000, 0)
    conn.close()
    cl = window.case_list
    cl.search.clear()
    qtbot.keyClicks(cl.search, "Sam Dummy12")  # each key starts or queues a search
    qtbot.waitUntil(lambda: cl.model.query.text == "Sam Dummy12" and not cl._searching, timeout=5000)
    assert cl.model.rows and all(r.name.startswith("Sam Dummy12") for r in cl.model.rows)
    assert cl.count.text() == f"{len(cl.model.rows)} case{'s' if len(cl.model.rows) != 1 else ''}"


def test_a_search_answer_arriving_after_lock_is_not_shown(qtbot, window):
    from ddassess.services.case_list import first_page

    _person(window, "Testy", "McTestface")
    cl = window.case_list
    cl.search.setText("Testy")  # a search starts off the GUI thread ...
    answer = first_page(window.store, cl.current_query(), PAGE, COUNT_CAP)
    cl.model.clear()  # ... and the window locks (MainWindow.lock clears the model) before it arrives
    cl._found(answer)
    assert cl.model.rows == [] and cl.model.rowCount() == 0
