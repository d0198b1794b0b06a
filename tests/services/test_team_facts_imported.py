"""A whole case imported from a FHIR bundle (moved from another store) counts in the team
figures as it did where it came from: its facts are worked out from the final forms and
signed care plan it arrives with.

One figure may differ, and not by the facts: the bundle carries a form's current version,
not the versions an amendment superseded, so a care plan signed and later amended counts
from the amended version's day in "referral to a signed care plan" (``p.to_plan``)."""

from __future__ import annotations

import datetime as dt

from facts_check import stale_facts
from sqlalchemy import select
from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER

from ddassess.domain.periods import Period
from ddassess.formengine import load_catalogue
from ddassess.services import demo
from ddassess.services.fhir_import import import_case_bundle
from ddassess.services.interchange import export_fhir
from ddassess.services.team_kpis import team_now, team_period
from ddassess.store import create_store
from ddassess.store.records import CaseRecord

CATALOGUE = load_catalogue()


def _counts(store) -> dict[tuple[str, str], tuple[int, int | None]]:
    """Every figure but the caseload (practitioners have other ids in another store) and the
    days to a signed plan (see above)."""
    today = dt.date.today()
    year = Period("custom", today - dt.timedelta(days=365), today)
    tables = (*team_now(store, today, CATALOGUE).tables, *team_period(store, year, CATALOGUE, today=today).tables)
    return {(t.key, f.group): (f.count, f.previous) for t in tables if t.key not in ("now.caseload", "p.to_plan")
            for f in t.figures}


def test_cases_moved_by_fhir_count_as_they_did(store, tmp_path):
    demo.populate(store, CATALOGUE, people=8)
    with store.read() as s:
        cases = list(s.scalars(select(CaseRecord.id)))
    other = create_store(tmp_path / "b", PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF).store
    try:
        for n, case_id in enumerate(cases):
            out = tmp_path / f"case-{n}.json"
            export_fhir(store, CATALOGUE, case_id, out, "moving the case")
            import_case_bundle(other, CATALOGUE, out, "moving the case")
        assert stale_facts(other) == []
        counted = _counts(store)
        assert any(n for (key, _), (n, _) in counted.items() if key == "p.source")  # the demo's referrals count
        assert _counts(other) == counted
    finally:
        other.close()
