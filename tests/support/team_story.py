"""Cases for the team figures' tests, built through the services as a practitioner builds
them: people registered, cases opened on given days, forms finalised on given days (all
fictional; NHS numbers from the range kept for testing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ddassess.domain.models import PersonDetails
from ddassess.domain.nhs import fictional_nhs_numbers
from ddassess.formengine import Catalogue
from ddassess.services import case_changes
from ddassess.services.case_pathway import finalise_form
from ddassess.store import Store


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(11, 0), tzinfo=dt.UTC)


class Team:
    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self.store, self.catalogue = store, catalogue
        self._numbers = iter(fictional_nhs_numbers(200, start=999_300_000))
        self._n = 0

    def person(self, given: str = "Testy", family: str = "McTestface") -> int:
        self._n += 1
        return case_changes.register_person(self.store, PersonDetails(
            given_name=given, family_name=f"{family}{self._n}", date_of_birth=dt.date(1980, 1, 1),
            nhs_number=next(self._numbers))).id

    def case(self, opened: dt.date, person_id: int | None = None) -> int:
        return case_changes.open_case(self.store, person_id or self.person(), opened_on=opened).id

    def final(self, case_id: int, form_id: str, day: dt.date, answers: dict[str, Any]) -> int:
        spec = self.catalogue.get(form_id)
        rid = case_changes.start_response(self.store, case_id, spec.id, spec.version, spec.content_hash,
                                          answers, at=at(day)).id
        finalise_form(self.store, self.catalogue, rid, at=at(day))
        return rid

    def draft(self, case_id: int, form_id: str, day: dt.date, answers: dict[str, Any]) -> int:
        spec = self.catalogue.get(form_id)
        return case_changes.start_response(self.store, case_id, spec.id, spec.version, spec.content_hash,
                                           answers, at=at(day)).id
