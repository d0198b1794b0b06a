"""Child process that holds a store open: prints "ready", closes it when a line arrives
on stdin (or is killed). The lock test deletes the lock file meanwhile."""

from __future__ import annotations

import sys
from pathlib import Path

from store_helpers import PASSPHRASE

from ddassess.store import Credentials, open_store


def main(folder: str) -> None:
    store = open_store(Path(folder), Credentials(passphrase=PASSPHRASE, use_keyring=False))
    print("ready", flush=True)
    sys.stdin.readline()
    store.close()  # anchors the audit head: a key-file save from this process's memory
    print("closed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
