"""Every code ddassess gives an error or a problem, each with its one-line meaning: the one source.

A code is stable so that documentation, tests and people can refer to it. ``Code`` is a
``StrEnum``: a member *is* its code string (``Code.FORM_004 == "FORM_004"``), so what the
CLI prints, the JSON of ``forms check``/``forms score`` and what scripts compare are the
plain strings, unchanged. Code in ``ddassess`` names members (``Code.ANS_007``), never the
string; a test refuses a quoted code anywhere else in the package.

Families (the prefix says where a code comes from):

- ``FORM_0xx`` a problem with a form file, ``ANS_0xx`` a problem with answers: these are
  ``Problem`` codes, printed with file, line or field;
- ``GEN``, ``INPUT``, ``STORE``, ``KEY``, ``CASE``, ``SIGN``, ``PDF`` (and ``FORM_000``,
  ``FORM_028``): the ``code`` of each ``UserFacingError`` class, one class per code.

Adding a code is one line in ``Code`` below, in its family, with the next free number::

    PDF_005 = "PDF_005", "the PDF is larger than ddassess will read"

then regenerate the reference page and commit it with the change::

    python -m ddassess.codes --markdown > docs/codes.md

``tests/architecture/test_codes.py`` fails until docs/codes.md is regenerated, if a documented code
(forms/README.md's table, any mention in README.md, docs/ or forms/README.md) does not
exist or has another meaning, or if a code is reused. A new prefix also needs a line in
``FAMILIES``. Numbers are never reused for another meaning: a retired code is left out,
not renumbered.
"""

from __future__ import annotations

import sys
from enum import StrEnum, unique


@unique
class Code(StrEnum):
    """A stable code; ``.meaning`` is what it means, in a line of plain words."""

    meaning: str

    def __new__(cls, code: str, meaning: str) -> Code:
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    # --- general and input ---------------------------------------------------------------
    GEN_001 = "GEN_001", "an error the user can put right that has no more particular code"
    INPUT_001 = "INPUT_001", "input that cannot be accepted (the message says which and why)"
    INPUT_002 = "INPUT_002", "a form id or version that the forms catalogue does not have"

    # --- the store -----------------------------------------------------------------------
    STORE_000 = "STORE_000", "a problem with the store that has no more particular code"
    STORE_001 = "STORE_001", "there is no store here"
    STORE_002 = "STORE_002", "a store already exists where a new one was to be created"
    STORE_003 = "STORE_003", "this is not a ddassess store"
    STORE_004 = "STORE_004", "the store is of a version this ddassess cannot open"
    STORE_005 = "STORE_005", "the store is damaged"
    STORE_006 = "STORE_006", "another ddassess process has this store open"
    STORE_007 = "STORE_007", "store check found the store or its audit trail altered"
    STORE_008 = "STORE_008", "something named or needed is not in the store (a case, a form, a person)"
    STORE_009 = "STORE_009", "the store was locked (closed): it reads and writes nothing"
    STORE_010 = "STORE_010", "a schema upgrade was refused and undone; the store is as it was"
    STORE_011 = "STORE_011", ("a store file or folder cannot be used as it is (wrong kind of file, no permission, "
                              "read-only)")
    STORE_012 = "STORE_012", "the key file could not be written (full disk, I/O error); nothing was changed"
    STORE_013 = "STORE_013", ("the key file was changed by another program while the store was open; it was not "
                              "overwritten")

    # --- keys ----------------------------------------------------------------------------
    KEY_000 = "KEY_000", "a problem with a passphrase, a recovery key or the database key"
    KEY_001 = "KEY_001", "the key given does not unlock the store"
    KEY_002 = "KEY_002", "wrong passphrase"
    KEY_003 = "KEY_003", "wrong recovery key"
    KEY_004 = "KEY_004", "not a recovery key as printed (mistyped or incomplete)"
    KEY_005 = "KEY_005", "the new passphrase is too weak"

    # --- cases ---------------------------------------------------------------------------
    CASE_001 = "CASE_001", "no case with the reference given"
    CASE_002 = "CASE_002", "the case has no joint care plan yet"

    # --- care teams and sharing -----------------------------------------------------------
    SHARE_001 = "SHARE_001", ("sharing a case with another service was refused: no consent allows it and no lawful "
                              "basis for sharing without consent was given")

    # --- signing certificates ------------------------------------------------------------
    SIGN_001 = "SIGN_001", "a certificate or certificate file that cannot be used to sign or to trust"
    SIGN_002 = "SIGN_002", "wrong password or passphrase for a signing key or certificate file"
    SIGN_003 = "SIGN_003", "no signing certificate (or no team authority) yet"

    # --- team membership across laptops ------------------------------------------------
    TEAM_001 = "TEAM_001", "not a team file of the kind expected (request, membership or roster file)"
    TEAM_002 = "TEAM_002", "a team file made by a newer version of ddassess"
    TEAM_003 = "TEAM_003", "a team file that was damaged or altered: its signature does not hold"
    TEAM_004 = "TEAM_004", "a membership file made for another laptop or another request"
    TEAM_005 = "TEAM_005", "this laptop is not a member of a team yet, or is a member of another team"
    TEAM_006 = "TEAM_006", "no practitioner of that name or id in the team"
    TEAM_007 = "TEAM_007", "a roster of another team, or older than the one in force (ignored)"

    # --- envelopes and bundles -------------------------------------------------------------
    ENV_000 = "ENV_000", "an envelope or bundle refused for a reason with no more particular code"
    ENV_001 = "ENV_001", "an envelope or bundle cut short (its header, body or signature is incomplete)"
    ENV_002 = "ENV_002", "an envelope or bundle altered after it was sealed: its signature or encryption does not hold"
    ENV_003 = "ENV_003", "an envelope or bundle made by a newer version of ddassess"
    ENV_004 = "ENV_004", "an envelope or bundle for someone else: this laptop cannot read it"
    ENV_005 = "ENV_005", "an envelope or bundle of another team"
    ENV_006 = "ENV_006", "an envelope replayed into another case: its contents name a different case"
    ENV_007 = "ENV_007", "signed by a key that is not in the team's roster"
    ENV_008 = "ENV_008", "signed by a member whose membership was revoked"
    ENV_009 = "ENV_009", "not a ddassess envelope or bundle file at all"
    ENV_010 = "ENV_010", "a bundle holding the same envelope or section twice"
    ENV_011 = "ENV_011", "an envelope already received (nothing to do)"

    # --- PDFs ----------------------------------------------------------------------------
    PDF_001 = "PDF_001", "the file is not a PDF"
    PDF_002 = "PDF_002", "the PDF has no digital signatures"
    PDF_003 = "PDF_003", "a signature failed the check"
    PDF_004 = "PDF_004", "the signature block asked for is missing, already signed, or not this signer's to fill"
    PDF_005 = "PDF_005", "the plan was changed after signing or a signature does not hold, so it is not signed"

    # --- interchange (FHIR and CSV) -------------------------------------------------------
    FHIR_001 = "FHIR_001", "a file to import that is not FHIR JSON ddassess reads (not JSON, not a resource, too large)"
    FHIR_002 = "FHIR_002", "answers to a form, or a version of a form, that this ddassess's catalogue does not have"
    FHIR_003 = "FHIR_003", "imported answers that do not fit their form (each is listed); nothing was imported"
    FHIR_004 = "FHIR_004", "a whole case imported into a store that already holds that case or person"

    # --- form files (problems, and the errors that carry them) ---------------------------
    FORM_000 = "FORM_000", "a form file has problems (each is listed with its own code)"
    FORM_001 = "FORM_001", ("not valid YAML (or a YAML tag forms may not use, or a value that looks like a date or "
                            "number but is none, e.g. `2026-02-30`)")
    FORM_002 = "FORM_002", ('not the structure of a form: unknown key ("did you mean"), missing key, wrong kind '
                            "of value")
    FORM_003 = "FORM_003", "unknown field type"
    FORM_004 = "FORM_004", "an id, key, option value or column used twice"
    FORM_005 = "FORM_005", ("an expression names something that does not exist (also `latest()` of an unknown form, "
                            "as a warning)")
    FORM_006 = "FORM_006", "an expression cannot be read or uses something not allowed"
    FORM_007 = "FORM_007", "unknown function"
    FORM_008 = "FORM_008", "a choice field with no usable choices, or an unknown choice list"
    FORM_009 = "FORM_009", "an option of a scored choice without a score"
    FORM_010 = "FORM_010", "a circle of computations"
    FORM_011 = "FORM_011", "score bands out of order, overlapping, with gaps, or not covering the score"
    FORM_012 = "FORM_012", "unknown glossary term"
    FORM_013 = "FORM_013", "no licence or attribution"
    FORM_014 = "FORM_014", "a score item that does not exist or cannot be scored"
    FORM_015 = "FORM_015", "the file name is not the form's id"
    FORM_016 = "FORM_016", "unknown lookup table"
    FORM_017 = "FORM_017", "the same form and version defined twice"
    FORM_018 = "FORM_018", "a reverse or weighted item that is not one of the score's items"
    FORM_019 = "FORM_019", "a question without help text"
    FORM_020 = "FORM_020", ("a file that cannot be read, or is not a plain file (a folder, a pipe, a device such as a "
                            "link to `/dev/zero`: never opened for reading)")
    FORM_021 = "FORM_021", ("a file that expands without end or beyond any form's size: an alias (`*name`) inside "
                            "the value it names, aliases of aliases past 50,000 values, nesting deeper than 60, a "
                            "file over 1 MiB, or an integer of more than 30 digits")
    FORM_022 = "FORM_022", ("the engine failed on this file (a fault in ddassess: please report it); the file is "
                            "left out")
    FORM_023 = "FORM_023", "a `pattern` that is not a valid regular expression"
    FORM_024 = "FORM_024", ("a minimum above its maximum (`min`/`max`, `min_length`/`max_length`, "
                            "`min_rows`/`max_rows`, a score's range)")
    FORM_025 = "FORM_025", "an option that does not apply to the field's type"
    FORM_026 = "FORM_026", "a shared choice list in choices.yaml that is not a list of `{value, label, score?, help?}`"
    FORM_027 = "FORM_027", ("a lookup table without a row for a value its key can take, or with a row for a value "
                            "it cannot")
    FORM_028 = "FORM_028", ("(when rendering) the definition a saved response was made with is no longer in the "
                            "catalogue")
    FORM_029 = "FORM_029", ("a key that tells the care plan what a form means (`need`, `need_area`, `concern`, "
                            "`risk_plan`, `signer`) used wrongly: see \"What a form tells the care plan\"")

    # --- answers -------------------------------------------------------------------------
    ANS_001 = "ANS_001", "required answer missing"
    ANS_002 = "ANS_002", "answer of the wrong kind"
    ANS_003 = "ANS_003", "number out of range"
    ANS_004 = "ANS_004", "text too long or too short"
    ANS_005 = "ANS_005", "text does not match the expected pattern or format"
    ANS_006 = "ANS_006", "date in the future"
    ANS_007 = "ANS_007", "not one of the choices"
    ANS_008 = "ANS_008", "not a valid NHS number"
    ANS_009 = "ANS_009", "text contains control characters"
    ANS_010 = "ANS_010", "answer for a question the form does not have (a warning: it is kept)"
    ANS_011 = "ANS_011", "too few or too many rows"
    ANS_012 = "ANS_012", "empty signature"
    ANS_013 = "ANS_013", "not a real date"
    ANS_014 = "ANS_014", "a calculation could not be worked out from these answers"
    ANS_015 = "ANS_015", "a hidden question keeps an answer that would raise a flag if it were shown"
    ANS_016 = "ANS_016", "answers that disagree with each other (a check of the form)"
    OPLOG_001 = "OPLOG_001", "operations from another laptop that are malformed or of a newer format"
    OPLOG_002 = "OPLOG_002", "a conflict that is not open any more, or a choice it does not offer"
    OPLOG_003 = "OPLOG_003", "a scored instrument edited by someone other than the practitioner who gave it"

    # --- the team server -----------------------------------------------------------------
    SRV_001 = "SRV_001", "the team server's configuration file is missing, unreadable or incomplete"
    SRV_002 = "SRV_002", "no TLS client certificate from the team authority was presented to the team server"
    SRV_003 = "SRV_003", "the laptop is not in the roster the team server holds"
    SRV_004 = "SRV_004", "the laptop was revoked: the team server gives it nothing and takes nothing from it"
    SRV_005 = "SRV_005", "a request to the team server is too large"
    SRV_006 = "SRV_006", "a request to the team server is malformed (the message says what)"
    SRV_007 = "SRV_007", "an envelope or key wrap pushed to the team server was refused (the message says why)"
    SRV_008 = "SRV_008", "a roster sent to the team server is not signed by its team authority"
    SRV_009 = "SRV_009", "the team server's database is unreachable or not initialised"
    SRV_010 = "SRV_010", "the team server cannot be reached or answered with an error (sync)"
    SRV_011 = "SRV_011", "a client certificate header came from an address that is not a trusted proxy (team server)"

    @property
    def family(self) -> str:
        """The prefix, e.g. ``"STORE"``."""
        return self.value.rpartition("_")[0]


#: Each prefix, in the order docs/codes.md lists them, with a heading for its table.
FAMILIES: dict[str, str] = {
    "GEN": "General",
    "INPUT": "Input",
    "STORE": "The store",
    "KEY": "Keys and passphrases",
    "CASE": "Cases",
    "SHARE": "Care teams and sharing",
    "SIGN": "Signing certificates",
    "TEAM": "Team membership",
    "ENV": "Envelopes and bundles",
    "PDF": "PDF files",
    "FHIR": "FHIR and CSV interchange",
    "FORM": "Form files",
    "ANS": "Answers",
    "OPLOG": "Operations and conflicts of shared cases",
    "SRV": "The team server and sync",
}


def markdown() -> str:
    """The reference page docs/codes.md, made from ``Code``: one table per family."""
    lines = [
        "# Error and problem codes",
        "",
        "<!-- Made by `python -m ddassess.codes --markdown > docs/codes.md`: edit ddassess/codes.py, not this. -->",
        "",
        "Every code ddassess gives, and what it means. `FORM` and `ANS` codes are printed with each",
        "problem in a form file or in answers by `forms check` and `forms score` (as text or JSON).",
        "The others name each kind of error (`ddassess.errors` and the classes beside the code that",
        "raises them), one code per kind; the command line reports an error by its message and its",
        "exit code, listed in the README.",
    ]
    for family, heading in FAMILIES.items():
        lines += ["", f"## {heading} ({family})", "", "| code | meaning |", "|---|---|"]
        lines += [f"| {c} | {c.meaning} |" for c in Code if c.family == family]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        print("usage: python -m ddassess.codes --markdown > docs/codes.md", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
