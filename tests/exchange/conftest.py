"""Real stores that exchange operations directly (no envelopes yet: the glue puts bundles between)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from exchange_helpers import make_store

from ddassess.store import Store


@pytest.fixture
def stores(tmp_path: Path):
    """``stores(n)``: n new stores of fictional practitioners, closed after the test."""
    made: list[Store] = []
    counter = itertools.count()

    def make(n: int = 2) -> list[Store]:
        out = [make_store(tmp_path / f"store-{next(counter)}", name) for name in
               ("Alex Example", "Bea Example", "Cal Example")[:n]]
        made.extend(out)
        return out

    yield make
    for s in made:
        s.close()


@pytest.fixture(scope="session")
def catalogue():
    from ddassess.formengine import load_catalogue

    return load_catalogue(Path(__file__).resolve().parents[2] / "forms")


@pytest.fixture(scope="session")
def catalogue_for_properties(catalogue):
    """The catalogue, for Hypothesis tests (a session fixture is not reset between examples)."""
    return catalogue


@pytest.fixture
def trio(tmp_path: Path):
    """The team lead, Sam and Kim, on three laptops of one team, each knowing the others."""
    from team_helpers import join, laptop, team_lead

    from ddassess.services import team

    lead = team_lead(tmp_path)
    sam, kim = laptop(tmp_path, "Sam Fictional"), laptop(tmp_path, "Kim Fictional")
    for lap in (sam, kim):
        join(lead, lap)
    team.import_roster(sam.store, team.roster_file(lead.store))  # Kim joined after Sam: Sam learns of Kim
    yield lead, sam, kim
    for lap in (lead, sam, kim):
        lap.store.close()
