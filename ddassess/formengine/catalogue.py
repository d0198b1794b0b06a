"""The catalogue: every form in forms/, every older version, the glossary and shared tables.

::

    forms/<id>.yaml                  the current version of each form
    forms/versions/<id>@<n>.yaml     older versions, kept so saved responses still render
    forms/tables/<name>.yaml         lookup tables an area can edit (e.g. quadrant → lead)
    forms/choices.yaml               choice lists shared by several forms (optional)
    forms/glossary.yaml              the common-language terms labels and help refer to

A bad file never stops the others: its problems are collected and that form alone is
left out. ``load_form_text`` checks one definition given as text; whatever goes wrong
inside it (even a fault in the engine) comes back as a problem for that file (FORM_022),
never as an exception. A broken glossary is reported once and glossary references are
then not checked, so one bad shared file does not take the forms down with it.

Older versions are read only when asked for (``get(id, n)``, ``definition_for`` of a
response made with one, ``by_hash``), so the catalogue opens as fast however many
versions it keeps; ``read_all()`` reads them all and collects their problems.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddassess.codes import Code
from ddassess.errors import FormDefinitionError, UnknownFormError
from ddassess.fileio import FileTooLarge, NotARegularFile, read_regular_file
from ddassess.formengine.build import build_spec
from ddassess.formengine.problems import Problem, did_you_mean, errors
from ddassess.formengine.schemacheck import check_structure
from ddassess.formengine.shared import check_shared_choices, check_table_keys, possible_values
from ddassess.formengine.spec import FormSpec
from ddassess.formengine.validate import validate
from ddassess.formengine.yamlsource import MAX_FILE_BYTES, Source, read_yaml

if TYPE_CHECKING:
    import logging

    from ddassess.formengine.expr import Expr


def _log() -> logging.Logger:
    """The module's logger, imported only when something goes wrong (keeps start-up quick)."""
    import logging

    return logging.getLogger(__name__)


def _log_fault(file: str, exc: Exception) -> None:
    """A fault of the engine on one file: reported as FORM_022 for that file; the log gets its
    type (with -v), and the traceback only at debug level, so `forms check` never prints one."""
    _log().info("Form engine fault while reading %s: %s", file, type(exc).__name__)
    _log().debug("Form engine fault while reading %s", file, exc_info=exc)


class DefinitionUnavailableError(FormDefinitionError):
    """The exact definition a saved response was made with is not in the catalogue."""

    code = Code.FORM_028

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass
class Catalogue:
    directory: Path | None = None
    forms: dict[str, FormSpec] = field(default_factory=dict)  # id -> current version
    all_versions: dict[tuple[str, int], FormSpec] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    glossary: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Older versions are read when first asked for (most sessions open none): their files
    # by (id, version) as named, and what reading one needs (glossary terms, shared lists).
    unread: dict[tuple[str, int], Path] = field(default_factory=dict)
    _context: dict[str, Any] = field(default_factory=dict, repr=False)
    # Background work reads the catalogue too: reading an older version happens under a lock.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def _read_older(self, key: tuple[str, int]) -> None:
        with self._lock:
            path = self.unread.pop(key, None)
            if path is not None:
                _add(self, path, current=False, **self._context)

    def read_all(self) -> Catalogue:
        """Read every older version now (``forms check`` reports the problems of all files)."""
        with self._lock:
            for key in sorted(self.unread):
                self._read_older(key)
        return self

    def get(self, form_id: str, version: int | None = None) -> FormSpec:
        if version is None and form_id in self.forms:
            return self.forms[form_id]
        if version is not None and (form_id, version) not in self.all_versions:
            self._read_older((form_id, version))
        if version is not None and (form_id, version) in self.all_versions:
            return self.all_versions[(form_id, version)]
        known = sorted(self.forms)
        what = form_id if version is None else f"{form_id} version {version}"
        versions = self.versions(form_id)
        near = f" (it has version {', '.join(map(str, versions))})" if versions else did_you_mean(form_id, known)
        listed = f"It has: {', '.join(known)}." if known and not near else ""
        raise UnknownFormError(f"There is no form '{what[:80]}' in the catalogue{near}."
                               f"{' ' + listed if listed else ''}",
                               hint="`ddassess forms list` shows the forms there are.")

    def by_hash(self, content_hash: str) -> FormSpec | None:
        with self._lock:
            specs = list(self.read_all().all_versions.values())
        for spec in specs:
            if spec.content_hash == content_hash:
                return spec
        return None

    def definition_for(self, form_id: str, version: int, content_hash: str) -> FormSpec:
        """The exact definition a saved response was made with, found by its content hash.

        ``get(form_id, version)`` answers with whatever definition now carries that
        version; if someone edited a form without raising its version, that is not the
        definition the answers were given to. This returns the spec whose hash matches,
        or raises DefinitionUnavailableError (a FormDefinitionError) saying so (the caller shows the response as stored,
        e.g. answers only, rather than render it under different wording or scoring).
        """
        if (form_id, version) not in self.all_versions:
            self._read_older((form_id, version))
        spec = self.all_versions.get((form_id, version))
        if spec is None or spec.content_hash != content_hash:  # only then look through every version
            spec = self.by_hash(content_hash)
        if spec is not None and spec.id == form_id:
            return spec
        current = self.all_versions.get((form_id, version))
        if current is None:
            raise DefinitionUnavailableError(
                f"The definition of {form_id} version {version} that this response was made with is not in the "
                f"catalogue (the catalogue has versions {', '.join(map(str, self.versions(form_id))) or 'none'}).",
                hint=f"Restore forms/versions/{form_id}@{version}.yaml from a release or backup.")
        raise DefinitionUnavailableError(
            f"{form_id} version {version} has been changed since this response was made (its definition no longer "
            f"matches {content_hash[:12]}), so it cannot be shown with the wording and scoring it was given under.",
            hint=f"Restore the original forms/versions/{form_id}@{version}.yaml, and give changed forms a new version.")

    def meaning_of(self, spec: FormSpec) -> FormSpec:
        """The definition whose care-plan keys (``need``, ``concern``, ``risk_plan``, ``signer``...)
        apply to answers made with ``spec``: spec itself when it declares any, else the current
        version of its form. Definitions frozen before those keys existed cannot gain them
        without changing their hash, so they take their meaning from the current version
        (field ids and option values stay the same from one version to the next)."""
        return spec if spec.declares_meaning else self.forms.get(spec.id, spec)

    def versions(self, form_id: str) -> list[int]:
        with self._lock:
            return sorted({v for (fid, v) in [*self.all_versions, *self.unread] if fid == form_id})


def load_form_text(text: str, file: str = "<form>", *, glossary: set[str] | None = None,
                   tables: dict[str, Any] | None = None, shared_choices: dict[str, Any] | None = None,
                   check_file_name: bool = False) -> tuple[FormSpec | None, list[Problem]]:
    """One definition: (spec, problems); the spec is None when any problem is an error. Never raises."""
    try:
        return _load_form_text(text, file, glossary=glossary, tables=tables, shared_choices=shared_choices,
                               check_file_name=check_file_name)
    except Exception as exc:  # the last line of defence: one bad file must not stop the others
        _log_fault(file, exc)
        return None, [Problem(Code.FORM_022, f"ddassess failed while reading this form ({type(exc).__name__}); the "
                              "form is left out. Please report this with the file.", file=file)]


def _load_form_text(text: str, file: str, *, glossary: set[str] | None, tables: dict[str, Any] | None,
                    shared_choices: dict[str, Any] | None,
                    check_file_name: bool) -> tuple[FormSpec | None, list[Problem]]:
    src = read_yaml(text, file)
    if src.data is None or src.problems and errors(src.problems):
        return None, src.problems
    if not check_structure(src):
        return None, src.problems
    spec = build_spec(src, shared_choices)
    spec = validate(spec, src, glossary=glossary, shared_tables=(tables or {}).keys(),
                    check_file_name=check_file_name)
    return (None if errors(src.problems) else spec), src.problems


def _read(path: Path, problems: list[Problem]) -> str | None:
    """The file's text: only a plain file, at most MAX_FILE_BYTES (a pipe or /dev/zero would hang)."""
    try:
        return read_regular_file(path, MAX_FILE_BYTES).decode("utf-8")
    except NotARegularFile:
        problems.append(Problem(Code.FORM_020, "This is not a plain file (it is a folder, a pipe or a device): a form "
                                "file must be an ordinary .yaml file. Move it out of the forms folder.",
                                file=str(path)))
        return None
    except FileTooLarge:
        problems.append(Problem(Code.FORM_021, f"The file is larger than {MAX_FILE_BYTES // 1024:,} KiB; no form needs "
                                "that much. Check that it is the right file.", file=str(path)))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(Code.FORM_020, f"The file cannot be read ({exc.__class__.__name__}).", file=str(path)))
        return None


def _mapping_file(path: Path, what: str, problems: list[Problem]) -> dict[str, Any] | None:
    """The file's mapping: {} when there is no file, None when it is there but unusable."""
    src = _source(path, problems)
    if src is None:
        return {} if not path.exists() else None
    problems.extend(src.problems)
    if src.data is not None and not isinstance(src.data, dict):
        problems.append(Problem(Code.FORM_002, f"The {what} must be a mapping of names to entries.", file=str(path)))
        return None
    if src.data is None and src.problems:
        return None
    return src.data or {}


def _source(path: Path, problems: list[Problem]) -> Source | None:
    text = _read(path, problems) if path.exists() else None
    if text is None:
        return None
    try:
        return read_yaml(text, str(path))
    except Exception as exc:  # last line of defence, as in load_form_text
        _log_fault(str(path), exc)
        problems.append(Problem(Code.FORM_022, f"ddassess failed while reading this file ({type(exc).__name__}).",
                                file=str(path)))
        return None


def _shared_choices(path: Path, problems: list[Problem]) -> dict[str, Any]:
    src = _source(path, problems)
    if src is None:
        return {}
    choices = check_shared_choices(src)
    problems.extend(src.problems)
    return choices


_OLDER_NAME = re.compile(r"^([a-z][a-z0-9_]{0,63})@([1-9][0-9]{0,8})$")


def _add(cat: Catalogue, path: Path, *, current: bool, glossary: set[str] | None,
         shared_choices: dict[str, Any]) -> None:
    """Read one form file into the catalogue, its problems into ``cat.problems``."""
    text = _read(path, cat.problems)
    if text is None:
        return
    spec, problems = load_form_text(text, str(path), glossary=glossary, tables=cat.tables,
                                    shared_choices=shared_choices, check_file_name=True)
    cat.problems.extend(problems)
    if spec is None:
        return
    key = (spec.id, spec.version)
    if key in cat.all_versions:
        cat.problems.append(Problem(Code.FORM_017, f"{spec.id} version {spec.version} is also defined in "
                                    f"{cat.all_versions[key].file}: give one of them a new version.",
                                    file=str(path), line=1))
        return
    cat.all_versions[key] = spec
    if current:
        cat.forms[spec.id] = spec


def load_catalogue(directory: Path | str | None = None) -> Catalogue:
    """The catalogue of a forms folder. Older versions (``versions/<id>@<n>.yaml``) are read
    when first asked for, or all at once by ``read_all()`` (as ``forms check`` does)."""
    from ddassess.paths import forms_dir

    folder = Path(directory) if directory is not None else forms_dir()
    cat = Catalogue(directory=folder)
    if not folder.is_dir():
        cat.problems.append(Problem(Code.FORM_020, "There is no forms folder here.", file=str(folder)))
        return cat
    glossary = _mapping_file(folder / "glossary.yaml", "glossary", cat.problems)
    cat.glossary = glossary or {}
    # A broken glossary is reported above, once; checking every [[term]] against nothing
    # would only repeat it in every form and keep those forms out.
    terms = {str(k).lower() for k in glossary} if glossary is not None else None
    for path in sorted((folder / "tables").glob("*.yaml")):
        cat.tables[path.stem] = _mapping_file(path, "table", cat.problems) or {}
    shared_choices = _shared_choices(folder / "choices.yaml", cat.problems)
    cat._context = {"glossary": terms, "shared_choices": shared_choices}
    for path in sorted(p for p in folder.glob("*.yaml") if p.stem not in ("glossary", "choices")):
        _add(cat, path, current=True, **cat._context)
    for path in sorted((folder / "versions").glob("*.yaml")):
        named = _OLDER_NAME.match(path.stem)
        if named:
            cat.unread.setdefault((named.group(1), int(named.group(2))), path)
        else:  # a file not named <id>@<n> is read now, so that its problem (FORM_015) is reported
            _add(cat, path, current=False, **cat._context)
    _check_cross_references(cat)
    return cat


def _check_cross_references(cat: Catalogue) -> None:
    """latest('form', 'name') must name a form of the catalogue and something it has;
    a table looked up by a choice field must have a row for each choice and no other."""
    for spec in cat.forms.values():
        for e in _all_exprs(spec):
            for fname, literals, names in e.call_names:
                if fname == "lookup" and isinstance(literals[0], str) and names[1] is not None:
                    _check_lookup_table(cat, spec, literals[0], names[1])
            for fname, args in e.calls:
                if fname != "latest" or not isinstance(args[0], str):
                    continue
                target = cat.forms.get(args[0])
                if target is None:
                    cat.problems.append(Problem(Code.FORM_005, f"{spec.id} refers to the form '{args[0]}', which the "
                                                f"catalogue does not have{did_you_mean(args[0], cat.forms)}.",
                                                file=spec.file, severity="warning"))
                elif isinstance(args[1], str) and args[1] not in set(target.fields) | set(target.score_specs):
                    known = set(target.fields) | set(target.score_specs)
                    cat.problems.append(Problem(Code.FORM_005, f"{spec.id} refers to '{args[1]}' of {args[0]}, which "
                                                f"that form does not have{did_you_mean(args[1], known)}.",
                                                file=spec.file, severity="warning"))


def _check_lookup_table(cat: Catalogue, spec: FormSpec, table_name: str, key_field: str) -> None:
    values = possible_values(spec, key_field)
    if not values:
        return
    local = dict(spec.tables)
    table = dict(local[table_name]) if table_name in local else cat.tables.get(table_name)
    if table is None:
        return
    where = spec.file if table_name in local else str((cat.directory or Path()) / "tables" / f"{table_name}.yaml")
    for p in check_table_keys(table_name, table, key_field, values, spec.id, where):
        if p not in cat.problems:
            cat.problems.append(p)


def _all_exprs(spec: FormSpec) -> Iterator[Expr]:
    for s in spec.sections:
        if s.show_if:
            yield s.show_if
        for f in s.fields:
            yield from (e for e in (f.show_if, f.expr, f.prefill) if e is not None)
    yield from (s.expr for s in spec.scores if s.expr is not None)
    yield from (fl.when for fl in spec.flags)
    yield from (c.when for c in spec.checks)
