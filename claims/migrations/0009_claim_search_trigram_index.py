"""A trigram index for the queue's search (`search_text LIKE '%term%'`), on PostgreSQL only.

Without it every search, and the count of its matches that the pagination shows, read the
whole claims table: about 15 ms of database time per query at 10k claims. With it a rare term
costs under a millisecond and a common one a bitmap scan (measured on the bench_load corpus).

It is written in SQL rather than declared on the model because SQLite, the development
default, has neither pg_trgm nor GIN: there the search keeps scanning, and the model state
stays the same on both, so `makemigrations --check` agrees everywhere. pg_trgm is a trusted
extension (PostgreSQL 13+): the owner of the database may create it without superuser.
"""

from django.db import migrations

INDEX = "claim_search_trigram"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON claims_claim USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: something else in the database may use it.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0008_queue_order_indexes"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
