"""deploytui: walk a deployment lead through a production maintenance window."""

__version__ = "0.1.0"
