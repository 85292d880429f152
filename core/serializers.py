"""Output serializers whose representation is walked from a plan of their declared fields.

DRF's `Serializer.to_representation` looks every field's value up through several generic
layers (a generator over the fields, `Field.get_attribute`, `fields.get_attribute` with its
mapping and callable checks); on a catalogue page or a checkout's answer that walk costs more
than the queries. `PlannedSerializer` reads the same declared fields, once per serializer
instance, into (name, attribute getter, field) steps and runs them: the same fields, sources
and `to_representation`s, so the answer and the OpenAPI schema stay those of the declaration.
Whatever the plan does not take as it is (a field with its own `get_attribute`, a value that is
callable, a missing attribute, a mapping instead of an object) goes through DRF's own path.
A value of the type its field is declared for (a `str` for a `CharField`, a `UUID` for a
`UUIDField`, ...) cannot be callable and goes straight to the field; where the field would give
it back unchanged (`str(value)` of a `str`, `int()` of an `int`, `bool()` of a `bool`), as it is.
"""

from __future__ import annotations

import datetime
import functools
import operator
import uuid
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from django.utils.encoding import iri_to_uri
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.request import Request

_OWN_LOOKUP = object()  # a step whose field looks its value up itself

# The type of value each kind of field is declared for, and whether its `to_representation`
# gives such a value back unchanged; only for fields that keep DRF's own `to_representation`.
_TYPES: list[tuple[type[Field], type, bool]] = [
    (serializers.CharField, str, True),
    (serializers.IntegerField, int, True),
    (serializers.BooleanField, bool, True),
    (serializers.UUIDField, uuid.UUID, False),
    (serializers.DecimalField, Decimal, False),
    (serializers.DateTimeField, datetime.datetime, False),
]

Step = tuple[str, Any, Field, type | None, bool]
_type_of: dict[type[Field], tuple[type | None, bool]] = {}


def _value_type(kind: type[Field]) -> tuple[type | None, bool]:
    found = _type_of.get(kind)
    if found is None:
        found = _type_of[kind] = next(
            (
                (value_type, unchanged)
                for base, value_type, unchanged in _TYPES
                if issubclass(kind, base) and kind.to_representation is base.to_representation
            ),
            (None, False),
        )
    return found


def _step(field: Field) -> Step:
    """A field's step: its name, how its value is read (a getter; None: the instance itself,
    for `source="*"`; `_OWN_LOOKUP`: the field's own `get_attribute`), the field, the type of
    value it is declared for (None: any) and whether it gives such a value back unchanged."""
    name = field.field_name
    assert name is not None  # set when the field was bound to its serializer
    value_type, unchanged = _value_type(type(field))
    if type(field).get_attribute is not Field.get_attribute:
        return name, _OWN_LOOKUP, field, value_type, unchanged
    if not field.source_attrs:
        return name, None, field, value_type, unchanged
    getter = operator.attrgetter(".".join(field.source_attrs))
    return name, getter, field, value_type, unchanged


# A read-only serializer (see the module docstring): subclass it for output. (No docstring: the
# OpenAPI schema would take it as every subclass's description.)
class PlannedSerializer(serializers.Serializer):
    @cached_property
    def representation_plan(self) -> list[Step]:
        return [_step(field) for field in self.fields.values() if not field.write_only]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, getter, field, value_type, unchanged in self.representation_plan:
            if getter is None:
                value = instance
            else:
                try:
                    value = _OWN_LOOKUP if getter is _OWN_LOOKUP else getter(instance)
                except (AttributeError, KeyError):
                    value = _OWN_LOOKUP  # missing, or a mapping: DRF's lookup decides
                if type(value) is value_type:
                    data[name] = value if unchanged else field.to_representation(value)
                    continue
                if value is None:
                    data[name] = None
                    continue
                if value is _OWN_LOOKUP or callable(value):
                    try:
                        value = field.get_attribute(instance)
                    except SkipField:
                        continue
                    if isinstance(value, PKOnlyObject) and value.pk is None:
                        value = None
            data[name] = None if value is None else field.to_representation(value)
        return data


def absolute_url(context: Mapping[str, Any], url: str) -> str:
    """`url` made absolute for the request being answered, as `request.build_absolute_uri`
    makes it: from the context's `origin` (a serializer shared by the requests to one scheme and
    host, see `represent`) or `request`; as it is with neither."""
    origin = context.get("origin")
    if origin is not None:
        # The path of a file in storage follows the origin as it is (Django's own fast path);
        # anything else is joined to it.
        plain = url.startswith("/") and not url.startswith("//")
        if plain and "/./" not in url and "/../" not in url:
            return iri_to_uri(origin + url)
        return iri_to_uri(urljoin(origin + "/", url))
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


@functools.lru_cache(maxsize=64)
def _shared(serializer_class: type[serializers.Serializer], origin: str, many: bool) -> Any:
    return serializer_class(many=many, context={"origin": origin})


def represent(
    serializer_class: type[serializers.Serializer], instance: Any, *, request: Request, many=False
) -> Any:
    """The representation of `instance` by one serializer per process, class and origin (the
    scheme and host its links start with): binding a serializer's nested fields for every
    request costs more than walking them. For output serializers that depend on the request
    only through `absolute_url`."""
    origin = request.build_absolute_uri("/")[:-1]  # scheme://host
    return _shared(serializer_class, origin, many).to_representation(instance)
