"""Learner pages: search, records, registration by phone, cards (written by the people work)."""
