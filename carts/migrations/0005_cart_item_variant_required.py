import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("carts", "0004_cart_item_variant"),
    ]

    operations = [
        migrations.AlterField(
            model_name="cartitem",
            name="variant",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="products.productvariant"),
        ),
        migrations.RemoveConstraint(
            model_name="cartitem",
            name="cart_item_product_unique",
        ),
        migrations.AddConstraint(
            model_name="cartitem",
            constraint=models.UniqueConstraint(fields=("cart", "variant"), name="cart_item_variant_unique"),
        ),
    ]
