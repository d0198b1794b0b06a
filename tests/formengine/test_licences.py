"""One licence policy for every instrument: forms/CATALOGUE.md, "Licences".

Each instrument's `licence.text` names the kind of its terms in the policy's words, and the
catalogue's licence table gives the same kind and says what a commercial redistributor must
do. A form whose licence says something else ("free to copy" for a WHO-derived screen), or an
instrument missing from the table, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from ddassess.formengine import load_catalogue

FORMS = Path(__file__).resolve().parents[2] / "forms"
KINDS = ("free for any use", "non-commercial", "terms unconfirmed")


def kind_of(licence_text: str) -> str | None:
    """The policy's rule 2: the kind, from the words the licence text uses."""
    text = " ".join(licence_text.lower().split())
    if "unconfirmed" in text:
        return "terms unconfirmed"
    if "non-commercial" in text:
        return "non-commercial"
    if "no permission required" in text:
        return "free for any use"
    return None


def licence_table() -> dict[str, tuple[str, str]]:
    """form id -> (kind, what a commercial redistributor must do), from CATALOGUE.md."""
    text = (FORMS / "CATALOGUE.md").read_text(encoding="utf-8")
    section = text.split("\n## Licences\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `(\w+)` \|[^|]*\|[^|]*\| ([^|]+) \| ([^|]+) \|$", line)
        if m:
            rows[m.group(1)] = (m.group(2).strip(), m.group(3).strip())
    return rows


def test_every_instrument_is_in_the_licence_table_with_the_kind_its_form_states():
    catalogue = load_catalogue(FORMS)
    instruments = {fid: spec for fid, spec in catalogue.forms.items() if spec.kind == "instrument"}
    table = licence_table()
    assert set(table) == set(instruments)
    for fid, spec in instruments.items():
        licence = dict(spec.licence)
        kind = kind_of(licence["text"])
        assert kind in KINDS, f"{fid}: its licence text does not say which kind its terms are: {licence['text']!r}"
        assert table[fid][0] == kind, f"{fid}: the form says {kind!r}, CATALOGUE.md says {table[fid][0]!r}"
        assert licence["attribution"].strip(), fid


def test_what_a_commercial_redistributor_must_do_follows_from_the_kind():
    for fid, (kind, must) in licence_table().items():
        if kind == "free for any use":
            assert must == "nothing beyond credit", fid
        else:  # non-commercial and unconfirmed are treated alike (rule 4)
            assert "permission" in must and "remove the form" in must, fid


def test_the_fast_is_licensed_as_the_audit_it_is_made_of():
    catalogue = load_catalogue(FORMS)
    assert kind_of(dict(catalogue.get("fast").licence)["text"]) == kind_of(dict(catalogue.get("audit").licence)["text"])


def test_core10_is_not_left_out_for_its_non_commercial_terms_alone():
    text = (FORMS / "CATALOGUE.md").read_text(encoding="utf-8")
    core = text.split("- **CORE-10.**", 1)[1].split("\n- **", 1)[0]
    assert "GPL" not in core  # the old reason, which would have excluded the AUDIT and DAST-10 too
    assert "rule 1 b" in core and "rule 1 c" in core
