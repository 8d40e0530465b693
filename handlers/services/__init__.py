"""Service functions shared by handlers and scheduler jobs; database only, no LINE."""
