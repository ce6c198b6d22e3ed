"""Toy extensions registered from outside the package by tests/test_seams.py: a runtime,
a target, a task and a meter, each one module (the measurement is in the test's conftest)."""
