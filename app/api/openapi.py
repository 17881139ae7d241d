"""The OpenAPI 3.1 document (filled in with the API)."""
