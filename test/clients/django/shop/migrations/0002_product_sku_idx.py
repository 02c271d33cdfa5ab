# The safe form of makemigrations' AddIndex: CREATE INDEX CONCURRENTLY, which cannot run in a
# transaction, so the migration is not atomic (it then holds this one operation only).
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="product",
            index=models.Index(fields=["sku"], name="shop_product_sku_idx"),
        ),
    ]
