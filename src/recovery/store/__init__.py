"""Storage: SQLAlchemy tables, the database connection and its quirks, Alembic migrations."""
