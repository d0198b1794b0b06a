"""The case list on a large store: search, filters and sorting happen in the store, and
the model never holds more than the pages the view has asked for."""

from __future__ import annotations

from bulk import populate

from ddassess.services.caselist import CaseQuery, count_cases
from ddassess.ui.caselist import COUNT_CAP, PAGE, CaseTableModel

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
    model.sort(0)  # by case reference, ascending
    refs = [model.data(model.index(i, 0)) for i in range(5)]
    assert refs == sorted(refs) and len(model.rows) == PAGE


def test_lead_agency_and_my_cases_filters(qtbot, window):
    import datetime as dt

    from ddassess.domain.models import PersonDetails
    from ddassess.services import cases
    from ddassess.services.casework import set_lead
    from ddassess.ui.caselist import CaseListWidget

    mine = cases.open_case(window.store, cases.register_person(window.store, PersonDetails("Mine", "Fictional")).id)
    set_lead(window.store, mine.id, "Mental health service", dt.date(2027, 1, 1))
    conn = window.store.raw_connection()
    populate(conn, 300, 0)  # bulk cases coordinated by nobody in particular
    conn.close()
    cl = CaseListWidget(window.store)
    cl.lead.setCurrentIndex(cl.lead.findData("Mental health service"))
    assert [r.case_id for r in cl.model.rows] == [mine.id]
    cl.lead.setCurrentIndex(0)
    cl.mine.setChecked(True)
    assert [r.case_id for r in cl.model.rows] == [mine.id]
