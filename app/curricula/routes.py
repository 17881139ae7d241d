"""Curricula browser pages (written by the curricula work)."""
