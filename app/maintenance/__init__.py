"""Keeping a city's installation: backups and their restore, and the retention of personal
data. Command-line only (app/maintenance/cli.py); no pages."""
