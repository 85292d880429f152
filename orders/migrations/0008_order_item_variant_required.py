import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0007_order_item_variant"),
    ]

    operations = [
        migrations.AlterField(
            model_name="orderitem",
            name="variant",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="products.productvariant"),
        ),
    ]
