"""Reading a FHIR file given to ``import``: checked before anything is stored.

A file is read whole within ``MAX_FHIR_BYTES`` and must be JSON holding one resource: a
``QuestionnaireResponse`` or a ``Bundle`` of them (an exported case). Each response is
matched to a catalogue form by its Questionnaire's canonical URL and version, or by the
LOINC code of the form (``http://loinc.org/q/<code>``, the form's current version), and its
items are read into answers; every problem in the file is collected and reported together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ddassess.codes import Code
from ddassess.errors import InvalidInputError
from ddassess.formengine import Catalogue
from ddassess.formengine.spec import FormSpec
from ddassess.interchange.fhir_forms import LOINC, LOINC_QUESTIONNAIRE, QUESTIONNAIRE_BASE, AnswerProblems, read_items

MAX_FHIR_BYTES = 20 * 1024 * 1024  # a case with hundreds of forms is a few MB
MAX_RESOURCES = 20_000


class FhirFileError(InvalidInputError):
    """A file that is not FHIR this ddassess can import (not JSON, not a resource it reads, too large)."""

    code = Code.FHIR_001


class FhirFormError(InvalidInputError):
    """Answers to a form, or to a version of one, that this ddassess's catalogue does not have."""

    code = Code.FHIR_002


class FhirTargetError(InvalidInputError):
    """A whole case imported into a store that already has that case or that person."""

    code = Code.FHIR_004


class FhirAnswersError(InvalidInputError):
    """Answers that do not fit the form they are for; ``problems`` lists each."""

    code = Code.FHIR_003

    SHOWN = 20  # problems listed in the message; the rest are counted

    def __init__(self, message: str, problems: list[str], *, hint: str | None = None) -> None:
        listed = "".join(f"\n  - {p}" for p in problems[:self.SHOWN])
        more = f"\n  ... and {len(problems) - self.SHOWN} more" if len(problems) > self.SHOWN else ""
        super().__init__(message + listed + more, hint=hint or "Correct the answers in the file, or import the "
                         "others on their own.")
        self.problems = problems


def parse(data: bytes, name: str) -> dict[str, Any]:
    """The resource a file holds; FhirFileError saying what is wrong otherwise."""
    if len(data) > MAX_FHIR_BYTES:
        raise FhirFileError(f"{name} is {len(data) // (1024 * 1024)} MB: ddassess imports FHIR files of at most "
                            f"{MAX_FHIR_BYTES // (1024 * 1024)} MB.",
                            hint="Export the responses to import on their own, or split the bundle.")
    try:
        resource = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FhirFileError(f"{name} is not text (UTF-8): it is not a FHIR JSON file.") from None
    except ValueError as exc:
        raise FhirFileError(f"{name} is not valid JSON ({exc}).", hint="Give a FHIR R4 JSON file.") from None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise FhirFileError(f"{name} is JSON but not a FHIR resource (no resourceType).")
    if resource["resourceType"] not in ("QuestionnaireResponse", "Bundle"):
        raise FhirFileError(f"{name} holds a {resource['resourceType']}: ddassess imports a QuestionnaireResponse "
                            "or a Bundle.")
    if resource["resourceType"] == "Bundle":
        entries = resource.get("entry")
        if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("resource"), dict)
                                                    and isinstance(e["resource"].get("resourceType"), str)
                                                    for e in entries):
            raise FhirFileError(f"{name}: the Bundle's entries must each hold a resource.")
        if len(entries) > MAX_RESOURCES:
            raise FhirFileError(f"{name} holds {len(entries)} resources; ddassess imports at most {MAX_RESOURCES}.")
    return resource


def resources(resource: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    if resource["resourceType"] == kind:
        return [resource]
    return [e["resource"] for e in resource.get("entry") or [] if e["resource"]["resourceType"] == kind]


def form_of(qr: dict[str, Any], catalogue: Catalogue) -> FormSpec:
    """The catalogue form a QuestionnaireResponse answers (FhirFormError when none)."""
    ref = qr.get("questionnaire")
    if not isinstance(ref, str) or not ref:
        raise FhirFormError("The QuestionnaireResponse does not say which Questionnaire it answers.")
    url, _, version = ref.partition("|")
    if url.startswith(LOINC_QUESTIONNAIRE):
        code = url.removeprefix(LOINC_QUESTIONNAIRE)
        for form_id in sorted({k[0] for k in catalogue.all_versions}):
            spec = catalogue.get(form_id)
            if any(c.system == LOINC and c.code == code for c in spec.codes):
                return spec
        raise FhirFormError(f"No form in this ddassess has the LOINC code {code}.",
                            hint="Forms with LOINC codes: " + ", ".join(
                                f"{s.title} ({c.code})" for s in (catalogue.get(f) for f in sorted(
                                    {k[0] for k in catalogue.all_versions})) for c in s.codes if c.system == LOINC))
    if not url.startswith(QUESTIONNAIRE_BASE + "/"):
        raise FhirFormError(f"The answers are to {url}, which is not a ddassess form.",
                            hint="ddassess imports answers to its own forms (as it exports them) or to a form by "
                                 "its LOINC code.")
    form_id = url.removeprefix(QUESTIONNAIRE_BASE + "/")
    known = sorted(v for f, v in catalogue.all_versions if f == form_id)
    if not known:
        raise FhirFormError(f"This ddassess has no form '{form_id}'.")
    if not version.isdigit() or (form_id, int(version)) not in catalogue.all_versions:
        raise FhirFormError(f"The answers are to version {version or '(none)'} of '{form_id}'; this ddassess has "
                            f"versions {', '.join(map(str, known))}.",
                            hint="Update ddassess if the file comes from a newer one.")
    return catalogue.all_versions[(form_id, int(version))]


def answers_of(qr: dict[str, Any], spec: FormSpec) -> dict[str, Any]:
    where = f"QuestionnaireResponse {qr.get('id', '')}".strip()
    try:
        return read_items(spec, qr.get("item", []), where)
    except AnswerProblems as exc:
        raise FhirAnswersError(f"{len(exc.problems)} answer(s) do not fit {spec.title}: nothing was imported.",
                               exc.problems) from None


@dataclass(frozen=True)
class ReadResponse:
    spec: FormSpec
    answers: dict[str, Any]
    status: str


def read_responses(resource: dict[str, Any], catalogue: Catalogue) -> list[ReadResponse]:
    """The answers to import onto a case: each response but the versions an amendment replaced
    (status ``amended``), whose current version is in the file too."""
    found = [qr for qr in resources(resource, "QuestionnaireResponse") if qr.get("status") != "amended"]
    if not found:
        raise FhirFileError("The file holds no QuestionnaireResponse to import.")
    return [ReadResponse(spec := form_of(qr, catalogue), answers_of(qr, spec), str(qr.get("status", "")))
            for qr in found]
