"""FAST, SADQ and SDS against the published versions they follow, through `ddassess forms score`.

- FAST: the OHID (formerly Public Health England, 2017) "Fast alcohol screening test (FAST)"
  form, adapted from Hodgson R et al., The FAST Alcohol Screening Test, Alcohol and
  Alcoholism 2002;37:61-66. Question 1 first; "only answer the following questions if the
  answer above is Never, Less than monthly or Monthly; stop here if the answer is Weekly or
  Daily"; a total of 3 or more is FAST positive.
- SADQ: the form reproduced for UK services (Stockwell et al. 1979; Stockwell, Murphy and
  Hodgson 1983): a typical period of heavy drinking in the last six months; questions 17-20
  answered not at all / slightly / moderately / quite a lot.
- SDS: Gossop M et al., Addiction 1995;90:607-614 (items, the past year), with the cut-offs
  published for each substance: heroin 5 (opiate study, Actas Esp Psiquiatr 2010), cocaine 3
  (Kaye and Darke 2002), amphetamines 4 (Topp and Mattick 1997), cannabis 3 (Swift, Copeland
  and Hall 1998), alcohol 3 (Lawrinson et al. 2007).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddassess.cli import main

FORMS = Path(__file__).resolve().parents[3] / "forms"


def score(tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str, answers: dict[str, Any],
          *extra: str) -> dict[str, Any]:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    assert main(["forms", "score", form, "--answers", str(path), "--dir", str(FORMS), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def flag_ids(result: dict[str, Any]) -> list[str]:
    return [f["id"] for f in result["flags"]]


# --- FAST (OHID/PHE FAST form) ---------------------------------------------------------------

def test_fast_never_asks_questions_2_to_4_and_does_not_stop_as_negative(tmp_path, capsys):
    result = score(tmp_path, capsys, "fast", {"q1": 0})
    assert result["form"] == "fast@3"
    assert result["hidden"] == [] and result["computed"]["result"] is None
    assert {(p["field"], p["code"]) for p in result["problems"]} == {("q2", "ANS_001"), ("q3", "ANS_001"),
                                                                       ("q4", "ANS_001")}
    assert result["scores"]["total"]["complete"] is False


@pytest.mark.parametrize("q2, q3, q4, positive", [(0, 0, 0, False), (1, 1, 0, False), (1, 0, 2, True),
                                                  (0, 0, 4, True), (3, 0, 0, True)])
def test_fast_never_then_questions_2_to_4_total_3_or_more_is_positive(tmp_path, capsys, q2, q3, q4, positive):
    result = score(tmp_path, capsys, "fast", {"q1": 0, "q2": q2, "q3": q3, "q4": q4})
    assert result["problems"] == [] and result["scores"]["total"]["value"] == q2 + q3 + q4
    assert result["computed"]["result"] == ("positive" if positive else "negative")
    assert flag_ids(result) == (["positive"] if positive else [])


@pytest.mark.parametrize("q1", [3, 4])
def test_fast_weekly_or_daily_is_positive_and_stops(tmp_path, capsys, q1):
    result = score(tmp_path, capsys, "fast", {"q1": q1})
    assert result["hidden"] == ["q2", "q3", "q4"] and result["problems"] == []
    assert result["scores"]["total"]["value"] == q1 and result["scores"]["total"]["complete"] is True
    assert result["computed"]["result"] == "positive" and flag_ids(result) == ["positive"]


@pytest.mark.parametrize("q1", [1, 2])
def test_fast_less_than_monthly_or_monthly_asks_the_rest(tmp_path, capsys, q1):
    result = score(tmp_path, capsys, "fast", {"q1": q1, "q2": 0, "q3": 0, "q4": 0})
    assert result["hidden"] == [] and result["scores"]["total"]["value"] == q1
    assert result["computed"]["result"] == "negative" and flag_ids(result) == []


def test_fast_questions_2_and_3_in_the_order_of_the_ohid_form(catalogue):
    spec = catalogue.get("fast")
    assert "failed to do what was normally expected" in spec.fields["q2"].label
    assert "unable to remember what happened the night before" in spec.fields["q3"].label
    assert "OHID" in dict(spec.licence)["source"]


@pytest.mark.parametrize("version", ["1", "2"])
def test_fast_older_versions_still_score_saved_answers_with_their_own_rules(tmp_path, capsys, version):
    # Responses saved with versions 1 and 2 keep the rules they were given under ("Never" stopped).
    result = score(tmp_path, capsys, "fast", {"q1": 0}, "--version", version)
    assert result["form"] == f"fast@{version}" and result["computed"]["result"] == "negative"
    assert result["hidden"] == ["q2", "q3", "q4"] and result["problems"] == []


# --- SADQ ------------------------------------------------------------------------------------

SADQ = [f"q{i}" for i in range(1, 21)]


def test_sadq_asks_about_a_heavy_drinking_period_in_the_last_six_months(catalogue):
    label = catalogue.get("sadq").fields["heavy_month"].label
    assert "typical period of heavy drinking in the last 6 months" in label
    assert "recent month" not in label


def test_sadq_reinstatement_questions_have_their_own_scale(catalogue):
    spec = catalogue.get("sadq")
    for item in ("q17", "q18", "q19", "q20"):
        assert [(c.label, c.score) for c in spec.fields[item].choices] == [
            ("Not at all", 0), ("Slightly", 1), ("Moderately", 2), ("Quite a lot", 3)], item
    for item in SADQ[:16]:
        assert [c.label for c in spec.fields[item].choices] == ["Almost never", "Sometimes", "Often",
                                                                "Nearly always"], item


@pytest.mark.parametrize("answer, total, flagged", [(0, 0, False), (1, 20, True), (3, 60, True)])
def test_sadq_reinstatement_answers_score_0_to_3(tmp_path, capsys, answer, total, flagged):
    # Every question at `answer` (0-3 on both scales); then only questions 17-20 at it.
    result = score(tmp_path, capsys, "sadq", {q: answer for q in SADQ} | {"heavy_month": "March 2026"})
    assert result["problems"] == [] and result["scores"]["total"]["value"] == total
    assert ("medicated_withdrawal" in flag_ids(result)) is flagged
    only_17_20 = score(tmp_path, capsys, "sadq", {q: (answer if q in SADQ[16:] else 0) for q in SADQ}
                       | {"heavy_month": "March 2026"})
    assert only_17_20["scores"]["total"]["value"] == 4 * answer


def test_sadq_version_2_still_opens_with_its_own_wording(tmp_path, capsys, catalogue):
    old = catalogue.get("sadq", 2)
    assert "recent month" in old.fields["heavy_month"].label
    assert [c.label for c in old.fields["q17"].choices][0] == "Almost never"
    result = score(tmp_path, capsys, "sadq", {q: 1 for q in SADQ} | {"heavy_month": "March"}, "--version", "2")
    assert result["form"] == "sadq@2" and result["scores"]["total"]["value"] == 20


# --- SDS -------------------------------------------------------------------------------------

SDS = ["q1", "q2", "q3", "q4", "q5"]
CUT_OFF = {"heroin": 5, "cocaine": 3, "amphetamine": 4, "cannabis": 3, "alcohol": 3}


def _sds_totalling(total: int) -> dict[str, int]:
    answers, left = {}, total
    for q in SDS:
        answers[q] = min(3, left)
        left -= answers[q]
    return answers


def test_sds_asks_about_the_past_year(catalogue):
    spec = catalogue.get("sds")
    assert spec.section_of["q1"].title == "In the past year"
    assert "past year" in spec.purpose and "past month" not in spec.purpose


@pytest.mark.parametrize("substance, cut_off", sorted(CUT_OFF.items()))
def test_sds_flags_each_substance_at_its_published_cut_off(tmp_path, capsys, substance, cut_off):
    below = score(tmp_path, capsys, "sds", _sds_totalling(cut_off - 1) | {"substance": substance})
    assert below["scores"]["total"]["value"] == cut_off - 1 and flag_ids(below) == []
    at = score(tmp_path, capsys, "sds", _sds_totalling(cut_off) | {"substance": substance})
    assert at["scores"]["total"]["value"] == cut_off and at["scores"]["total"]["band"] is None
    assert flag_ids(at) == [f"{substance}_dependence"]
    assert f"SDS {cut_off} or more" in at["flags"][0]["message"]


@pytest.mark.parametrize("substance", ["benzodiazepines", "other"])
def test_sds_without_a_published_cut_off_shows_the_total_and_no_flag(tmp_path, capsys, substance):
    result = score(tmp_path, capsys, "sds", _sds_totalling(15) | {"substance": substance})
    assert result["scores"]["total"]["value"] == 15 and flag_ids(result) == []


def test_sds_purpose_names_every_flagged_cut_off(catalogue):
    spec = catalogue.get("sds")
    flagged = {f.id.removesuffix("_dependence") for f in spec.flags}
    assert flagged == set(CUT_OFF)
    purpose = " ".join(spec.purpose.split())
    for substance, cut_off in CUT_OFF.items():
        word = {"heroin": "heroin", "amphetamine": "amphetamines"}.get(substance, substance)
        assert f"{word} ({cut_off}" in purpose, substance
