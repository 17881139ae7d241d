"""Learners and registrations as JSON (written by the people work)."""
