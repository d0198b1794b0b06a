"""Signing and making plans as if the computer's clock said another time (tests only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sample_plans import sample_plan

from ddassess.pdf import certs
from ddassess.pdf.careplan import prepare_for_signing, render_care_plan


def plan_made_at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime, *, signed: bool = True) -> bytes:
    """A plan ready to sign whose record says it was made at ``when``."""
    from ddassess.pdf import careplan

    with monkeypatch.context() as m:
        m.setattr(careplan, "_now", lambda: when)
        return prepare_for_signing(render_care_plan(sample_plan(signed=signed)))


def sign_at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime, identity: certs.Identity, pdf: bytes, field: str,
            **kw: Any) -> bytes:
    """Sign with the computer's clock set to ``when``: the time pyHanko writes, and the one
    ddassess checks the certificate against before signing."""
    import pyhanko.sign.signers.pdf_signer as pdf_signer

    from ddassess.pdf.signing import sign_pdf

    class Then(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Then:  # type: ignore[override]
            return when.astimezone(tz) if tz else when.replace(tzinfo=None)  # type: ignore[return-value]

    with monkeypatch.context() as m:
        m.setattr(pdf_signer, "datetime", Then)
        m.setattr(certs, "_now", lambda: when)
        return sign_pdf(pdf, identity, field_name=field, **kw)
