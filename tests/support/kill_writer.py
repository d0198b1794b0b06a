"""Child process for the kill test: saves forms as fast as it can, acknowledging each.

Prints "ready" once the store is open, then "ack <round> <n>" after each save returns;
a save acknowledged is one the user would have been told was saved.
"""

from __future__ import annotations

import sys
from pathlib import Path

from store_helpers import PASSPHRASE

from ddassess.services import case_changes
from ddassess.store import Credentials, open_store


def main(folder: str, round_no: int, case_id: int) -> None:
    store = open_store(Path(folder), Credentials(passphrase=PASSPHRASE))
    print("ready", flush=True)
    draft = case_changes.start_response(store, case_id, "phq9", 1, "0" * 64, {"round": round_no})
    n = 0
    while True:
        n += 1
        case_changes.start_response(store, case_id, "gad7", 1, "0" * 64, {"round": round_no, "n": n})
        case_changes.save_draft(store, draft.id, {"round": round_no, "n": n, "notes": "x" * (n % 500)})
        sys.stdout.write(f"ack {round_no} {n}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
