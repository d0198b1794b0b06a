"""Headless subcommands of the ``ddassess`` command, one module per area.

Each module offers ``register(subparsers)``; handlers import heavy code (SQLAlchemy,
the forms engine, reportlab) only when they run, so ``ddassess --version`` stays fast.
"""
