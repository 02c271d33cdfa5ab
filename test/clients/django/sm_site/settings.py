"""Settings of the throwaway Django project used by test/clients/run.sh.

The connection comes from the libpq environment that run.sh exports (PGHOST, PGPORT) plus
DJANGO_DB_NAME; application_name tells this client's DDL apart in safemigrate.ddl_audit.
"""
import os

SECRET_KEY = "pg_safemigrate-client-test"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["shop"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["DJANGO_DB_NAME"],
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": os.environ["PGHOST"],
        "PORT": os.environ["PGPORT"],
        "OPTIONS": {"application_name": "sm-clients-django"},
    }
}
