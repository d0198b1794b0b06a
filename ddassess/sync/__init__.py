"""The headless sync client of the team server (docs/server.md)."""
