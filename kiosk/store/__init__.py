"""SQLite storage: schema, migrations and queries."""
