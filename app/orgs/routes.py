"""Organization and user admin pages (written by the orgs work)."""
