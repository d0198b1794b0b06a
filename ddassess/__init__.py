"""ddassess: joint dual-diagnosis assessment on an encrypted local case store."""

__version__ = "0.1.0"
