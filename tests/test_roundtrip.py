"""Every request and response message survives serialization with every field set."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from google.protobuf import descriptor, struct_pb2
from google.protobuf.message import Message

SERVICES = ("tokens", "domains", "connections", "directories", "sessions")
FD = descriptor.FieldDescriptor
_SCALARS: dict[int, object] = {
    FD.CPPTYPE_STRING: "välue-✓",
    FD.CPPTYPE_BOOL: True,
    FD.CPPTYPE_INT32: -7,
    FD.CPPTYPE_INT64: -(2**40),
    FD.CPPTYPE_UINT32: 7,
    FD.CPPTYPE_UINT64: 2**40,
    FD.CPPTYPE_FLOAT: 1.5,
    FD.CPPTYPE_DOUBLE: 2.25,
}


def _scalar(field: descriptor.FieldDescriptor) -> object:
    if field.cpp_type == FD.CPPTYPE_ENUM:
        return field.enum_type.values[-1].number
    if field.type == FD.TYPE_BYTES:
        return b"\x00\xff"
    return _SCALARS[field.cpp_type]


def _fill(message: Message, depth: int = 0, oneof_choice: int = 0) -> None:
    """Set every field (a chosen member of each oneof), recursing into messages."""
    if isinstance(message, struct_pb2.Struct):
        message.update({"k": "v", "n": 1.0, "nested": {"b": True}})
        return
    for field in message.DESCRIPTOR.fields:
        oneof = field.containing_oneof
        chosen = oneof is None or len(oneof.fields) == 1
        if not chosen and oneof.fields[oneof_choice % len(oneof.fields)] is not field:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            container = getattr(message, field.name)
            if value_field.message_type is not None:
                if depth < 4:
                    _fill(container["key"], depth + 1)
            else:
                container["key"] = _scalar(value_field)
        elif field.message_type is not None:
            if depth >= 4:
                continue
            if field.is_repeated:
                _fill(getattr(message, field.name).add(), depth + 1)
            else:
                _fill(getattr(message, field.name), depth + 1)
                getattr(message, field.name).SetInParent()
        elif field.is_repeated:
            getattr(message, field.name).append(_scalar(field))
        else:
            setattr(message, field.name, _scalar(field))


def _all_message_classes() -> Iterator[type[Message]]:
    for name in SERVICES:
        module = importlib.import_module(f"scalekit_grpc.v1.{name}.{name}_pb2")
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                for desc in (method.input_type, method.output_type):
                    if desc.file is module.DESCRIPTOR:
                        yield getattr(module, desc.name)


MESSAGES = sorted(set(_all_message_classes()), key=lambda cls: cls.DESCRIPTOR.full_name)


def test_every_rpc_message_is_covered() -> None:
    assert len(MESSAGES) >= 80


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.DESCRIPTOR.full_name)
def test_round_trip_with_every_field_set(cls: type[Message]) -> None:
    oneof_sizes = [len(o.fields) for o in cls.DESCRIPTOR.oneofs if len(o.fields) > 1] or [1]
    for choice in range(max(oneof_sizes)):
        original = cls()
        _fill(original, oneof_choice=choice)
        wire = original.SerializeToString(deterministic=True)
        parsed = cls.FromString(wire)
        assert parsed == original
        assert parsed.SerializeToString(deterministic=True) == wire
        set_names = {f.name for f, _ in parsed.ListFields()}
        expected = {
            f.name
            for f in cls.DESCRIPTOR.fields
            if f.containing_oneof is None or len(f.containing_oneof.fields) == 1
        }
        assert expected <= set_names
