"""Tests for the Google Sheets sync, against a local Sheets API v4 server."""
