"""Output serializers whose representation is walked from a plan of their declared fields.

DRF's `Serializer.to_representation` looks every field's value up through several generic
layers (a generator over the fields, `Field.get_attribute`, `fields.get_attribute` with its
mapping and callable checks); on a catalogue page or a checkout's answer that walk costs more
than the queries. `PlannedSerializer` reads the same declared fields, once per serializer
instance, into (name, attribute getter, field) steps and runs them: the same fields, sources
and `to_representation`s, so the answer and the OpenAPI schema stay those of the declaration.
Whatever the plan does not take as it is (a field with its own `get_attribute`, a value that is
callable, a missing attribute, a mapping instead of an object) goes through DRF's own path.
"""

from __future__ import annotations

import operator
from functools import cached_property
from typing import Any

from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject

_OWN_LOOKUP = object()  # a step whose field looks its value up itself


def _step(field: Field) -> tuple[str, Any, Field]:
    """A field's step: its name, how its value is read (a getter; None: the instance itself,
    for `source="*"`; `_OWN_LOOKUP`: the field's own `get_attribute`) and the field."""
    name = field.field_name
    assert name is not None  # set when the field was bound to its serializer
    if type(field).get_attribute is not Field.get_attribute:
        return name, _OWN_LOOKUP, field
    if not field.source_attrs:
        return name, None, field
    return name, operator.attrgetter(".".join(field.source_attrs)), field


# A read-only serializer (see the module docstring): subclass it for output. (No docstring: the
# OpenAPI schema would take it as every subclass's description.)
class PlannedSerializer(serializers.Serializer):
    @cached_property
    def representation_plan(self) -> list[tuple[str, Any, Field]]:
        return [_step(field) for field in self.fields.values() if not field.write_only]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, getter, field in self.representation_plan:
            if getter is None:
                value = instance
            else:
                try:
                    value = _OWN_LOOKUP if getter is _OWN_LOOKUP else getter(instance)
                except (AttributeError, KeyError):
                    value = _OWN_LOOKUP  # missing, or a mapping: DRF's lookup decides
                if value is _OWN_LOOKUP or callable(value):
                    try:
                        value = field.get_attribute(instance)
                    except SkipField:
                        continue
                    if isinstance(value, PKOnlyObject) and value.pk is None:
                        value = None
            data[name] = None if value is None else field.to_representation(value)
        return data
