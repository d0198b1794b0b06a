"""Reading a form file: YAML with the line of every key kept for messages.

The document is parsed once into a node tree (libyaml's C parser when present) and
turned into plain values by hand, so every mapping key and list item knows its line,
and a key given twice in one mapping is reported instead of silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ddassess.codes import Code
from ddassess.formengine.problems import Problem

_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

Path = tuple[Any, ...]


@dataclass
class Source:
    """Parsed data, and the line (1-based) of each path in it."""

    file: str
    data: Any = None
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def problem(self, code: Code, message: str, path: Path = (), severity: str = "error",
                field_id: str = "") -> Problem:
        p = Problem(code, message, file=self.file, line=self.line(path), field=field_id, severity=severity)
        self.problems.append(p)
        return p


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_STR = "tag:yaml.org,2002:str"

# An alias (*name) repeats a node; aliases of aliases multiply ("billion laughs": eight
# lines that expand to millions of values). No real form comes near these limits.
MAX_VALUES = 50_000
MAX_DEPTH = 60
MAX_FILE_BYTES = 1 << 20  # 1 MiB: the largest form of the catalogue is about 22 KB
MAX_DIGITS = 30  # an integer with more digits is no count, score or limit (and past 4,300 int() refuses it)
_INT = "tag:yaml.org,2002:int"


class _Refused(Exception):
    """The document expands to more than a form could need, or holds a value that cannot be
    read (a number of thousands of digits, a date that does not exist); reading stops."""

    def __init__(self, code: Code, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.code, self.message, self.node = code, message, node


class _Converter:
    """Node tree to plain values, refusing recursive aliases and runaway expansion."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.ctor = yaml.constructor.SafeConstructor()
        self.count = 0
        self.active: set[int] = set()  # ids of the collection nodes being converted (for cycles)

    def convert(self, node: yaml.Node, path: Path) -> Any:
        src = self.src
        src.lines.setdefault(path, node.start_mark.line + 1)
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Refused(Code.FORM_021, f"The file expands to more than {MAX_VALUES:,} values (aliases repeating "
                           "aliases?); a form never needs so many.", node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if node.tag not in _PLAIN_TAGS:
            raise yaml.constructor.ConstructorError(None, None, f"the tag '{node.tag}' is not allowed", node.start_mark)
        if id(node) in self.active:
            raise _Refused(Code.FORM_021, "An alias (*name) refers to the value that contains it, so it would go on "
                           "for ever: write the value out instead.", node)
        if len(path) > MAX_DEPTH:
            raise _Refused(Code.FORM_021, f"Values are nested more than {MAX_DEPTH} deep; a form never needs that.",
                           node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        # Most values are text: take it straight from the node (the parser has already
        # resolved the tag); only numbers, booleans, null and dates need the constructor.
        if node.tag == _STR:
            return node.value
        if node.tag == _INT and len(node.value) > MAX_DIGITS:
            raise _Refused(Code.FORM_021, f"This number has {len(node.value):,} characters; a form never needs a "
                           f"number of more than {MAX_DIGITS} digits: write it smaller.", node)
        try:
            return self.ctor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # e.g. 2026-02-30, which looks like a date but is none
            raise _Refused(Code.FORM_001, f"The value '{node.value[:40]}' cannot be read ({exc}): put it in quotes if "
                           "it is text, or correct it.", node) from None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        src = self.src
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                key = None
            else:
                key = self._scalar(key_node)
            if not isinstance(key, str | int | float | bool) or key is None:
                src.problem(Code.FORM_002, "A key must be a plain name.", path)
                continue
            if key in out:
                src.lines[path + (key,)] = key_node.start_mark.line + 1
                src.problem(Code.FORM_004, f"The key '{key}' is given twice here; only one can count.", path + (key,))
            src.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self.convert(value_node, path + (key,))
        return out


def read_yaml(text: str, file: str) -> Source:
    src = Source(file=file)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        src.problems.append(Problem(Code.FORM_001, f"This is not valid YAML: {what}.", file=file,
                                    line=mark.line + 1 if mark else None))
        return src
    if node is None:
        src.problems.append(Problem(Code.FORM_002, "The file is empty.", file=file, line=1))
        return src
    try:
        src.data = _Converter(src).convert(node, ())
    except _Refused as exc:
        src.problems.append(Problem(exc.code, exc.message, file=file, line=exc.node.start_mark.line + 1))
        src.data = None
        return src
    except yaml.YAMLError as exc:  # e.g. an unknown tag such as !!python/object
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        src.problems.append(Problem(Code.FORM_001,
                                    f"This YAML uses something a form may not: {getattr(exc, 'problem', exc)}.",
                                    file=file, line=mark.line + 1 if mark else None))
        src.data = None
        return src
    if src.data is None:
        src.problems.append(Problem(Code.FORM_002, "The file holds no form (its only value is null).", file=file,
                                    line=1))
    return src
