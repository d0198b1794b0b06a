"""``ddassess forms ...``: list, check and score forms headlessly."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ddassess.errors import InvalidInputError

if TYPE_CHECKING:
    from ddassess.formengine import Catalogue


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forms", help="list, check and score the forms of the catalogue")
    s = p.add_subparsers(dest="forms_command", metavar="ACTION", required=True)
    c = s.add_parser("list", help="the forms of the catalogue")
    c.add_argument("--dir", type=Path, help="a forms folder other than the installed catalogue")
    c.set_defaults(handler=cmd_list)
    c = s.add_parser("check", help="check every form file of a folder; exit 1 on any problem")
    c.add_argument("dir", type=Path, nargs="?", help="the folder (default: the catalogue)")
    c.set_defaults(handler=cmd_check)
    c = s.add_parser("score", help="check and score answers (JSON) against a form; prints JSON")
    c.add_argument("form_id")
    c.add_argument("--answers", type=Path, required=True, help="a JSON file of {question id: answer}")
    c.add_argument("--version", type=int, help="a particular version of the form")
    c.add_argument("--dir", type=Path, help="a forms folder other than the installed catalogue")
    c.set_defaults(handler=cmd_score)


def cmd_list(args: argparse.Namespace) -> int:
    cat = _catalogue(args.dir)
    for spec in sorted(cat.forms.values(), key=lambda s: (s.kind, s.id)):
        older = [v for v in cat.versions(spec.id) if v != spec.version]
        extra = f"  (older: {', '.join(map(str, older))})" if older else ""
        print(f"{spec.id:22} v{spec.version:<3} {spec.kind:10} {spec.content_hash[:12]}  {spec.title}{extra}")
    bad = [p for p in cat.problems if p.severity == "error"]
    if bad:
        print(f"{len(bad)} problem(s) kept some forms out: run `ddassess forms check`.", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    cat = _catalogue(args.dir).read_all()
    for p in cat.problems:
        print(str(p) + (" (warning)" if p.severity == "warning" else ""))
    errors = [p for p in cat.problems if p.severity == "error"]
    print(f"{len(cat.all_versions)} form version(s) loaded; {len(errors)} error(s), "
          f"{len(cat.problems) - len(errors)} warning(s).")
    return 1 if errors else 0


def cmd_score(args: argparse.Namespace) -> int:
    from ddassess.formengine import evaluate
    from ddassess.formengine.answers_file import read_answers_file

    cat = _catalogue(args.dir)
    spec = cat.get(args.form_id, args.version)
    answers = read_answers_file(args.answers, spec.id, spec.fields)
    result = evaluate(spec, answers, tables=cat.tables)
    print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    return 0


def _catalogue(folder: Path | None) -> Catalogue:
    """The catalogue of ``folder`` (default: the installed one); a folder that is missing or
    cannot be read is named, rather than reported as a form the catalogue does not have."""
    from ddassess.formengine import load_catalogue

    if folder is not None:
        if not folder.exists():
            raise InvalidInputError(f"There is no folder {folder}.", hint="Give --dir a folder of form files, or "
                                    "leave it out to use the installed catalogue.")
        if not folder.is_dir():
            raise InvalidInputError(f"{folder} is not a folder of form files.",
                                    hint="Give --dir the folder that holds the .yaml files.")
        try:
            next(folder.iterdir(), None)
        except OSError as exc:
            raise InvalidInputError(f"The folder {folder} cannot be read ({exc.__class__.__name__}).",
                                    hint="Check its permissions.") from None
    return load_catalogue(folder)
