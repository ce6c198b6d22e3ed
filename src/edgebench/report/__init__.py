"""Rendering of records into the tables users put in their reports."""
