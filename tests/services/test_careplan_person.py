"""The care plan PDF, read back: the person's address and GP, the name they go by, the care
coordinator's role and agency, and the organisation (name and logo) in its header."""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from test_careplans import CATALOGUE, PLAN, _start  # the same fictional case and plan

from ddassess.domain import limits
from ddassess.domain.models import PersonDetails
from ddassess.errors import InvalidInputError
from ddassess.services import case_changes
from ddassess.services.careplan_files import export_care_plan
from ddassess.services.settings import get_setting, logo_from_file, set_setting

DETAILS = PersonDetails("Examplia", "Demoson", dt.date(1984, 3, 2), "9990000018", preferred_name="Mia",
                        pronouns="she/her", address="Flat 2\n1 Example Street\nLeeds", postcode="LS1 4AP",
                        gp_practice="Example Street Surgery", phone="07700 900123")


@pytest.fixture
def case(store):
    from test_careplans import CASE

    person = case_changes.register_person(store, DETAILS)
    CASE["id"] = case_changes.open_case(store, person.id).id
    return CASE["id"]


def _pages(pdf: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages]


def _png(path: Path, size=(300, 100)) -> Path:
    Image.new("RGB", size, (29, 78, 216)).save(path, "PNG")
    return path


def test_page_one_shows_address_gp_known_as_and_the_coordinator_s_role_and_agency(store, case, tmp_path):
    _start(store, "care_plan", PLAN | {"care_coordinator": "Testy McTestface"})  # the store owner (conftest)
    export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf")
    first = " ".join(_pages(tmp_path / "plan.pdf")[0].split())
    for expected in ("Flat 2 1 Example Street Leeds LS1 4AP", "Example Street Surgery", "Known as Mia Pronouns she/her",
                     "Testy McTestface (Substance misuse social worker, Fictional SMS)"):
        assert expected in first, (expected, first)
    text = " ".join(" ".join(_pages(tmp_path / "plan.pdf")).split())
    assert "Role: Substance misuse social worker" in text and "Agency: Fictional SMS" in text


def test_a_coordinator_of_another_service_gets_the_care_team_s_role_and_the_lead_agency(store, case, tmp_path):
    team = [{"name": "Casey Coordinator", "role": "Community psychiatric nurse", "organisation": "",
             "contact": ""}, {"name": "Pat Partner", "role": "Recovery worker", "organisation": "Fictional SMS"}]
    _start(store, "care_plan", PLAN | {"care_team": team})
    export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf")
    text = " ".join(" ".join(_pages(tmp_path / "plan.pdf")).split())
    assert "Casey Coordinator (Community psychiatric nurse, Fictional Mental Health Trust)" in text
    assert "Pat Partner (Recovery worker, Fictional SMS)" in text
    assert "Role: Community psychiatric nurse" in text and "Agency: Fictional Mental Health Trust" in text
    assert "Role: Recovery worker" in text


def test_the_organisation_heads_every_page_and_its_logo_is_on_page_one(store, case, tmp_path):
    _start(store, "care_plan", PLAN)
    set_setting(store, "organisation_name", "Fictional Dual Diagnosis Partnership")
    set_setting(store, "organisation_logo", logo_from_file(_png(tmp_path / "logo.png")))
    export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf")
    pages = _pages(tmp_path / "plan.pdf")
    assert len(pages) > 1 and all("Fictional Dual Diagnosis Partnership" in p for p in pages)
    reader = PdfReader(tmp_path / "plan.pdf")
    images = [img for img in reader.pages[0].images]
    assert len(images) == 1 and images[0].image.size == (300, 100)
    assert not any(page.images for page in reader.pages[1:])


def test_no_organisation_set_prints_as_before(store, case, tmp_path):
    _start(store, "care_plan", PLAN)
    export_care_plan(store, CATALOGUE, case, tmp_path / "plan.pdf")
    assert not PdfReader(tmp_path / "plan.pdf").pages[0].images
    assert get_setting(store, "organisation_name") == ""


def test_a_changed_address_is_a_new_version_of_the_plan_but_nothing_recorded_keeps_the_hash(store, case, tmp_path):
    from ddassess.services.careplans import build_care_plan

    _start(store, "care_plan", PLAN)
    plan = build_care_plan(store, CATALOGUE, case)
    bare = PersonDetails("Examplia", "Demoson", dt.date(1984, 3, 2), "9990000018")
    from test_careplans import CASE

    person_id = case_changes.search_people(store, "Demoson")[0].id
    case_changes.update_person(store, person_id, bare)
    without = build_care_plan(store, CATALOGUE, CASE["id"])
    assert without.content_hash() != plan.content_hash()
    # A plan of a person with no new details hashes as plans did before those details existed.
    import dataclasses
    import hashlib
    import json

    old_style = dataclasses.asdict(without)
    for key in ("version", "replaces_version", "updated", "signatures", "organisation", "logo"):
        old_style.pop(key)
    for key in ("preferred_name", "pronouns", "address", "gp_practice"):
        old_style["person"].pop(key)
    digest = hashlib.sha256(json.dumps(old_style, default=str, sort_keys=True).encode("utf-8")).hexdigest()
    assert without.content_hash() == digest


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b"GIF89a" + b"\0" * 100), "is not a PNG or JPEG image"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100), "is a damaged PNG file"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * limits.MAX_LOGO_BYTES), "at most 200 KB fit"),
    (lambda p: _png(p, (4001, 10)), "4001 x 10 pixels; at most 4000 a side"),
])
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused_and_nothing_saved(store, tmp_path, make, words):
    path = tmp_path / "logo.png"
    make(path)
    with pytest.raises(InvalidInputError, match=words):
        logo_from_file(path)
    bad = base64.b64encode(path.read_bytes()).decode()
    with pytest.raises(InvalidInputError, match="Nothing was saved"):
        set_setting(store, "organisation_logo", bad)
    assert get_setting(store, "organisation_logo") == ""


def test_a_jpeg_logo_is_taken(tmp_path):
    Image.new("RGB", (120, 40), (200, 0, 0)).save(tmp_path / "logo.jpg", "JPEG")
    assert base64.b64decode(logo_from_file(tmp_path / "logo.jpg")).startswith(b"\xff\xd8\xff")
