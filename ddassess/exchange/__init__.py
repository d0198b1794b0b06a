"""Cases shared between laptops: operations, clocks, merge, conflicts, team keys, envelopes and
bundles (docs/exchange.md).

Headless: no Qt, no HTTP. Imports store, domain, formengine, errors, codes and pdf/certs;
services call it.
"""
