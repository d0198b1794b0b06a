"""The demo store: fictional people in every pathway stage, for a first look at ddassess.

It lives in its own folder (paths.store_dir(demo=True)) with a published passphrase, so
nobody mistakes it for real case data; every name is obviously invented and every NHS
number starts 999 (never issued to a person).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from ddassess.domain.models import PATHWAY_STAGES, PersonDetails
from ddassess.domain.nhs import fictional_nhs_numbers
from ddassess.formengine import Catalogue
from ddassess.keys import KdfParams
from ddassess.services import case_changes, demo_answers
from ddassess.services.case_pathway import FORM_STAGE, finalise_form
from ddassess.store import CreatedStore, Credentials, Store, create_store, open_store, store_exists

DEMO_PASSPHRASE = "demo store - fictional people only"
DEMO_PRACTITIONER = {"name": demo_answers.PRACTITIONER, "role": "Substance misuse social worker",
                     "agency": "Fictional Substance Misuse Service"}
GIVEN = ["Testy", "Fictiona", "Examplia", "Madeup", "Sampla", "Placeholda", "Dummi", "Pretendia", "Notreal",
         "Imagina", "Inventa", "Storybook"]
FAMILY = ["McTestface", "Demoson", "Fakely", "Samplesworth", "Mockington", "Fictionalis", "Placeholder", "Trialby"]
# Each form of the pathway, and how many days after the case opened it was finalised.
TIMELINE = (("referral", 0), ("consent", 2), ("phq9", 6), ("audit", 6), ("substance_profile", 10),
            ("joint_assessment", 12), ("lead_agency", 18), ("care_plan", 25), ("joint_review", 46), ("discharge", 55))


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(11, 0), tzinfo=dt.UTC)


def _forms_up_to(stage: str) -> list[tuple[str, int]]:
    last = PATHWAY_STAGES.index(stage)
    return [(f, d) for f, d in TIMELINE if PATHWAY_STAGES.index(FORM_STAGE[f]) <= last]


def _contact(i: int) -> dict[str, str]:
    """Fictional contact details for demo person ``i`` (no randomness: the rest of the demo is
    drawn as before). Phone numbers are from Ofcom's range kept for drama (07700 900000-900999)."""
    if i % 4 == 3:
        return {}  # some people have none recorded yet
    return {"address": f"{10 + i} Example Road\nLeeds", "postcode": f"LS{1 + i % 9} {1 + i % 8}AP",
            "phone": f"07700 900{100 + i:03d}", "gp_practice": "Example Street Surgery, Leeds",
            "next_of_kin_name": "Pat Example" if i % 2 else "", "next_of_kin_relationship": "Sister" if i % 2 else "",
            "next_of_kin_phone": f"07700 900{500 + i:03d}" if i % 2 else "", "ethnicity": "Z" if i % 3 else "",
            "pronouns": "they/them" if i % 5 == 1 else ""}


def populate(store: Store, catalogue: Catalogue, people: int = 24, seed: int = 7,
             today: dt.date | None = None) -> None:
    """Fictional cases in every pathway stage, each built as a practitioner builds one: the
    case opened, each form started, saved and finalised (or left a draft) through the same
    services the window uses, on its own day, so what the case page, the case list and the
    care plan PDF say come from one history and cannot disagree. Case ``i`` opened
    150 - 4i days before ``today``; every form is dated between that day and ``today``."""
    today = today or dt.date.today()
    rng = random.Random(seed)
    numbers = fictional_nhs_numbers(people, start=999_100_000)
    for i in range(people):
        person = case_changes.register_person(store, PersonDetails(
            given_name=rng.choice(GIVEN), family_name=f"{rng.choice(FAMILY)}",
            date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18000)), nhs_number=numbers[i],
            **_contact(i)))
        opened = today - dt.timedelta(days=150 - 4 * i)
        case = case_changes.open_case(store, person.id, opened_on=opened)
        stage = PATHWAY_STAGES[i % len(PATHWAY_STAGES)]
        story = _CaseStory(store, catalogue, case.id, rng, high_risk=i % 5 == 0,
                           lead="mental_health" if i % 2 else "substance_misuse")
        done = _forms_up_to(stage)
        for form_id, days in done:
            story.final(form_id, opened + dt.timedelta(days=days))
        following = [(f, d) for f, d in TIMELINE if (f, d) not in done]
        if i % 3 == 1 and following and stage not in ("review", "discharged"):
            # work in progress: the next form started the day after the last one, not finished
            story.draft(following[0][0], opened + dt.timedelta(days=done[-1][1] + 1))


class _CaseStory:
    """One case's forms, each through the services on its day."""

    def __init__(self, store: Store, catalogue: Catalogue, case_id: int, rng: random.Random, *, high_risk: bool,
                 lead: str) -> None:
        self.store, self.catalogue, self.case_id, self.rng = store, catalogue, case_id, rng
        self.high_risk, self.lead = high_risk, lead
        self.care_plan_id: int | None = None

    def _answers(self, form_id: str, day: dt.date) -> dict[str, Any]:
        if form_id == "lead_agency":
            return demo_answers.lead_agency(self.rng, day, self.high_risk, self.lead)
        return demo_answers.FORMS[form_id](self.rng, day, self.high_risk)

    def draft(self, form_id: str, day: dt.date) -> int:
        """Start ``form_id`` on ``day`` and save what was filled in by then."""
        from ddassess.services.careplan_prefill import start_care_plan, suggested_needs

        if form_id == "care_plan":  # the practitioner adds each need the assessment suggests
            rid = start_care_plan(self.store, self.catalogue, self.case_id, at=_at(day))
            needs = suggested_needs(self.store, self.catalogue, self.case_id)
            answers = demo_answers.care_plan({**case_changes.get_response(self.store, rid).answers,
                                              **({"needs": needs} if needs else {})}, day)
        else:
            spec = self.catalogue.get(form_id)
            rid = case_changes.start_response(self.store, self.case_id, spec.id, spec.version, spec.content_hash,
                                       at=_at(day)).id
            answers = self._answers(form_id, day)
        case_changes.save_draft(self.store, rid, answers, at=_at(day))
        return rid

    def final(self, form_id: str, day: dt.date) -> None:
        """Fill ``form_id`` on ``day`` and finalise it; the case follows (stage, lead agency,
        care coordinator, review date) as it does in the window."""
        rid = self.draft(form_id, day)
        finalise_form(self.store, self.catalogue, rid, at=_at(day))
        if form_id == "care_plan":
            self.care_plan_id = rid
        elif form_id == "joint_review" and self.care_plan_id is not None:
            self._amend_care_plan(day)

    def _amend_care_plan(self, day: dt.date) -> None:
        """After a joint review the plan is brought up to date (its next review is the review's),
        by an amendment with a reason, as a practitioner does it; the person signs it again."""
        assert self.care_plan_id is not None
        spec = self.catalogue.get("care_plan")
        draft = case_changes.start_amendment(self.store, self.care_plan_id,
                                      {f.id: f.type for f in spec.fields.values()}, at=_at(day))
        answers = dict(draft.answers)
        fresh = demo_answers.care_plan(answers, day)
        answers.update(next_review=fresh["next_review"], person_signed=fresh["person_signed"])
        case_changes.save_draft(self.store, draft.id, answers, at=_at(day))
        finalise_form(self.store, self.catalogue, draft.id, reason="Updated at the joint review (demo)", at=_at(day))
        self.care_plan_id = draft.id


def open_or_create_demo(folder: Path, catalogue: Catalogue) -> Store:
    if store_exists(folder):
        return open_store(folder, Credentials(passphrase=DEMO_PASSPHRASE, use_keyring=False))
    created: CreatedStore = create_store(folder, DEMO_PASSPHRASE, practitioner=DEMO_PRACTITIONER,
                                         use_keyring=False, kdf=KdfParams())
    populate(created.store, catalogue)
    return created.store
