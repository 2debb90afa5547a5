"""Keep ``Supplier.search_vector`` in the row (PostgreSQL storage MAIN), not in TOAST.

A supplier row with its description and vector is about 2 kB, over PostgreSQL's 2 kB
TOAST threshold, and tsvectors do not compress under pglz, so under the default storage
(EXTENDED) three suppliers in four had their vector moved out of line: ranking a match
(``ts_rank`` reads the vector) then cost a TOAST index lookup and chunk fetch. MAIN
moves the description out of line first and keeps the vector in the row. Measured on
the bench's 100,000 suppliers (README, Performance): ``ts_rank`` over 9,595 matches
went from about 97 ms above the bare match count to about 32 ms (same load).

Existing vectors are rewritten so that they move back into their rows (a storage
setting applies to values written after it).
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE suppliers_supplier ALTER COLUMN search_vector SET STORAGE MAIN",
    # A new value (|| an empty vector) rather than the same one: an unchanged value keeps
    # its out-of-line pointer.
    "UPDATE suppliers_supplier SET search_vector = search_vector || ''::tsvector "
    "WHERE search_vector IS NOT NULL",
]
BACKWARD = ["ALTER TABLE suppliers_supplier ALTER COLUMN search_vector SET STORAGE EXTENDED"]


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0010_supplier_name_single_line")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
