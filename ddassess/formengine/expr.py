"""The expression language of forms: small, safe, and documented in forms/README.md.

Expressions are read with Python's ``ast`` parser in ``eval`` mode, vetted node by node
against a short whitelist, and compiled here into plain closures (once, at load time):
literals, names of answers and scores, ``true``/``false``/``null``, arithmetic,
comparisons, ``and``/``or``/``not``, ``in`` with a list, ``a if c else b``, and calls to
the functions in ``FUNCTIONS``. Anything else — attributes, subscripts, lambdas,
comprehensions, keyword arguments — is refused when the form is loaded. Nothing is ever
passed to ``eval`` or ``exec``.

Missing answers are ``null``. Arithmetic with null gives null; a comparison with null is
false (except ``== null`` / ``!= null``); ``and``/``or``/``not`` treat null as false.
Numbers stay within ±MAX_NUMBER (beyond it a result is refused with ``EvalError``, which
the evaluator reports as a problem): answers are capped there too, so no calculation
meets Python's float overflow or infinities.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeGuard

from ddassess.codes import Code
from ddassess.formengine.problems import did_you_mean

CONSTANT_NAMES = {"true": True, "false": False, "null": None}
MAX_LENGTH = 2000
MAX_TEXT = 100_000  # joining texts stops here
MAX_NUMBER = 10**15  # larger than any score, count or amount a form records; exact as a float


class EvalError(Exception):
    """An expression cannot be worked out with these values (reported, never raised to callers)."""


class CaseContext(Protocol):
    """Answers and scores of the other forms of the same case (for ``latest``)."""

    def lookup(self, form_id: str, name: str) -> Any: ...


@dataclass
class Env:
    values: Mapping[str, Any]
    context: CaseContext | None = None
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)


def _num(x: object) -> TypeGuard[int | float]:
    return isinstance(x, int | float) and not isinstance(x, bool)


def checked_number(v: Any) -> Any:
    """``v`` if it is a usable number; EvalError for NaN, infinities and numbers beyond MAX_NUMBER."""
    if _num(v) and not (-MAX_NUMBER <= v <= MAX_NUMBER):  # NaN fails both comparisons
        raise EvalError("a number too large to work with" if v == v else "a result that is not a number")
    return v


def _as_date(x: Any) -> dt.date | None:
    """A date, or the day of a date-and-time (so days_since works for datetime questions too)."""
    if isinstance(x, dt.datetime):
        return x.date()
    return x if isinstance(x, dt.date) else None


def _f_sum(env: Env, *xs: Any) -> Any:
    """Sum of the answered numbers (null answers are skipped; scores report completeness)."""
    total: Any = 0
    for x in xs:
        if _num(x):
            total = checked_number(total + checked_number(x))
    return total


def _f_count_answered(env: Env, *xs: Any) -> int:
    return sum(1 for x in xs if x not in (None, "", []))


def _f_answered(env: Env, x: Any) -> bool:
    return x not in (None, "", [])


def _f_selected(env: Env, x: Any, value: Any) -> bool:
    return isinstance(x, list) and value in x or x == value


def _f_min(env: Env, *xs: Any) -> Any:
    vals = [x for x in xs if _num(x)]
    return min(vals) if vals else None


def _f_max(env: Env, *xs: Any) -> Any:
    vals = [x for x in xs if _num(x)]
    return max(vals) if vals else None


def _f_choose(env: Env, cond: Any, a: Any, b: Any) -> Any:
    return a if _truthy(cond) else b


def _f_age(env: Env, born: Any) -> Any:
    born = _as_date(born)
    if born is None:
        return None
    t = env.today
    return t.year - born.year - ((t.month, t.day) < (born.month, born.day))


def _f_days_since(env: Env, d: Any) -> Any:
    d = _as_date(d)
    return (env.today - d).days if d is not None else None


def _f_days_between(env: Env, a: Any, b: Any) -> Any:
    a, b = _as_date(a), _as_date(b)
    return (b - a).days if a is not None and b is not None else None


def _f_today(env: Env) -> dt.date:
    return env.today


def _f_lookup(env: Env, table: Any, key: Any) -> Any:
    if key is None or isinstance(key, list):
        return None
    return env.tables.get(str(table), {}).get(str(key))


def _f_latest(env: Env, form_id: Any, name: Any) -> Any:
    if env.context is None:
        return None
    return env.context.lookup(str(form_id), str(name))


def _rows(group: Any) -> list[dict[str, Any]]:
    return [r for r in group if isinstance(r, dict)] if isinstance(group, list) else []


def _f_count_rows(env: Env, group: Any) -> int:
    return len(_rows(group))


def _f_any_row(env: Env, group: Any, column: Any, value: Any) -> bool:
    if not isinstance(column, str):
        return False
    return any(r.get(column) == value or (isinstance(r.get(column), list) and value in r[column])
               for r in _rows(group))


def _f_len(env: Env, x: Any) -> Any:
    return len(x) if isinstance(x, str | list) else None


def _f_round(env: Env, x: Any, n: Any = 0) -> Any:
    """x to n decimal places; n outside -15..15 (or not a whole number) gives null."""
    if not (_num(x) and _num(n)) or not -15 <= n <= 15 or n != int(n):
        return None
    return round(checked_number(x), int(n))


# name -> (min args, max args, implementation)
FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "sum": (1, 99, _f_sum),
    "count_answered": (1, 99, _f_count_answered),
    "answered": (1, 1, _f_answered),
    "selected": (2, 2, _f_selected),
    "min": (1, 99, _f_min),
    "max": (1, 99, _f_max),
    "choose": (3, 3, _f_choose),
    "age": (1, 1, _f_age),
    "days_since": (1, 1, _f_days_since),
    "days_between": (2, 2, _f_days_between),
    "today": (0, 0, _f_today),
    "lookup": (2, 2, _f_lookup),
    "latest": (2, 2, _f_latest),
    "count_rows": (1, 1, _f_count_rows),
    "any_row": (3, 3, _f_any_row),
    "len": (1, 1, _f_len),
    "round": (1, 2, _f_round),
}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b if b else None,
    ast.Mod: lambda a, b: a % b if b else None,
}
_CMP: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Expr:
    source: str
    names: frozenset[str] = frozenset()
    calls: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (function, literal args) for load-time checks
    run: Callable[[Env], Any] = field(compare=False, repr=False, default=lambda env: None)
    # (function, literal args, the answer name given as each argument or None): e.g.
    # lookup('t', quadrant) gives ('lookup', ('t', None), (None, 'quadrant')), so the
    # catalogue can check a table against the values of the field that keys it.
    call_names: tuple[tuple[str, tuple[Any, ...], tuple[str | None, ...]], ...] = field(
        compare=False, repr=False, default=())


class ExprError(Exception):
    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_PARSED: dict[str, Expr] = {}  # source -> vetted, compiled expression (shared: Expr is immutable)
_PARSED_MAX = 4096


def parse_expr(source: Any) -> Expr:
    """Parse and vet an expression; raises ExprError(code, message) when it is not allowed.

    Older versions of a form repeat most of the current version's expressions, and many
    forms share idioms (``q1 in [1, 2]``), so each source text is compiled once.
    """
    if isinstance(source, str) and source in _PARSED:
        return _PARSED[source]
    expr = _parse_expr(source)
    if len(_PARSED) < _PARSED_MAX:
        _PARSED[expr.source] = expr
    return expr


def _parse_expr(source: Any) -> Expr:
    if isinstance(source, bool | int | float):
        source = str(source).lower() if isinstance(source, bool) else str(source)
    if not isinstance(source, str) or not source.strip():
        raise ExprError(Code.FORM_006, "An expression must be written as text.")
    if len(source) > MAX_LENGTH:
        raise ExprError(Code.FORM_006, f"This expression is longer than {MAX_LENGTH} characters.")
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(Code.FORM_006, f"The expression '{source}' cannot be read: {exc.msg}.") from None
    names: set[str] = set()
    calls: list[tuple[str, tuple[Any, ...]]] = []
    _vet(tree, source, names, calls)
    call_names = tuple((n.func.id, tuple(a.value if isinstance(a, ast.Constant) else None for a in n.args),
                        tuple(a.id if isinstance(a, ast.Name) else None for a in n.args))
                       for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name))
    return Expr(source, frozenset(names), tuple(calls), _compile(tree), call_names)


_ALLOWED = (ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Compare, ast.Call, ast.Name, ast.Constant, ast.List,
            ast.Tuple, ast.IfExp, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Load, *_BINOPS, *_CMP,
            ast.Eq, ast.NotEq, ast.In, ast.NotIn)


def _vet(node: ast.AST, source: str, names: set[str], calls: list[tuple[str, tuple[Any, ...]]]) -> None:
    if not isinstance(node, _ALLOWED):
        raise ExprError(Code.FORM_006, f"'{source}' uses {type(node).__name__.lower()}, which form expressions "
                                    "do not allow (see forms/README.md, Expressions).")
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str | bool | type(None)):
        raise ExprError(Code.FORM_006, f"'{source}' has a value of a kind forms do not use.")
    if isinstance(node, ast.Constant) and _num(node.value) and not -MAX_NUMBER <= node.value <= MAX_NUMBER:
        raise ExprError(Code.FORM_006, f"'{source}' has a number beyond ±10^15, larger than any form needs.")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExprError(Code.FORM_006, f"'{source}' calls something that is not a function name.")
        fname = node.func.id
        if fname not in FUNCTIONS:
            raise ExprError(Code.FORM_007, f"'{fname}' is not a function forms know{did_you_mean(fname, FUNCTIONS)}.")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExprError(Code.FORM_006, f"'{source}': give function arguments by position only.")
        lo, hi, _ = FUNCTIONS[fname]
        if not lo <= len(node.args) <= hi:
            raise ExprError(Code.FORM_006, f"'{fname}' takes {lo if lo == hi else f'{lo} to {hi}'} argument(s), "
                                        f"not {len(node.args)}.")
        literal = tuple(a.value if isinstance(a, ast.Constant) else None for a in node.args)
        calls.append((fname, literal))
        for arg in node.args:
            _vet(arg, source, names, calls)
        return
    if isinstance(node, ast.Name):
        if node.id not in CONSTANT_NAMES:
            names.add(node.id)
        return
    for child in ast.iter_child_nodes(node):
        _vet(child, source, names, calls)


def evaluate(expr: Expr, env: Env) -> Any:
    return expr.run(env)


# --- compiling a vetted tree into closures (done once, when the form is loaded) ---------


def _compile(node: ast.expr) -> Callable[[Env], Any]:  # noqa: C901 - one branch per node type
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda env: value
    if isinstance(node, ast.Name):
        name = node.id
        if name in CONSTANT_NAMES:
            const = CONSTANT_NAMES[name]
            return lambda env: const
        return lambda env: env.values.get(name)
    if isinstance(node, ast.List | ast.Tuple):
        parts = [_compile(e) for e in node.elts]
        return lambda env: [p(env) for p in parts]
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda env: all(_truthy(p(env)) for p in parts)
        return lambda env: any(_truthy(p(env)) for p in parts)
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda env: not _truthy(operand(env))
        sign = -1 if isinstance(node.op, ast.USub) else 1
        return lambda env: (lambda v: sign * checked_number(v) if _num(v) else None)(operand(env))
    if isinstance(node, ast.BinOp):
        left, right, op = _compile(node.left), _compile(node.right), _BINOPS[type(node.op)]
        concat = isinstance(node.op, ast.Add)

        def binop(env: Env) -> Any:
            a, b = left(env), right(env)
            if concat and isinstance(a, str) and isinstance(b, str):
                return a + b if len(a) + len(b) <= MAX_TEXT else None
            if not (_num(a) and _num(b)):
                return None
            return checked_number(op(checked_number(a), checked_number(b)))

        return binop
    if isinstance(node, ast.Compare):
        first = _compile(node.left)
        chain = [(op, _compile(c)) for op, c in zip(node.ops, node.comparators, strict=True)]

        def compare(env: Env) -> bool:
            a = first(env)
            for op, nxt in chain:
                b = nxt(env)
                if not _compare(op, a, b):
                    return False
                a = b
            return True

        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = _compile(node.test), _compile(node.body), _compile(node.orelse)
        return lambda env: body(env) if _truthy(test(env)) else orelse(env)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        impl = FUNCTIONS[node.func.id][2]
        args = [_compile(a) for a in node.args]
        return lambda env: impl(env, *[a(env) for a in args])
    raise AssertionError(f"unvetted node {type(node).__name__}")  # parse_expr refuses these


def _truthy(x: Any) -> bool:
    return x is not None and x is not False and x != "" and x != []


def _compare(op: ast.cmpop, a: Any, b: Any) -> bool:
    if isinstance(op, ast.Eq):
        return bool(a == b)
    if isinstance(op, ast.NotEq):
        return bool(a != b)
    if isinstance(op, ast.In | ast.NotIn):
        if a is None or not isinstance(b, list | str):
            return False
        found = a in b if isinstance(b, list) or isinstance(a, str) else False
        return found if isinstance(op, ast.In) else not found
    if a is None or b is None:
        return False
    try:
        return _CMP[type(op)](a, b)
    except TypeError:
        return False


# --- what an expression is sure to be once the missing answers are given ------------------
#
# A flag such as ``total >= 30`` on an unfinished form: if ``total`` sums items that can only
# add (every option scores 0 or more), the answered items already give its lowest possible
# value, and the condition holds whatever the missing answers turn out to be. ``bound`` works
# that out from the expression itself, conservatively: it proves only lower bounds (``>=`` and
# ``>``) on sums and on names the evaluator says can only grow; anything else (upper bounds,
# ``==`` on a number, subtraction, other functions of unfinished values) proves nothing.


@dataclass(frozen=True)
class Bound:
    """What a value is sure to be once the missing answers are given, whatever they are.

    ``kind`` is ``known`` (exactly ``value``), ``at_least`` (a number, ``value`` or more) or
    ``null_or_at_least`` (null, or a number ``value`` or more: a question that may stay hidden).
    """

    kind: str
    value: Any = None


KNOWN, AT_LEAST, NULL_OR_AT_LEAST = "known", "at_least", "null_or_at_least"


def _known(v: Any) -> Bound:
    return Bound(KNOWN, v)


class _Tree:
    """An expression's syntax tree with, per node, the names it reads and its compiled closure."""

    def __init__(self, source: str) -> None:
        self.root = ast.parse(source.strip(), mode="eval").body
        self.names: dict[int, frozenset[str]] = {}
        self.runs: dict[int, Callable[[Env], Any]] = {}
        self.compares: bool | None = None

    def names_of(self, node: ast.expr) -> frozenset[str]:
        key = id(node)
        if key not in self.names:
            self.names[key] = frozenset(n.id for n in ast.walk(node)
                                        if isinstance(n, ast.Name) and n.id not in CONSTANT_NAMES)
        return self.names[key]

    def run(self, node: ast.expr, env: Env) -> Any:
        key = id(node)
        if key not in self.runs:
            self.runs[key] = _compile(node)
        return self.runs[key](env)


_TREES: dict[str, _Tree] = {}
_ORDERING = (ast.GtE, ast.Gt, ast.LtE, ast.Lt)


def _tree(expr: Expr) -> _Tree:
    tree = _TREES.get(expr.source)
    if tree is None:
        tree = _Tree(expr.source)
        if len(_TREES) < _PARSED_MAX:
            _TREES[expr.source] = tree
    return tree


def compares_numbers(expr: Expr) -> bool:
    """Whether ``expr`` itself compares with ``<``, ``<=``, ``>``, ``>=`` or with ``null``: without
    one, and reading no unfinished computed value or score, ``bound`` can prove nothing."""
    try:
        tree = _tree(expr)
    except SyntaxError:
        return False
    if tree.compares is None:
        tree.compares = any(isinstance(n, ast.Compare) and (
            any(isinstance(op, _ORDERING) for op in n.ops)
            or any(isinstance(x, ast.Name) and x.id == "null" for x in (n.left, *n.comparators)))
            for n in ast.walk(tree.root))
    return tree.compares


def bound(expr: Expr, env: Env, open_names: frozenset[str] | set[str],
          bound_of: Callable[[str], Bound | None]) -> Bound | None:
    """What ``expr`` is sure to be once the missing answers are given (None: nothing is sure).

    ``open_names`` are the names whose value may still change as missing answers are given
    (everything else reads as its value in ``env``); ``bound_of(name)`` says what an open name
    is sure to be. Never raises: an expression that cannot be analysed proves nothing.
    """
    try:
        tree = _tree(expr)
        return _bound(tree, tree.root, env, open_names, bound_of)
    except Exception:  # noqa: BLE001 - proving nothing is always safe
        return None


def _bound(tree: _Tree, node: ast.expr, env: Env, open_names: frozenset[str] | set[str],  # noqa: C901
           bound_of: Callable[[str], Bound | None]) -> Bound | None:
    if not tree.names_of(node) & open_names:  # nothing missing: its value now is its value then
        try:
            return _known(tree.run(node, env))
        except EvalError:
            return None

    def sub(n: ast.expr) -> Bound | None:
        return _bound(tree, n, env, open_names, bound_of)

    if isinstance(node, ast.Name):
        return bound_of(node.id)
    if isinstance(node, ast.BoolOp):
        parts = [sub(v) for v in node.values]
        decided = [_truthy(p.value) for p in parts if p is not None and p.kind == KNOWN]
        settles_it = isinstance(node.op, ast.Or)  # a true part settles 'or'; a false one settles 'and'
        if settles_it in decided:
            return _known(settles_it)
        return _known(not settles_it) if len(decided) == len(parts) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        b = sub(node.operand)
        return _known(not _truthy(b.value)) if b is not None and b.kind == KNOWN else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _bound_compare(node.ops[0], sub(node.left), sub(node.comparators[0]))
    if isinstance(node, ast.IfExp):
        test = sub(node.test)
        if test is not None and test.kind == KNOWN:
            return sub(node.body if _truthy(test.value) else node.orelse)
        return None
    if isinstance(node, ast.BinOp):
        return _bound_binop(node.op, sub(node.left), sub(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [sub(a) for a in node.args]
        if node.func.id == "sum":
            return _bound_sum(args)
        if all(a is not None and a.kind == KNOWN for a in args):
            impl = FUNCTIONS[node.func.id][2]
            return _known(impl(env, *[a.value for a in args if a is not None]))
        return None
    if isinstance(node, ast.List | ast.Tuple):
        items = [sub(e) for e in node.elts]
        if all(i is not None and i.kind == KNOWN for i in items):
            return _known([i.value for i in items if i is not None])
    return None


def _bound_compare(op: ast.cmpop, a: Bound | None, b: Bound | None) -> Bound | None:
    """Only lower bounds prove anything: ``x >= n`` and ``x > n`` (or ``n <= x``, ``n < x``)
    when x is sure to be at least n; and a number is never null."""
    if a is None or b is None:
        return None
    if a.kind == KNOWN and b.kind == KNOWN:
        return _known(_compare(op, a.value, b.value))
    if isinstance(op, ast.LtE | ast.Lt):  # n <= x is x >= n
        a, b, op = b, a, (ast.GtE() if isinstance(op, ast.LtE) else ast.Gt())
    if a.kind == AT_LEAST and b.kind == KNOWN:
        if isinstance(op, ast.Eq | ast.NotEq) and b.value is None:
            return _known(isinstance(op, ast.NotEq))
        if _num(b.value) and (isinstance(op, ast.GtE) and a.value >= b.value
                              or isinstance(op, ast.Gt) and a.value > b.value):
            return _known(True)
    if b.kind == AT_LEAST and a.kind == KNOWN and a.value is None and isinstance(op, ast.Eq | ast.NotEq):
        return _known(isinstance(op, ast.NotEq))
    return None


def _bound_binop(op: ast.operator, a: Bound | None, b: Bound | None) -> Bound | None:
    """``+`` of lower bounds, and ``*`` of one by a number that is not negative."""
    if a is None or b is None:
        return None
    if (a.kind == KNOWN and a.value is None) or (b.kind == KNOWN and b.value is None):
        return _known(None)  # arithmetic with null is null
    numbers = {KNOWN, AT_LEAST}
    if a.kind not in numbers or b.kind not in numbers or not (_num(a.value) and _num(b.value)):
        return None
    if isinstance(op, ast.Add):
        low = a.value + b.value
    elif isinstance(op, ast.Mult) and (a.kind == KNOWN and a.value >= 0 or b.kind == KNOWN and b.value >= 0):
        low = a.value * b.value
    else:
        return None
    return Bound(AT_LEAST, low) if abs(low) <= MAX_NUMBER else None


def _bound_sum(args: list[Bound | None]) -> Bound | None:
    """``sum`` skips nulls, so a question that may stay unanswered adds at least nothing."""
    low: int | float = 0
    for a in args:
        if a is None:
            return None
        if a.kind == KNOWN:
            low += a.value if _num(a.value) else 0
        elif a.kind == AT_LEAST:
            low += a.value
        else:  # null or at least a.value
            low += min(a.value, 0)
    if abs(low) > MAX_NUMBER:
        return None
    return Bound(AT_LEAST, low)
