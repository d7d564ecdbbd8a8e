"""Storage: typed SQLAlchemy models, engine and session setup, migrations, queries.

Imports nothing else of Huifang's.
"""
