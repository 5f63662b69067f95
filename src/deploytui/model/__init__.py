"""Pydantic types shared by every layer: the playbook, typed fields and the journal vocabulary.

This is the bottom layer: it imports nothing else from deploytui.
"""
