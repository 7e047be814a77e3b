"""Alembic environment: refurb runs migrations itself, on the connection it already has."""

from alembic import context

from refurb.models import SQLModel

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` on the command line
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url")).connect()

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
