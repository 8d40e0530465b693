"""Test helpers: signed webhook events, the database matrix, a settable clock."""
