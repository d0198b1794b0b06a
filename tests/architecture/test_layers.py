"""Imports go one way: domain ← formengine ← {keys, interchange, store, pdf} ← exchange ← services ← ui ← cli.

Scans every module of the package with ``ast`` (nothing is imported), so a layer
cannot start depending on one above it, and only the named modules may import
the libraries that belong to one layer (Qt, SQLAlchemy/SQLCipher, keyring, reportlab).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ddassess"

RANK = {
    "errors": 0, "codes": 0, "paths": 0, "fileio": 0, "logs": 0, "__init__": 0,
    "domain": 1,
    "formengine": 2,
    "keys": 3,
    # FHIR and CSV made from specs and plain values (no store): below services, which feed it.
    "interchange": 3,
    "store": 4, "pdf": 4,
    "exchange": 5,  # operations, merge, envelopes, bundles: headless
    "services": 6,
    # The headless sync client (called by services, the CLI and later the GUI) and the team
    # server (its own program: nothing in the laptop's layers imports it).
    "sync": 6, "server": 6,
    "ui": 7,
    "commands": 8, "cli": 8, "__main__": 8,
}

# Third-party libraries that only one area may import.
OWNERS = {
    "PySide6": {"ui"},
    "sqlalchemy": {"store", "exchange", "services", "sync", "server"},
    "sqlcipher3": {"store"},
    "alembic": {"store", "server"},
    "starlette": {"server"},
    "uvicorn": {"server"},
    "psycopg": {"server"},
    "keyring": {"keys"},
    "reportlab": {"pdf"},
    "pyhanko": {"pdf"},
    "pyhanko_certvalidator": {"pdf"},
    "asn1crypto": {"pdf"},
    "pypdfium2": {"pdf"},
}


def _area(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules():
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts or p.name == "env.py"]


def test_every_area_has_a_rank():
    areas = {_area(p) for p in _modules()}
    assert areas <= set(RANK), f"new areas need a rank: {areas - set(RANK)}"


def test_no_layer_imports_a_layer_above_it():
    offences = []
    for path in _modules():
        mine = RANK[_area(path)]
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "ddassess" or len(parts) < 2:
                continue
            theirs = RANK.get(parts[1])
            if theirs is not None and theirs > mine:
                offences.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offences, "\n".join(offences)


def test_layer_libraries_stay_in_their_layer():
    offences = []
    for path in _modules():
        area = _area(path)
        for name in _imports(path):
            owners = OWNERS.get(name.split(".")[0])
            if owners is not None and area not in owners:
                offences.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offences, "\n".join(offences)


def test_the_scan_sees_real_imports():
    """Guard against a scan that finds nothing and so passes vacuously."""
    found = {name for p in _modules() for name in _imports(p)}
    assert "ddassess.store.records" in found
    assert any(n.startswith("sqlalchemy") for n in found)


def test_widgets_reach_the_store_only_through_services():
    """docs/architecture.md: widgets call services, never the store or the key handling."""
    offences = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        for name in _imports(path):
            if name.startswith(("ddassess.store", "ddassess.keys")):
                offences.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offences, "\n".join(offences)


# What the client may use of a store it holds: it passes the store to services, shows whose
# and which store it is, and closes it. Anything else (the key file, sessions, the engine, the
# store's own key and passphrase methods) is asked of a service: docs/architecture.md.
STORE_HANDLE = {"close", "closed", "store_id", "owner", "owner_uuid", "unlocked_by"}
# Attributes of the key handling that no client code touches on any object.
KEY_INTERNALS = {"key_file", "wraps", "unlock_with_passphrase", "unlock_with_recovery_key", "has_keyring"}


def _names_a_store(node: ast.expr) -> bool:
    """``store``, ``self.store``, ``created.store``, ``self._store``, ``new_store`` ..."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name == "store" or name.endswith("_store")


def _reach_arounds(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr in KEY_INTERNALS:
            found.append((node.lineno, f".{node.attr}"))
        elif _names_a_store(node.value) and node.attr not in STORE_HANDLE:
            found.append((node.lineno, f"{ast.unparse(node.value)}.{node.attr}"))
    return found


def test_widgets_do_not_reach_into_the_store_or_the_keys():
    offences = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offences += [f"{path.relative_to(PACKAGE.parent)}:{line} uses {what}" for line, what in _reach_arounds(tree)]
    assert not offences, "ask a service instead (services/vault.py for keys and the lifecycle):\n" + "\n".join(offences)


def test_the_reach_around_scan_finds_what_it_looks_for():
    """Guard against a scan that finds nothing and so passes vacuously."""
    code = ("store.key_file.has_keyring\nself.store.engine.dispose()\nwith self.created.store.write() as s: pass\n"
            "new_store.reset_passphrase(p)\nself.store.close()\nself.store_ready.emit(store)\nwindow.store.store_id\n")
    assert sorted(_reach_arounds(ast.parse(code))) == [
        (1, ".has_keyring"), (1, ".key_file"), (2, "self.store.engine"), (3, "self.created.store.write"),
        (4, "new_store.reset_passphrase")]
    ui_uses = {what for p in (PACKAGE / "ui").rglob("*.py")
               for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
               if isinstance(node, ast.Attribute) and _names_a_store(node.value) for what in [node.attr]}
    assert {"close", "store_id"} <= ui_uses  # the client really does hold stores: the scan sees them


def test_no_relative_imports():
    """Every import names its module in full (``from ddassess.x import y``), so a module
    reads the same wherever it is and the layer scan above sees every import."""
    offences = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offences += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports from "
                     f"{'.' * node.level}{node.module or ''}"
                     for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert not offences, "\n".join(offences)
