"""Check-in pages (written by the check-in work)."""
