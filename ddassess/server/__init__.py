"""The team server: a second transport for the same envelopes as bundles (docs/server.md).

Stateless HTTPS processes over PostgreSQL: laptops push envelopes and case key wraps and
pull what is addressed to their keys, authenticated by mutual TLS with certificates from
the team authority. The server stores routing data and opaque bytes only: it never holds
a case key and can read neither a case nor a name.
"""
