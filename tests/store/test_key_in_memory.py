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
dump while the store was open, that the key is not in memory of other forms (a derived
AES key schedule inside OpenSSL), or that other code paths (key rotation's ATTACH, which
is another part of the work) leave none. The search pattern itself holds only the first
6 bytes of the key in clear; the rest is compared masked, so the needle is not found as
its own copy.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent('''
    import secrets, sys
    from pathlib import Path
    from store_helpers import FAST_KDF, PASSPHRASE, PRACTITIONER
    from ddassess.domain.models import PersonDetails
    from ddassess.services import case_changes
    from ddassess.store import Credentials, create_store, open_store

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
    print("open", count(hex_needle), count(raw_needle))
    store.close()
    del store
    print("locked", count(hex_needle), count(raw_needle))
    print("control", count(control_hex), len(control_sql))
''')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mem (Linux)")
def test_no_hex_key_left_in_memory_after_lock(tmp_path, subprocess_env):
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "store")], env=subprocess_env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = {line.split()[0]: tuple(map(int, line.split()[1:])) for line in out.stdout.splitlines()}
    assert seen["control"][0] >= 1, "control: the hex key in a live PRAGMA key str was not found"
    assert seen["open"][1] >= 1, "control: the raw key was not found while the store was open"
    locked_hex, locked_raw = seen["locked"]
    assert locked_hex == 0, f"{locked_hex} copies of the key as hex text are left after the lock"
    assert locked_raw == 0, f"{locked_raw} copies of the raw key are left after the lock"
