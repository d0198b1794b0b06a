"""Score trajectories: for each instrument of a case, the totals of its final responses over
time, with the band boundaries the form gives (PHQ-9 minimal 0–4, mild 5–9, ...), for the
"Scores over time" panel, the joint review and the scores PDF.

- **Which responses**: final ones only (a draft may change; a superseded one was replaced
  by its amendment, which takes its place — and its date: an amendment corrects the answers
  given that day, it does not make a new measurement).
- **Which score**: the score the form is known by, as the case header picks it: the first
  with bands, else the first; only a complete score is a point (a total of the answered
  items only would fall under the bands it belongs in).
- **Which date**: when the response was first finalised.
- **Bands** come from the form (``bands:`` of its score in forms/*.yaml), never from Python:
  the current version's bands are drawn; each point's value and band are worked out with the
  version it was answered under. A form whose score has no bands (SDS) is drawn without.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ddassess.domain.charts import Band, LineChart, Series
from ddassess.errors import FormDefinitionError
from ddassess.fileio import atomic_write
from ddassess.formengine import Catalogue, FormSpec, evaluate
from ddassess.formengine.spec import BandSpec, ScoreSpec
from ddassess.services.case_pathway import StoredCaseContext
from ddassess.store import Store
from ddassess.store.audit import append_event
from ddassess.store.records import CaseRecord, ResponseRecord


@dataclass(frozen=True)
class TrajectoryPoint:
    on: dt.date
    value: float | int
    band: str
    response_id: int


@dataclass(frozen=True)
class Trajectory:
    form_id: str
    name: str  # "PHQ-9"
    score_label: str  # "PHQ-9 total"
    bands: tuple[BandSpec, ...]
    low: float | int | None  # the score's range, when the form gives it
    high: float | int | None
    points: tuple[TrajectoryPoint, ...]

    def chart(self, date_format: str = "%d %b %Y") -> LineChart:
        """The trajectory as a line chart: one point per response, the bands shaded from half a
        point below their lowest score to half a point above their highest (no whole-number
        score sits on a boundary), each written as the form writes it ("10–14")."""
        bands = tuple(Band(b.min - 0.5, b.max + 0.5, b.label, _span(b)) for b in self.bands)
        low = self.low if self.low is not None else (self.bands[0].min if self.bands else None)
        high = self.high if self.high is not None else (self.bands[-1].max if self.bands else None)
        return LineChart(self.score_label, tuple(p.on.strftime(date_format) for p in self.points),
                         (Series("", tuple(float(p.value) for p in self.points)),), bands=bands,
                         y_min=None if low is None else low - 0.5, y_max=None if high is None else high + 0.5)

    def text(self, date_format: str = "%d %b %Y") -> str:
        return self.chart(date_format).text_alternative()


def _span(band: BandSpec) -> str:
    n = _num(band.min), _num(band.max)
    return n[0] if n[0] == n[1] else f"{n[0]}–{n[1]}"


def _num(value: float | int) -> str:
    return f"{value:g}"


def _short_name(spec: FormSpec, label: str) -> str:
    for tail in (" total score", " total", " score"):
        if label.lower().endswith(tail):
            return label[: -len(tail)].strip()
    return label or spec.title


def headline_score(spec: FormSpec) -> ScoreSpec | None:
    """The score an instrument is known by: its first with bands, else its first."""
    return next((s for s in spec.scores if s.bands), spec.scores[0] if spec.scores else None)


def _score_range(spec: FormSpec, score: ScoreSpec) -> tuple[float | int | None, float | int | None]:
    """The range the form gives the score, else, for a plain sum of items, the sum of each
    item's lowest and highest option (SDS: 0–15), else unknown."""
    if score.min is not None and score.max is not None:
        return score.min, score.max
    if score.items and not score.weights and score.expr is None and not score.reverse:
        ranges = [f.score_range if f is not None else None for f in (spec.fields.get(i) for i in score.items)]
        if all(r is not None for r in ranges):
            return sum(r[0] for r in ranges if r), sum(r[1] for r in ranges if r)
    return score.min, score.max


def _first_finalised(rows: dict[int, ResponseRecord], r: ResponseRecord) -> dt.datetime | None:
    """When the measurement was made: the finalisation of the first response it amends."""
    seen = set()
    while r.amends_id is not None and r.amends_id in rows and r.id not in seen:
        seen.add(r.id)
        r = rows[r.amends_id]
    return r.finalised_at or r.created_at


def score_trajectories(store: Store, catalogue: Catalogue, case_id: int) -> tuple[Trajectory, ...]:
    """Every instrument of the case with at least one complete final score, in the order the
    catalogue lists its forms; each trajectory's points oldest first."""
    with store.read() as s:
        records = list(s.scalars(select(ResponseRecord).where(ResponseRecord.case_id == case_id)))
        s.expunge_all()
    rows = {r.id: r for r in records}
    context = StoredCaseContext(store, case_id, catalogue)
    found: dict[str, list[TrajectoryPoint]] = {}
    for r in records:
        if r.status != "final":
            continue
        current = catalogue.forms.get(r.form_id)
        if current is None or current.kind != "instrument" or headline_score(current) is None:
            continue
        try:
            spec = catalogue.definition_for(r.form_id, r.form_version, r.definition_hash)
        except FormDefinitionError:
            continue  # its definition is gone: the case view says so; no point is better than a wrong one
        score = headline_score(spec)
        if score is None:
            continue
        ev = evaluate(spec, json.loads(r.answers_json or "{}"), context, tables=catalogue.tables)
        result = ev.scores.get(score.id)
        if result is None or not result.complete or result.value is None:
            continue
        when = _first_finalised(rows, r)
        if when is None:
            continue
        found.setdefault(r.form_id, []).append(
            TrajectoryPoint(when.astimezone().date(), result.value, result.band, r.id))
    out = []
    for form_id, spec in catalogue.forms.items():
        if form_id not in found:
            continue
        score = headline_score(spec)
        assert score is not None
        points = tuple(sorted(found[form_id], key=lambda p: (p.on, p.response_id)))
        low, high = _score_range(spec, score)
        out.append(Trajectory(form_id, _short_name(spec, score.label), score.label, score.bands, low, high, points))
    return tuple(out)


def export_scores(store: Store, catalogue: Catalogue, case_id: int, out: Path, today: dt.date | None = None) -> int:
    """Write the case's scores over time as an A4 PDF (owner-only), atomically, and record the
    export in the audit trail. The number of charts printed."""
    from ddassess.pdf.scores import render_scores
    from ddassess.services.careplan_files import check_writable
    from ddassess.services.case_pathway import case_detail
    from ddassess.services.settings import get_setting

    check_writable(out)
    detail = case_detail(store, case_id)
    date_format = str(get_setting(store, "date_format") or "%d %b %Y")
    trajectories = score_trajectories(store, catalogue, case_id)
    pdf = render_scores(detail.ref, detail.person_name, today or dt.date.today(),
                        [t.chart(date_format) for t in trajectories])
    atomic_write(out, pdf, mode=0o600)
    with store.write() as s:
        uuid = s.scalar(select(CaseRecord.uuid).where(CaseRecord.id == case_id))
        append_event(s, actor=store.owner_uuid, action="export", entity_type="case-report", entity_id=uuid or "",
                     changes={"report": [None, "scores over time"], "charts": [None, len(trajectories)],
                              "file": [None, out.name]})
    return len(trajectories)
