# makemigrations' plain AddIndex, only made non-atomic: outside a transaction block pg_safemigrate
# runs the CREATE INDEX as CREATE INDEX CONCURRENTLY itself (safemigrate.rewrite = on, the default).
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("shop", "0002_product_sku_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["name"], name="shop_product_name_idx"),
        ),
    ]
