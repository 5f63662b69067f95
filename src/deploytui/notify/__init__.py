"""Webhook notifications: message payloads per format and a background sender with retries.

Nothing here touches the journal or the engine: ``engine.notifications`` decides what to send
and journals the outcomes this package reports.
"""
