"""Widgets of the run, home and history screens (attributes down, messages up)."""
