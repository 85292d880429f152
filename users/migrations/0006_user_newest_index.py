"""The admins' list of accounts (newest first) reads an index instead of sorting the table; built
online (`CONCURRENTLY` on PostgreSQL), so the table stays writable meanwhile."""

from django.db import migrations, models

from core.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("shops", "0005_shop_status_and_ratings"),
        ("users", "0005_address_state_codes"),
    ]

    operations = [
        AddIndexOnline(
            model_name="user",
            index=models.Index(fields=["-date_joined", "id"], name="user_newest"),
        ),
    ]
