"""Start the desktop client."""

from __future__ import annotations

import argparse


def run_gui(args: argparse.Namespace) -> int:
    from ddassess.ui.app import run

    return run(demo=args.demo)
