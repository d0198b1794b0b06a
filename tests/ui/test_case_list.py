"""The case list on a large store: search, filters and sorting happen in the store, and
the model never holds more than the pages the view has asked for."""

from __future__ import annotations

from bulk import populate

from ddassess.ui.caselist import PAGE, CaseTableModel

N = 20_000


def test_search_and_filters_on_a_large_store(qtbot, window):
    conn = window.store.raw_connection()
    populate(conn, N, 0)
    conn.close()
    cl = window.case_list
    cl.apply()
    assert cl.model.total == N and len(cl.model.rows) == PAGE and cl.count.text() == f"{N} cases"
    qtbot.keyClicks(cl.search, "Sam Dummy1")
    qtbot.waitUntil(lambda: cl.model.total < N, timeout=3000)
    assert cl.model.total >= 1
    assert all(r.name.startswith("Sam Dummy1") for r in cl.model.rows)
    cl.search.clear()
    qtbot.keyClicks(cl.search, "999 000 0018")
    qtbot.waitUntil(lambda: cl.model.total == 1, timeout=3000)
    assert cl.model.data(cl.model.index(0, 3)) == "999 000 0018"
    cl.search.clear()
    qtbot.waitUntil(lambda: cl.model.total == N, timeout=3000)
    cl.stage.setCurrentIndex(cl.stage.findData("screening"))
    assert cl.model.total == len([i for i in range(N) if i % 7 == 2])
    cl.risk.setChecked(True)
    assert cl.model.total == len([i for i in range(N) if i % 7 == 2 and i % 13 == 0])
    assert all(r.stage == "screening" and r.risk_level == "high" for r in cl.model.rows)


def test_paging_and_sorting(qtbot, window):
    conn = window.store.raw_connection()
    populate(conn, 1000, 0)
    conn.close()
    model = CaseTableModel(window.store)
    assert len(model.rows) == PAGE and model.canFetchMore()
    model.fetchMore()
    assert len(model.rows) == 2 * PAGE
    model.sort(0)  # by case reference, ascending
    refs = [model.data(model.index(i, 0)) for i in range(5)]
    assert refs == sorted(refs) and len(model.rows) == PAGE
