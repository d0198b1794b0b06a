"""The forms a case page offers to start, in the order of the pathway, with what is due next
on this case first (rather than alphabetically, which put AUDIT before the referral).

"Due next" is read from the case's steps as the header shows them (``case_header._steps``):
a form is due when the case has no response to it yet (a draft is opened from the list,
not started again) and it belongs to a step that is in progress, to an earlier step left
"not recorded", to the furthest step done (its other forms, e.g. the rest of the
screening instruments), or to the step due next; a review form is due whenever the review
step is due or overdue, since reviews repeat.
Forms of no pathway step come last, by title.
"""

from __future__ import annotations

from dataclasses import dataclass

from ddassess.domain.models import PATHWAY_STAGES
from ddassess.formengine import Catalogue
from ddassess.services.case_header import CaseSummary
from ddassess.services.case_pathway import FORM_STAGE

REPEATING_STAGES = frozenset({"review"})


@dataclass(frozen=True)
class FormChoice:
    form_id: str
    title: str
    stage: str | None  # the pathway step the form belongs to
    due: bool  # due next on this case


def _pathway_place(form_id: str) -> tuple[int, int]:
    """Where a form comes on the pathway: its step, then its place among the step's forms."""
    stage = FORM_STAGE.get(form_id)
    if stage is None:
        return len(PATHWAY_STAGES), 0
    return PATHWAY_STAGES.index(stage), list(FORM_STAGE).index(form_id)


def form_choices(catalogue: Catalogue, summary: CaseSummary) -> tuple[FormChoice, ...]:
    """Every form of the catalogue: those due next on this case first, then the rest; each
    group in pathway order (forms of no step last, by title)."""
    started = {r.form_id for r in summary.responses if r.status != "superseded"}
    done = [s.stage for s in summary.steps if s.state == "done"]
    current = {s.stage for s in summary.steps if s.state in ("in_progress", "not_done")} | set(done[-1:])
    coming = {s.stage for s in summary.steps if s.state in ("due", "overdue")}
    choices = []
    for spec in catalogue.forms.values():
        stage = FORM_STAGE.get(spec.id)
        due = stage is not None and (
            (stage in current | coming and spec.id not in started)
            or (stage in coming and stage in REPEATING_STAGES))
        choices.append(FormChoice(spec.id, spec.title, stage, due))
    return tuple(sorted(choices, key=lambda c: (not c.due, _pathway_place(c.form_id), c.title)))
