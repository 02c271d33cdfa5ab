"""Run Django's migrate like manage.py does and report what reached Django when it fails.

Prints one line per field of the database error that Django raised: its class, the SQLSTATE
(psycopg2's pgcode) and the diagnostics' primary message, detail, hint, schema and table; exits 1 then.
Used by test/clients/run.sh to check that the SQLSTATE, not only the text, reaches the ORM.
"""
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sm_site.settings")
import django  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError  # noqa: E402

django.setup()
try:
    call_command("migrate", *sys.argv[1:], verbosity=1)
except DatabaseError as e:
    cause = e.__cause__
    print("django_exception:", type(e).__module__ + "." + type(e).__name__)
    print("sqlstate:", getattr(cause, "pgcode", None))
    diag = getattr(cause, "diag", None)
    if diag is not None:
        print("message_primary:", diag.message_primary)
        print("message_detail:", diag.message_detail)
        print("message_hint:", diag.message_hint)
        print("schema_name:", diag.schema_name)
        print("table_name:", diag.table_name)
    sys.exit(1)
