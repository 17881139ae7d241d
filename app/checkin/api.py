"""Check-in and roster as JSON (written by the check-in work)."""
