"""A form as a FHIR R4 ``Questionnaire``, its answers as a ``QuestionnaireResponse`` and back.

- The Questionnaire's canonical URL is ``QUESTIONNAIRE_BASE/<form id>`` and its ``version``
  the form's version; its ``code`` is the form's ``codes:`` (LOINC panel, where one exists).
- A section is a ``group`` item (linkId ``section-<id>``); a field an item with its own id as
  linkId; a column of a repeating group ``<group>.<column>``; a score a read-only calculated
  item ``score-<id>``.
- An option is an ``answerOption`` whose ``valueCoding`` has the option's value as its code
  (text of a number or of a word) and its score in the ``ordinalValue`` extension.
- Answers map to the value type of their field; a drawn signature is an attachment holding
  its strokes as JSON, so the round trip gives back exactly what was stored.
- A row of a repeating group is one repetition of the group's item, whose element ``id`` is
  the row's id (a UUID, never shown: it is what lets two laptops merge the rows one by
  one), so a case moved as FHIR keeps its rows' identity; an ``id`` that is not a UUID is
  ignored on reading and the row gets one as a row typed in would.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import uuid
from typing import Any

from ddassess.formengine.display import plain_text as _plain_text
from ddassess.formengine.evaluate import Evaluation
from ddassess.formengine.row_ids import ROW_KEY, row_id
from ddassess.formengine.spec import FieldSpec, FormSpec

QUESTIONNAIRE_BASE = "https://ddassess.invalid/fhir/Questionnaire"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
DEFINITION_HASH = "https://ddassess.invalid/fhir/StructureDefinition/definition-hash"
LOINC = "http://loinc.org"
LOINC_QUESTIONNAIRE = "http://loinc.org/q/"

ITEM_TYPES = {
    "short_text": "string", "long_text": "text", "integer": "integer", "decimal": "decimal", "rating": "integer",
    "date": "date", "datetime": "dateTime", "yes_no": "boolean", "single_choice": "choice",
    "multi_choice": "choice", "scored_choice": "choice", "group": "group", "person_ref": "string",
    "practitioner_ref": "string", "signature": "attachment",
}


def canonical(spec: FormSpec) -> str:
    return f"{QUESTIONNAIRE_BASE}/{spec.id}"


def questionnaire_id(spec: FormSpec) -> str:
    return f"{spec.id.replace('_', '-')}-{spec.version}"


def _code(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str(value) if type(value) is int else json.dumps(value)  # json.dumps(3) is "3"


plain_text = functools.lru_cache(maxsize=8192)(_plain_text)  # the same labels over and over, in every export


def _number(value: float | int) -> float | int:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _item(f: FieldSpec, prefix: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": prefix + f.id, "text": plain_text(f.label), "type": ITEM_TYPES[f.type]}
    if f.required:
        item["required"] = True
    if f.type in ("multi_choice", "group"):
        item["repeats"] = True
    if f.choices:
        options = []
        for c in f.choices:
            option: dict[str, Any] = {"valueCoding": {"code": _code(c.value), "display": plain_text(c.label)}}
            if c.score is not None:
                option["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": _number(c.score)}]
            options.append(option)
        item["answerOption"] = options
    if f.type == "group":
        item["item"] = [_item(c, f"{f.id}.") for c in f.fields if c.type in ITEM_TYPES]
    return item


def questionnaire(spec: FormSpec) -> dict[str, Any]:
    """The FHIR Questionnaire of one version of a form (computed fields are not asked): built once
    per definition and kept as JSON text; each call gets its own copy, so a caller may change it."""
    key = (spec.id, spec.version, spec.content_hash)
    text = _QUESTIONNAIRES.get(key)
    if text is None:
        if len(_QUESTIONNAIRES) >= 256:
            _QUESTIONNAIRES.clear()
        text = _QUESTIONNAIRES[key] = json.dumps(_questionnaire(spec), ensure_ascii=False)
    result: dict[str, Any] = json.loads(text)
    return result


_QUESTIONNAIRES: dict[tuple[str, int, str], str] = {}


def _questionnaire(spec: FormSpec) -> dict[str, Any]:
    licence = dict(spec.licence)
    q: dict[str, Any] = {
        "resourceType": "Questionnaire", "id": questionnaire_id(spec), "url": canonical(spec),
        "version": str(spec.version), "name": spec.id.upper().replace("-", "_"), "title": spec.title,
        "status": "active", "subjectType": ["Patient"],
        "extension": [{"url": DEFINITION_HASH, "valueString": spec.content_hash}],
    }
    if spec.purpose:
        q["purpose"] = plain_text(spec.purpose)
    q["copyright"] = " ".join(x for x in (licence.get("text", ""), licence.get("attribution", ""),
                                          licence.get("source", "")) if x).strip()
    if spec.codes:
        q["code"] = [{"system": c.system, "code": c.code, "display": c.display} for c in spec.codes]
    items = []
    for s in spec.sections:
        fields = [_item(f) for f in s.fields if f.type in ITEM_TYPES]
        if fields:
            items.append({"linkId": f"section-{s.id}", "text": plain_text(s.title), "type": "group", "item": fields})
    for sc in spec.scores:
        score_item: dict[str, Any] = {"linkId": f"score-{sc.id}", "text": sc.label, "type": "decimal", "readOnly": True}
        items.append(score_item)
    q["item"] = items
    return q


# --- answers -> QuestionnaireResponse items -----------------------------------------------


def _signature_attachment(value: Any) -> dict[str, Any]:
    data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return {"contentType": "application/json", "title": "Drawn signature (strokes)",
            "data": base64.b64encode(data).decode("ascii")}


def _answer_values(f: FieldSpec, value: Any) -> list[dict[str, Any]]:
    """The FHIR answers of one field's value ([] when unanswered)."""
    if value is None or value == "" or value == []:
        return []
    t = f.type
    if f.choices:
        values = value if t == "multi_choice" and isinstance(value, list) else [value]
        out = []
        for v in values:
            c = f.choice(v)
            coding = {"code": _code(v)} | ({"display": plain_text(c.label)} if c is not None else {})
            out.append({"valueCoding": coding})
        return out
    if t == "yes_no":
        return [{"valueBoolean": value}]
    if t in ("integer", "rating") and isinstance(value, int) and not isinstance(value, bool):
        return [{"valueInteger": value}]
    if t in ("decimal", "integer", "rating") and isinstance(value, int | float) and not isinstance(value, bool):
        return [{"valueDecimal": value}]
    if t == "date":
        return [{"valueDate": value}]
    if t == "datetime":
        return [{"valueDateTime": value}]
    if t == "signature":
        return [{"valueAttachment": _signature_attachment(value)}]
    return [{"valueString": value if isinstance(value, str) else json.dumps(value)}]


def _field_items(f: FieldSpec, value: Any, prefix: str = "") -> list[dict[str, Any]]:
    if f.type == "group":
        rows = value if isinstance(value, list) else []
        out = []
        for row in rows:
            cells = [i for c in f.fields if c.type in ITEM_TYPES
                     for i in _field_items(c, row.get(c.id) if isinstance(row, dict) else None, f"{f.id}.")]
            item: dict[str, Any] = {"id": rid} if (rid := row_id(row)) else {}
            item["linkId"] = prefix + f.id
            if cells:
                item["item"] = cells
            out.append(item)
        return out
    answers = _answer_values(f, value)
    return [{"linkId": prefix + f.id, "answer": answers}] if answers else []


def response_items(spec: FormSpec, answers: dict[str, Any], ev: Evaluation | None = None) -> list[dict[str, Any]]:
    """The items of a QuestionnaireResponse holding ``answers`` (and the complete scores of ``ev``)."""
    items = []
    for s in spec.sections:
        inner = [i for f in s.fields if f.type in ITEM_TYPES for i in _field_items(f, answers.get(f.id))]
        if inner:
            items.append({"linkId": f"section-{s.id}", "item": inner})
    if ev is not None:
        for sc in spec.scores:
            r = ev.scores.get(sc.id)
            if r is not None and r.complete and r.value is not None:
                items.append({"linkId": f"score-{sc.id}", "answer": [{"valueDecimal": _number(r.value)}]})
    return items


# --- QuestionnaireResponse items -> answers ------------------------------------------------


class AnswerProblems(Exception):
    """Everything in a response's items that does not fit its form, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _choice_value(f: FieldSpec, coding: Any, where: str, problems: list[str]) -> Any:
    code = coding.get("code") if isinstance(coding, dict) else None
    for c in f.choices:
        if _code(c.value) == code:
            return c.value
    problems.append(f"{where}: '{code}' is not one of the options of '{plain_text(f.label)}'.")
    return None


_KINDS = {"boolean": "valueBoolean", "integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate",
          "dateTime": "valueDateTime", "string": "valueString", "text": "valueString", "choice": "valueCoding",
          "attachment": "valueAttachment"}


def _value(f: FieldSpec, answer: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(answer, dict):
        problems.append(f"{where}: an answer must be an object with one value[x].")
        return None
    t = ITEM_TYPES[f.type]
    if f.choices:
        if "valueCoding" not in answer:
            problems.append(f"{where}: '{plain_text(f.label)}' is answered with one of its options (valueCoding).")
            return None
        return _choice_value(f, answer["valueCoding"], where, problems)
    if t in ("integer", "decimal") and ("valueInteger" in answer or "valueDecimal" in answer):
        v = answer.get("valueInteger", answer.get("valueDecimal"))
        if isinstance(v, int | float) and not isinstance(v, bool):
            return v
        problems.append(f"{where}: '{plain_text(f.label)}' needs a number.")
        return None
    key = _KINDS[t]
    if key not in answer:
        problems.append(f"{where}: '{plain_text(f.label)}' needs a {key} answer; found "
                        f"{', '.join(k for k in answer if k.startswith('value')) or 'none'}.")
        return None
    v = answer[key]
    if t == "attachment":
        try:
            return json.loads(base64.b64decode(str(v.get("data", "")), validate=True))
        except (AttributeError, ValueError, binascii.Error):
            problems.append(f"{where}: the signature of '{plain_text(f.label)}' cannot be read.")
            return None
    if t in ("date", "dateTime"):
        try:
            (dt.date if t == "date" else dt.datetime).fromisoformat(v)
        except (TypeError, ValueError):
            problems.append(f"{where}: '{v}' is not a {'date' if t == 'date' else 'date and time'}.")
            return None
    elif t == "boolean" and not isinstance(v, bool) or t in ("string", "text") and not isinstance(v, str):
        problems.append(f"{where}: '{plain_text(f.label)}' needs a {key} answer.")
        return None
    return v


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _read_field(f: FieldSpec, items: list[Any], where: str, problems: list[str]) -> Any:
    if f.type == "group":
        rows = []
        for n, it in enumerate(items, 1):
            row: dict[str, Any] = {}
            rid = it.get("id") if isinstance(it, dict) else None
            if isinstance(rid, str) and _is_uuid(rid):
                row[ROW_KEY] = rid
            cols = {c.id: c for c in f.fields}
            for cell in it.get("item", []) if isinstance(it, dict) else []:
                link = str(cell.get("linkId", "")) if isinstance(cell, dict) else ""
                col = cols.get(link.removeprefix(f"{f.id}."))
                if col is None or not link.startswith(f"{f.id}."):
                    problems.append(f"{where}, row {n}: the form has no column '{link}'.")
                    continue
                row[col.id] = _read_field(col, [cell], f"{where}, row {n}", problems)
            rows.append(row)
        return rows
    answers = [a for it in items for a in (it.get("answer") or [] if isinstance(it, dict) else [])]
    values = [_value(f, a, f"{where} '{f.id}'", problems) for a in answers]
    if f.type == "multi_choice":
        return values
    if len(values) > 1:
        problems.append(f"{where} '{f.id}': one answer expected, {len(values)} given.")
    return values[0] if values else None


def read_items(spec: FormSpec, items: Any, where: str = "QuestionnaireResponse") -> dict[str, Any]:
    """The answers that ``items`` hold for ``spec``; raises AnswerProblems listing every item that
    does not fit (an unknown linkId, a value of the wrong type, an option the form has not)."""
    problems: list[str] = []
    if not isinstance(items, list):
        raise AnswerProblems([f"{where}: 'item' must be a list."])
    by_id: dict[str, list[Any]] = {}
    sections = {f"section-{s.id}" for s in spec.sections}
    for top in items:
        link = top.get("linkId") if isinstance(top, dict) else None
        if link in sections:
            for it in top.get("item") or []:
                name = it.get("linkId") if isinstance(it, dict) else None
                by_id.setdefault(str(name), []).append(it)
        elif isinstance(link, str) and link.startswith("score-"):
            continue  # calculated by the form: worked out again, never taken from a file
        else:
            by_id.setdefault(str(link), []).append(top)
    answers: dict[str, Any] = {}
    for name, group in by_id.items():
        f = spec.fields.get(name)
        if f is None or f.type not in ITEM_TYPES:
            problems.append(f"{where}: {spec.title} has no question '{name}'.")
            continue
        value = _read_field(f, group, where, problems)
        if value is not None and value != []:
            answers[name] = value
    if problems:
        raise AnswerProblems(problems)
    return answers
