"""Pages residents see without an account (written by the public sign-up work)."""
