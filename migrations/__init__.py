"""Alembic migrations (one history: versions/) and what revisions share."""
