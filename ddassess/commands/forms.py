"""``ddassess forms ...``: list, check and score forms headlessly (owned by the forms engine)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("forms", help="list, check and score the forms of the catalogue")
