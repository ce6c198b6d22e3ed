"""Measurements: latency statistics, accuracy."""
