"""Courses as JSON: /api/v1/courses (written by the curricula work)."""
