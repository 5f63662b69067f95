"""The durable, hash-chained SQLite journal of runs (sqlite-utils)."""

from deploytui.journal.store import Journal, JournalError, default_journal_path

__all__ = ["Journal", "JournalError", "default_journal_path"]
