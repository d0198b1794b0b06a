"""Exchanging cases between laptops: operations, envelopes, bundles (headless: no Qt, no HTTP)."""
