"""Benchmarks: deploytui measured side by side with the baselines a user would otherwise pick."""
