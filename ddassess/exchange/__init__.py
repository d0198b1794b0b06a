"""Cases shared between laptops: operations, clocks, merge, conflicts (docs/exchange.md).

Headless: no Qt, no HTTP. Imports store, domain, formengine, errors and codes; services call it.
"""
