"""PostgreSQL only: the database itself refuses overlapping active bookings of a room or a skill.

DESIGN.md invariant 1. The services lock the resource row before they check and write, so this guard
never fires for them; it stops every write that bypasses the services (a future service forgetting the
lock, a manual repair, a script). ``btree_gist`` lets the GiST index compare ``resource_id`` with ``=``
next to the range's ``&&``. Ranges are half-open (``[)``): a booking until 10:00 and one from 10:00 do
not overlap. Only active bookings count (``buchungen.models.ACTIVE_STATUSES``; a test compares both
lists) and only exclusive ones: equipment may overlap up to its stock, which the service checks.

SQLite has no such constraint; there the IMMEDIATE transactions (settings) and the service lock serialise
every booking write.
"""

from django.db import migrations

CONSTRAINT = "booking_exclusive_no_overlap"

CREATE = f"""
ALTER TABLE buchungen_booking ADD CONSTRAINT {CONSTRAINT}
EXCLUDE USING gist (resource_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&)
WHERE (exclusive AND status IN ('requested', 'confirmed', 'checked_out'))
"""
DROP = f"ALTER TABLE buchungen_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(CREATE)


def drop_constraint(apps, schema_editor):
    # The extension stays: other objects may use it, and it costs nothing.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("buchungen", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
