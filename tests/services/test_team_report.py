"""The KPI report and the commissioners' CSV: small numbers hidden (primary and secondary
suppression, as the NHS's disclosure control practice for published counts asks: counts of
1 to 4 shown as "<5", and whatever would give one away), nobody named, every file audited,
and the PDF's figures read back equal to the service's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader
from team_story import Team

from ddassess.cli import main
from ddassess.domain.periods import parse_period
from ddassess.formengine import load_catalogue
from ddassess.services.team_kpis import Figure, Table, team_period
from ddassess.services.team_report import kpi_csv, kpi_report_pdf, suppressed, write_kpi_csv

D = dt.date
GIVEN, FAMILY = "Sentinelia", "Zzyzxfictional"


def _table(counts: list[int], previous: list[int], partition: bool) -> Table:
    return Table("t", "T", tuple(Figure("p.x", str(i), f"row {i}", n, m) for i, (n, m) in
                                 enumerate(zip(counts, previous, strict=True))), partition=partition)


def test_counts_of_one_to_four_are_hidden_and_zero_and_five_shown():
    shown = suppressed(_table([0, 1, 4, 5, 12], [5, 0, 0, 3, 0], partition=False))
    assert [r.now for r in shown.rows] == ["0", "<5", "<5", "5", "12"]
    assert [r.previous for r in shown.rows] == ["5", "0", "0", "<5", "0"]


def test_one_hidden_part_of_a_whole_hides_the_next_smallest_too():
    # 3 alone hidden: the total (shown elsewhere) minus 7 and 20 would give it away; 7 goes too.
    shown = suppressed(_table([3, 7, 20, 0], [0, 9, 6, 0], partition=True))
    assert [r.now for r in shown.rows] == ["<5", "<5", "20", "0"]
    assert [r.previous for r in shown.rows] == ["0", "9", "6", "0"]  # nothing small: nothing hidden
    # two small ones already hide each other; nothing more is hidden
    assert [r.now for r in suppressed(_table([3, 2, 20], [0, 0, 0], partition=True)).rows] == ["<5", "<5", "20"]
    # not a part of a whole: no secondary hiding
    assert [r.now for r in suppressed(_table([3, 7, 20], [0, 0, 0], partition=False)).rows] == ["<5", "7", "20"]


@pytest.fixture
def eight_referrals(store):
    """Eight people referred in 2026-Q3 (six by their GP, two self-referrals), one named with a
    sentinel name and NHS number, and a complex high-risk one."""
    catalogue = load_catalogue()
    t = Team(store, catalogue)
    sentinel = t.person(GIVEN, FAMILY)
    for k in range(8):
        c = t.case(D(2026, 7, 1 + k), sentinel if k == 0 else None)
        t.final(c, "referral", D(2026, 7, 1 + k),
                {"self_referral": k < 2, "referrer_agency": "primary_care"})
        if k == 0:
            t.final(c, "lead_agency", D(2026, 7, 20), {"mh_severity": "high", "sm_severity": "high",
                                                       "lead": "mental_health"})
    return catalogue


def _nhs_of_sentinel(store) -> str:
    from ddassess.services.case_list import list_cases
    from ddassess.services.case_list_rows import CaseQuery

    return next(r.nhs_number for r in list_cases(store, CaseQuery(text=FAMILY), 0, 5))


def test_the_csv_names_nobody_and_hides_the_small_source(store, eight_referrals):
    figures = team_period(store, parse_period("2026-Q3"), eight_referrals)
    text = kpi_csv(figures)
    nhs = _nhs_of_sentinel(store)
    for sentinel in (GIVEN, FAMILY, nhs, nhs[:3] + " " + nhs[3:6], "DD-2026"):
        assert sentinel.casefold() not in text.casefold()
    rows = {(r[0], r[1]): (r[2], r[3]) for r in csv.reader(io.StringIO(text))}
    assert rows["Referrals", "Cases referred (opened) in the period"] == ("8", "0")
    # 2 self-referrals hidden; the 6 by the GP would give them away (8 - 6), so they are hidden too
    assert rows["Referrals by source", "Self-referral"] == ("<5", "0")
    assert rows["Referrals by source", "GP / primary care"] == ("<5", "0")


def test_the_pdf_shows_the_services_figures_and_names_only_in_the_appendix(store, eight_referrals):
    period = parse_period("2026-Q3")
    figures = team_period(store, period, eight_referrals)
    plain = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        kpi_report_pdf(store, period, catalogue=eight_referrals))).pages).split())
    assert "2026-Q3" in plain and "2026-Q2" in plain
    referrals = figures.table("p.referrals").figures[0]
    assert referrals.count == 8
    assert f"{referrals.label} {referrals.count} {referrals.previous}" in plain
    for table in figures.tables:
        for row in suppressed(table).rows:
            assert f"{row.label} {row.now} {row.previous}" in plain, (table.key, row.label)
    assert FAMILY not in plain
    named = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        kpi_report_pdf(store, period, named=True, catalogue=eight_referrals))).pages)
    assert FAMILY in named and "for the team only" in named


def test_each_export_is_audited_without_case_data(store, eight_referrals, tmp_path):
    write_kpi_csv(store, parse_period("2026-Q3"), tmp_path / "kpi.csv", eight_referrals)
    conn = store.raw_connection()
    row = conn.execute("SELECT action, entity_type, entity_id, changes_json FROM audit_events "
                       "ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    assert row[:3] == ("export", "team-report", "kpi-csv")
    assert json.loads(row[3]) == {"period": [None, "2026-Q3"], "file": [None, "kpi.csv"], "named": [None, False]}


def test_report_kpi_writes_both_files(store, eight_referrals, tmp_path, capsys):
    store.close()
    out, table = tmp_path / "kpi.pdf", tmp_path / "kpi.csv"
    assert main(["report", "kpi", "--period", "2026-Q3", "--out", str(out), "--csv", str(table)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and "Referrals,Cases referred" in table.read_text()
    assert "2026-Q3" in capsys.readouterr().out


@pytest.mark.parametrize(("period", "words"), [
    ("2026-Q5", "no quarter Q5"), ("2026-13", "no month 13"), ("2026-02-30..2026-03-01", "does not exist"),
    ("2026-09-01..2026-08-01", "ends before it starts"), ("last summer", "not a period"),
])
def test_report_kpi_refuses_a_bad_period(store, tmp_path, capsys, period, words):
    store.close()
    out = tmp_path / "kpi.pdf"
    assert main(["report", "kpi", "--period", period, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "2026-Q3" in err  # what was wrong, and how to write one
    assert not out.exists()


def test_report_kpi_refuses_an_unwritable_out_before_any_work(store, tmp_path, capsys):
    store.close()
    assert main(["report", "kpi", "--period", "2026-Q3", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["report", "kpi", "--period", "2026-Q3", "--out", str(tmp_path / "k.pdf"),
                 "--csv", str(tmp_path / "nowhere" / "k.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "k.pdf").exists()
    assert main(["report", "kpi", "--period", "2026-Q3", "--out", str(tmp_path / "nowhere" / "kpi.pdf")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_median_of_fewer_than_five_cases_is_hidden():
    from ddassess.services.team_kpis import Median, TeamPeriod
    from ddassess.services.team_report import shown_medians

    def waits(key: str, measured: int, before: int) -> Table:
        return Table(key, key, (Figure(key, "8-14 days", "8-14 days", measured, before),
                                Figure(key, "waiting", "Not yet", 9, 9)))

    period = parse_period("2026-Q3")
    figures = TeamPeriod(period, period.previous(), (waits("p.to_assessment", 4, 5), waits("p.to_plan", 0, 12)),
                         (Median("to assessment", 10.0, 12.5), Median("to plan", None, 30.0)))
    rows = shown_medians(figures)
    # 4 cases measured: hidden; 5: shown; none: said so (the 9 still waiting are not measured)
    assert [(r.now, r.previous) for r in rows] == [("<5", "12.5"), ("none", "30")]
