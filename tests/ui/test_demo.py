"""The demo store: made headless by ``ddassess demo create``, kept apart from the
practitioner's own store, and full enough to show every part of the pathway."""

from __future__ import annotations

import re
import subprocess
import sys

from PySide6.QtCore import Qt
from sqlalchemy import select

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.paths import store_dir
from ddassess.services.case_header import case_summary
from ddassess.services.demo import DEMO_PASSPHRASE, FAMILY, GIVEN
from ddassess.store import Credentials, open_store
from ddassess.store.records import CaseRecord, PersonRecord, ResponseRecord


def _create(subprocess_env) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ddassess", "demo", "create"], env=subprocess_env,
                          capture_output=True, text=True, timeout=300)


def test_demo_create_headless_makes_a_separate_store_with_every_stage(subprocess_env, catalogue):
    done = _create(subprocess_env)
    assert done.returncode == 0, done.stderr
    demo, own = store_dir(demo=True), store_dir()
    assert f"in {demo}" in done.stdout and DEMO_PASSPHRASE in done.stdout
    n = int(re.search(r"with (\d+) fictional cases", done.stdout).group(1))
    assert n >= len(PATHWAY_STAGES)
    assert demo != own and not own.exists()  # the practitioner's store is not touched, not even made
    again = _create(subprocess_env)  # a second run opens the same store, adds nobody
    assert again.returncode == 0 and f"with {n} fictional cases" in again.stdout

    store = open_store(demo, Credentials(passphrase=DEMO_PASSPHRASE, use_keyring=False))
    try:
        with store.read() as s:
            stages = set(s.scalars(select(CaseRecord.stage)))
            risks = list(s.scalars(select(CaseRecord.risk_level)))
            people = s.scalars(select(PersonRecord)).all()
            plans = s.scalars(select(ResponseRecord).where(ResponseRecord.form_id == "care_plan")).all()
            urgent_case = s.scalar(select(CaseRecord.id).where(CaseRecord.risk_level == "urgent"))
        assert stages == set(PATHWAY_STAGES)
        assert any(r in ("high", "urgent") for r in risks)
        assert all(p.given_name in GIVEN and p.family_name in FAMILY for p in people)  # obviously invented
        assert all(p.nhs_number.startswith("999") for p in people)  # a range never issued to a person
        assert plans and all('"what_matters"' in p.answers_json and '"strokes"' in p.answers_json for p in plans)
        from ddassess.services.careplans import build_care_plan, signing_problems

        plan = build_care_plan(store, catalogue, plans[0].case_id)  # complete enough to sign and print
        # what signing checks (every required answer of the form, by the forms engine), not a subset
        assert signing_problems(catalogue, store, plans[0].case_id, plan) == [] and plan.needs
        summary = case_summary(store, catalogue, urgent_case)  # what the case page shows for it
        assert any(f.severity == "urgent" and "PHQ-9 item 9" in f.message for f in summary.flags)
        assert any(sc.name == "PHQ-9" for sc in summary.scores)
    finally:
        store.close()


def test_demo_window_opens_on_the_demo_store_with_its_cases(qtbot, catalogue):
    from ddassess.ui.app import build_window

    window = build_window(demo=True)
    qtbot.addWidget(window)
    window.show()
    page = window.unlock_page
    qtbot.waitUntil(lambda: page.passphrase.text() == DEMO_PASSPHRASE)  # filled in: it is published
    assert "DEMO" in window.windowTitle() and "fictional people only" in page.note.text()
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.store is not None, timeout=20_000)
    try:
        assert window.folder == store_dir(demo=True) and not store_dir().exists()
        window.case_list.apply()
        qtbot.waitUntil(lambda: len(window.case_list.model.rows) >= len(PATHWAY_STAGES), timeout=10_000)
        names = {row.name for row in window.case_list.model.rows}
        assert all(name.split()[0] in GIVEN for name in names)
    finally:
        window.close()  # as the user would: the window saves and closes its store
    assert window.store is None
