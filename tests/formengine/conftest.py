"""Shared fixtures for forms-engine tests: the real catalogue, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddassess.formengine import load_catalogue

FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(FORMS)
