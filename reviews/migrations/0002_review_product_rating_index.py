"""A product's reviews by `?rating=` or ordered by rating, built online (not atomic)."""

from django.db import migrations, models

from core.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reviews", "0001_initial"),
    ]

    operations = [
        AddIndexOnline(
            model_name="review",
            index=models.Index(
                fields=["product", "is_visible", "rating", "-created_at", "-id"],
                name="review_product_rating",
            ),
        ),
    ]
