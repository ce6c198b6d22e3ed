"""Instruments: the low-level tools measurements are made with (timing loop, latency
statistics, peak-memory reading, energy windows, bootstrap comparison). Pure or
light: no pytest, no TensorFlow."""
