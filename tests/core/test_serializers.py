"""core.serializers.PlannedSerializer gives what DRF's own walk over the same fields gives."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from core.serializers import PlannedSerializer


class Ref(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class Thing(PlannedSerializer):
    id = serializers.UUIDField(read_only=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    when = serializers.DateTimeField(read_only=True, allow_null=True)
    owner = Ref(read_only=True, allow_null=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True, allow_null=True)
    tags = Ref(many=True, read_only=True, source="tag_list")
    label = serializers.CharField(source="make_label", read_only=True)
    optional = serializers.IntegerField(read_only=True)  # absent: left out
    doubled = serializers.SerializerMethodField()
    secret = serializers.CharField(write_only=True)

    def get_doubled(self, thing) -> int:
        return (thing["count"] if isinstance(thing, dict) else thing.count) * 2


def _thing(**overrides):
    values = {
        "id": "6c0ffee0-0000-4000-8000-000000000001",
        "price": Decimal("12.5"),
        "when": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        "owner": SimpleNamespace(id="6c0ffee0-0000-4000-8000-000000000002", name="Ọjà"),
        "tag_list": [SimpleNamespace(id="6c0ffee0-0000-4000-8000-000000000003", name="t")],
        "make_label": lambda: "made",
        "count": 21,
        "secret": "never shown",
    }
    values.update(overrides)
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    "instance",
    [
        _thing(),
        _thing(when=None, owner=None, tag_list=[], optional=0),
        {
            "id": "6c0ffee0-0000-4000-8000-000000000004",
            "price": 1,
            "when": None,
            "owner": None,
            "owner_name": None,
            "tag_list": [],
            "make_label": "m",
            "count": 1,
        },
    ],
)
def test_the_plan_gives_what_drf_s_walk_gives(instance):
    serializer = Thing(instance)
    planned = serializer.data
    generic = serializers.Serializer.to_representation(serializer, instance)
    assert planned == generic
    assert list(planned) == list(generic)
    assert "secret" not in planned


def test_many_shares_one_plan():
    many = Thing([_thing(), _thing(count=1)], many=True)
    assert [item["doubled"] for item in many.data] == [42, 2]
    assert many.child.representation_plan is many.child.representation_plan
