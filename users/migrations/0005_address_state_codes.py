"""Addresses name their state by its ISO 3166-2 code: a state written as a name that the
country's list knows (`Lagos`, `lagos state`, `FCT`) becomes its code (`NG-LA`, `NG-FC`); one
that names none of the country's states is kept as it was written and flagged
(`state_unrecognised`), for the customer to correct. No address is dropped. Countries without
a list of states keep their free text."""

from django.db import migrations, models

BATCH = 500


def states_to_codes(apps, schema_editor):
    from users.countries import has_states, state_code

    Address = apps.get_model("users", "Address")
    changed = []
    for address in Address.objects.only("id", "state", "country").order_by("pk").iterator(BATCH):
        if not has_states(address.country):
            continue
        code = state_code(address.country, address.state)
        if code is None:
            address.state_unrecognised = True
        elif code == address.state:
            continue
        else:
            address.state = code
        changed.append(address)
        if len(changed) == BATCH:
            Address.objects.bulk_update(changed, ["state", "state_unrecognised"])
            changed = []
    Address.objects.bulk_update(changed, ["state", "state_unrecognised"])


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0004_address_plural"),
    ]

    operations = [
        migrations.AddField(
            model_name="address",
            name="state_unrecognised",
            field=models.BooleanField(default=False),
        ),
        # Codes stay codes when this is undone: they are valid states as text too.
        migrations.RunPython(states_to_codes, migrations.RunPython.noop, elidable=False),
    ]
