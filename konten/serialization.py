"""Serializer helpers shared by every app's API: faster answers from the read serializers, strict whole
numbers in query strings."""

import re

from rest_framework import fields as drf
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

# Field classes whose ``to_representation`` hands a value of this type back unchanged.
_UNCHANGED = {
    drf.CharField: str,
    drf.EmailField: str,
    drf.SlugField: str,
    drf.URLField: str,
    drf.ChoiceField: str,
    drf.IntegerField: int,
    drf.BooleanField: bool,
}


class PlainColumnsMixin:
    """Serialise a model's plain columns straight from the instance; everything else as usual.

    Django REST framework asks each field to fetch its attribute and convert it — a few microseconds a
    field, so for a page of 50 resources of 40 fields each it was a third of the free search's time
    (docs/benchmarks.md). A column whose field would hand the stored value back unchanged (a ``str`` to a
    text or choice field, an ``int`` to a whole-number field, a ``bool`` to a yes/no field) is read
    directly; any other value, and every other field, takes the framework's way. The answer is the same
    (tests/api/test_plain_columns.py compares both for every serializer using this).
    """

    def _plain_plan(self) -> list:
        plan = self.__dict__.get("_plan")
        if plan is None:
            model = self.Meta.model
            columns = {field.attname for field in model._meta.concrete_fields if not field.is_relation}
            plan = []
            for field in self._readable_fields:
                kind = _UNCHANGED.get(type(field))
                plain = kind is not None and field.source in columns and field.source_attrs == [field.source]
                if plain and isinstance(field, drf.ChoiceField):
                    plain = all(isinstance(key, str) for key in field.choices)
                plan.append((field.field_name, field.source if plain else None, kind, field))
            self._plan = plan
        return plan

    def to_representation(self, instance) -> dict:
        answer = {}
        for name, column, kind, field in self._plain_plan():
            if column is not None:
                value = getattr(instance, column)
                if value is None or type(value) is kind:
                    answer[name] = value
                    continue
            # The framework's own way (rest_framework.serializers.Serializer.to_representation).
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            answer[name] = None if check_for_none is None else field.to_representation(attribute)
        return answer


class WholeNumberField(serializers.IntegerField):
    """Digits only: DRF's ``IntegerField`` also takes ``20.0``, which the schema's integer does not."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"\s*-?[0-9]+\s*", data):
            self.fail("invalid")
        return super().to_internal_value(data)
