from django.db import models


class Product(models.Model):
    name = models.TextField()
    sku = models.TextField()

    class Meta:
        # Both indexes were added after the table was in production (migrations 0002 and 0003).
        # `makemigrations` turns them into AddIndex operations, which pg_safemigrate rejects
        # inside the migration's transaction; test/clients/run.sh shows that, then applies
        # the two committed fixes.
        indexes = [
            models.Index(fields=["sku"], name="shop_product_sku_idx"),
            models.Index(fields=["name"], name="shop_product_name_idx"),
        ]
