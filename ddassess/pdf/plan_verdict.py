"""A signed plan's verdict: each signature's report, the plan's blocks, and the headline.

``SignatureReport`` is one signature checked (``ddassess.pdf.signature_check`` makes it);
``PlanCheck`` is every signature of a PDF with the plan's signature blocks; ``verdict`` is
the one line that says, in words, whether the plan can be relied on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

BLOCK_LABELS = {"service_user": "person", "care_coordinator": "care coordinator",
                "partner": "partner practitioner", "team_lead": "team lead"}
PERSON_STATES = {"drawn": "signed by hand on the plan (not a digital signature)",
                 "verbal": "agreed verbally, recorded on the plan (not a digital signature)",
                 "unsigned": "unsigned"}


def label(field_name: str) -> str:
    """A signature block's name in words ("team lead" for ``team_lead``)."""
    return BLOCK_LABELS.get(field_name, field_name.replace("_", " "))


def format_time(moment: dt.datetime | None) -> str:
    """A moment in UTC, in words ("unknown" when there is none)."""
    return moment.astimezone(dt.UTC).strftime("%d %b %Y %H:%M UTC") if moment else "unknown"


# --- the result of a check ------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer: str
    signed_at: str
    intact: bool
    valid: bool
    trusted: bool
    unchanged_after: bool
    summary: str
    bottom_line: bool = False  # pyHanko's own overall verdict
    expired_since: str = ""  # the certificate expired after signing (information, not a failure)
    time_source: str = ""  # where the signing time comes from, in words
    changes: str = ""  # what was changed after this signature, in words
    changed_in: int = -1  # the first revision after this signature that was refused
    problems: tuple[str, ...] = ()  # everything else that fails: time, key usage, certificates, bytes
    signed_revision: int = -1
    signed_when: dt.datetime | None = None
    readable: bool = True  # False: the signature could not even be parsed (malformed or forged)

    @property
    def role(self) -> str:
        return label(self.field)

    @property
    def ok(self) -> bool:
        return (self.bottom_line and self.intact and self.valid and self.trusted and self.unchanged_after
                and not self.problems)

    def lines(self) -> list[str]:
        mark = "OK" if self.ok else "PROBLEM"
        after = ("only signatures into the plan's own empty signature blocks" if self.unchanged_after
                 else "CHANGED after this signature" + (f": {self.changes}" if self.changes else ""))
        return [
            f"{mark}: signature '{self.field}' by {self.signer}, signed {self.signed_at}",
            f"    content intact: {'yes' if self.intact else 'NO — the signed bytes were changed (tampered)'}",
            f"    signature valid: {'yes' if self.valid else 'NO'}",
            f"    certificate trusted by the team's authority: {'yes' if self.trusted else 'NO'}",
            "    document after signing: " + after,
        ] + ([f"    signing time: {self.time_source}"] if self.time_source else []) \
          + [f"    PROBLEM: {p}" for p in self.problems] \
          + ([f"    note: the certificate has since expired (on {self.expired_since}); it was valid when this "
              "signature was made, so the signature still stands"] if self.expired_since else [])


@dataclass(frozen=True)
class PlanCheck:
    """Every signature of a PDF checked, and the plan's signature blocks: which are signed,
    which are still empty. ``blocks`` come from the plan's own record (covered by its first
    signature); a PDF without one lists its signature fields instead."""

    reports: list[SignatureReport]
    blocks: tuple[str, ...] = ()
    person: str | None = None  # how the person's block is signed (a ddassess plan only)
    made: dt.datetime | None = None  # when this plan version was made (a ddassess plan only)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def headline(self) -> str:
        """The verdict: one line, in words."""
        return verdict(self)

    def block_lines(self) -> list[str]:
        by_field = {r.field: r for r in self.reports}
        out = []
        for block in self.blocks:
            r = by_field.get(block)
            if block == "service_user" and r is None:
                state = PERSON_STATES.get(self.person or "unsigned", "unsigned")
            elif r is None:
                state = "unsigned"
            else:
                state = (f"signed by {r.signer}, {r.signed_at} "
                         f"({'trusted' if r.trusted else 'NOT trusted'}{'' if r.ok else ', FAILED the check'})")
            out.append(f"  {label(block)}: {state}")
        return out

    def lines(self) -> list[str]:
        """The verdict, then the blocks, then every signature's details."""
        head = [self.headline]
        if self.blocks:
            head += ["", "Signature blocks of this plan:", *self.block_lines()]
        if self.made is not None:
            head.append(f"This plan version was made {format_time(self.made)}.")
        return head + [""] + [line for r in self.reports for line in r.lines()]


def verdict(check: PlanCheck | Sequence[SignatureReport]) -> str:
    """One line that says, in words, whether the plan can be relied on, and names each
    block: signed by whom (trusted) or still unsigned. A failure names the first thing that
    fails, in the order that matters most to a reader: the document changed after a
    signature (and what), a signature that does not check out, a signer nobody here trusts,
    anything else (time, certificate use)."""
    if not isinstance(check, PlanCheck):
        check = PlanCheck(list(check))
    reports = check.reports
    broken = next((r for r in reports if not r.readable), None)
    if broken is not None:
        return f"NOT TRUSTWORTHY: {broken.problems[0] if broken.problems else 'a signature cannot be read'}"
    changed = [r for r in reports if not r.intact or not r.unchanged_after]
    if changed:
        tampered = next((r for r in reports if not r.intact), None)
        if tampered is not None:
            i = reports.index(tampered) + 1
            return f"NOT TRUSTWORTHY: the document was changed after signature {i} ({tampered.signer})"
        first = min(r.changed_in for r in changed)
        before = [r for r in reports if r.signed_revision < first] or changed
        last = before[-1]
        i = reports.index(last) + 1
        what = next((r.changes for r in changed if r.changed_in == first and r.changes), "")
        return (f"NOT TRUSTWORTHY: the document was changed after signature {i} ({last.signer}, {last.role})"
                + (f": {what}" if what else ""))
    for i, r in enumerate(reports, start=1):
        who = f"signature {i} ({r.signer}, {r.role})"
        if not r.valid:
            return f"NOT TRUSTWORTHY: {who} does not check out"
        if r.problems:
            return f"NOT TRUSTWORTHY: {who}: {r.problems[0]}"
        if not r.trusted:
            return f"NOT TRUSTWORTHY: signature {i} ({r.signer}) is not from an authority you trust"
        if not r.bottom_line:
            return f"NOT TRUSTWORTHY: {who} does not check out"
    signed = [f"{r.signer} ({r.role})" for r in reports]
    names = signed[0] if len(signed) == 1 else ", ".join(signed[:-1]) + " and " + signed[-1]
    done = {r.field for r in reports}
    rest = []
    for block in check.blocks:
        if block == "service_user" and block not in done:
            if check.person in ("drawn", "verbal"):
                rest.append("person " + ("signed by hand on the plan" if check.person == "drawn"
                                         else "agreed verbally (recorded on the plan)"))
            else:
                rest.append("person's block unsigned")
        elif block not in done:
            rest.append(f"{label(block)}'s block unsigned")
    return "OK: intact and trusted: signed by " + names + ("; " + "; ".join(rest) if rest else "")

