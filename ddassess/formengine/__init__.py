"""formengine layer."""
