"""After a lock, no copy of the database key as hex text is left in the process's memory.

``PRAGMA key = "x'<hex>'"`` left the hex key in a Python string (and the connection's
statement cache) after the store was locked. The check runs in a child process that
creates a store, opens it, works in it and closes it (what a lock does), then reads its
own memory: every readable region in ``/proc/self/maps``, through ``/proc/self/mem``.

What it can prove: no copy of the key as hex text (nor as raw bytes) is left in any
readable memory of that process at that moment: not in Python objects, not in SQLite's
heap, not in freed memory that has not been reused. Two controls show the scan is not
blind: the hex key in the ``PRAGMA key`` str of a throwaway connection keyed the old way
(the str kept alive) is found, and the store's raw key is found while it is open. Freed
memory is found only until it is reused, so the old code fails this test most of the
time, not always; the new code has no such copy to find.

What it cannot prove: that no copy was ever paged out to swap or written into a core
dump while the store was open, or that the key is not in memory of other forms (a derived
AES key schedule inside OpenSSL). Key rotation, which attaches the new file under the new
key, is checked the same way for the new key (``rotate``). The search pattern itself holds only the first
6 bytes of the key in clear; the rest is compared masked, so the needle is not found as
its own copy.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCANNER = textwrap.dedent('''
    import secrets

    PREFIX = 6  # bytes of the key kept in clear by the needle (of 32)

    def needles(key):
        """(clear prefix, mask, masked rest) for the key as hex text and as raw bytes."""
        out = []
        text = bytearray(64)  # the key as hex, made without a str (which could not be wiped)
        for i, byte in enumerate(key):
            text[2 * i], text[2 * i + 1] = b"0123456789abcdef"[byte >> 4], b"0123456789abcdef"[byte & 15]
        for form in (text, bytearray(key)):
            cut = PREFIX * 2 if len(form) == 64 else PREFIX
            mask = secrets.token_bytes(len(form) - cut)
            out.append((bytes(form[:cut]), mask, bytes(a ^ m for a, m in zip(form[cut:], mask)), len(form)))
            form[:] = bytes(len(form))
        return out

    def count(needle):
        prefix, mask, masked, size = needle
        hits = 0
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                fields = line.split()
                if not fields[1].startswith("r") or line.rstrip().endswith(("[vvar]", "[vsyscall]")):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                try:
                    mem.seek(start)
                    data = mem.read(end - start)
                except (OSError, ValueError, OverflowError):
                    continue
                pos = data.find(prefix)
                while pos != -1:
                    rest = data[pos + len(prefix):pos + size]
                    if len(rest) == len(masked) and bytes(a ^ m for a, m in zip(rest, mask)) == masked:
                        hits += 1
                    pos = data.find(prefix, pos + 1)
        return hits
''')

CHILD = SCANNER + textwrap.dedent('''
    import sys
    from pathlib import Path
    from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER
    from ddassess.domain.models import PersonDetails
    from ddassess.services import case_changes
    from ddassess.store import Credentials, create_store, open_store

    folder = Path(sys.argv[1])
    # The control: a throwaway database keyed the old way, with a PRAGMA key str (kept
    # alive here) and a key of its own: the scan must find that str, or it is blind.
    import sqlcipher3
    from ddassess.store.cipher import key_pragma
    control_key = secrets.token_bytes(32)
    control_hex, _ = needles(control_key)
    control_sql = key_pragma(control_key)
    control = sqlcipher3.connect(str(folder.with_name("control.db")), isolation_level=None)
    control.execute(control_sql)
    control.execute("CREATE TABLE t (x)")
    control.close()
    del control, control_key
    create_store(folder, PASSPHRASE, practitioner=PRACTITIONER, kdf=FAST_KDF, use_keyring=False).store.close()
    store = open_store(folder, Credentials(passphrase=PASSPHRASE))
    hex_needle, raw_needle = needles(store._db_key)
    case_changes.register_person(store, PersonDetails("Ada", "Fictional", nhs_number="9990000042"))
    case_changes.find_person_by_nhs(store, "9990000042")
    if sys.argv[2] == "rotate":  # key rotation attaches a copy of the store under the new key
        store.rotate_key(PASSPHRASE, FAST_KDF)
        hex_needle, raw_needle = needles(store._db_key)
        case_changes.find_person_by_nhs(store, "9990000042")
    print("open", count(hex_needle), count(raw_needle))
    store.close()
    del store
    print("locked", count(hex_needle), count(raw_needle))
    print("control", count(control_hex), len(control_sql))
''')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mem (Linux)")
@pytest.mark.parametrize("work", ["edit", "rotate"])
def test_no_hex_key_left_in_memory_after_lock(tmp_path, subprocess_env, work):
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "store"), work], env=subprocess_env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = {line.split()[0]: tuple(map(int, line.split()[1:])) for line in out.stdout.splitlines()}
    assert seen["control"][0] >= 1, "control: the hex key in a live PRAGMA key str was not found"
    assert seen["open"][1] >= 1, "control: the raw key was not found while the store was open"
    locked_hex, locked_raw = seen["locked"]
    assert locked_hex == 0, f"{locked_hex} copies of the key as hex text are left after the lock"
    assert locked_raw == 0, f"{locked_raw} copies of the raw key are left after the lock"


ATTACH_CHILD = SCANNER + textwrap.dedent('''
    import sys
    from pathlib import Path
    import sqlcipher3
    from ddassess.store.cipher import attach_keyed, raw_connect

    folder = Path(sys.argv[1])
    old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)
    conn = raw_connect(folder / "old.db", old_key)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.execute("INSERT INTO people VALUES ('Ada Fictional')")
    hex_needle, _raw = needles(new_key)
    if sys.argv[2] == "statement":  # the old way: the key as hex text in the ATTACH statement
        conn.execute(f"ATTACH DATABASE ? AS copy KEY \\"x'{new_key.hex()}'\\"", (str(folder / "new.db"),))
    else:
        attach_keyed(conn, folder / "new.db", "copy", new_key)
    conn.execute("SELECT sqlcipher_export('copy')").fetchall()
    conn.execute("DETACH DATABASE copy")
    # The connection stays open, as the store's does while it re-keys: its statement cache
    # still holds the statements it ran.
    print("detached", count(hex_needle))
    conn.close()
    check = raw_connect(folder / "new.db", new_key)
    print("copied", check.execute("SELECT name FROM people").fetchone()[0])
    check.close()
    try:
        raw_connect(folder / "new.db", old_key)
        print("old-key-opens", 1)
    except sqlcipher3.DatabaseError:
        print("old-key-opens", 0)
''')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mem (Linux)")
@pytest.mark.parametrize("way", ["attach_keyed", "statement"])
def test_attaching_under_a_new_key_leaves_no_hex_copy(tmp_path, subprocess_env, way):
    """Key rotation attaches the new file under the new key. ``attach_keyed`` leaves no hex
    text of it behind; the ATTACH statement with the key written in (``statement``, what
    rotation did before) is the control that shows the scan finds one."""
    out = subprocess.run([sys.executable, "-c", ATTACH_CHILD, str(tmp_path), way], env=subprocess_env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert seen["copied"] == "Ada Fictional" and seen["old-key-opens"] == "0"
    if way == "statement":
        assert int(seen["detached"]) >= 1, "control: the hex key in the ATTACH statement was not found"
    else:
        assert int(seen["detached"]) == 0, f"{seen['detached']} copies of the new key as hex text are left"
