"""Zuora's published request and response schemas, made strict.

The models come from PyPI's `zuora-sdk`, generated from Zuora's OpenAPI document. As shipped they
validate nothing (their constructors skip pydantic) and keep unknown keys; here a body is walked
against a model's fields instead: an unknown field, a missing required field, a value of the wrong
type or outside its enum is refused. Where the SDK types a documented enum as a bare string
(`billingPeriod`, `termType`, …), `ENUMS` restores the enum the same SDK publishes.

`check(model_name, body)` raises `ZuoraError` with Zuora's categories (21 unknown field, 22 missing
field, 20 invalid value); the emulator runs it on every POST and PUT body, and tests run it on every
body the connector builds.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import sys
import types
import typing
from enum import Enum
from functools import cache

from pydantic import BaseModel, TypeAdapter, ValidationError

from sandbox.zuora import errors
from sandbox.zuora.errors import ZuoraError

# (model, field alias) -> the SDK enum Zuora documents for a field the SDK types as a string.
ENUMS = {
    ("ChargeOverrideBilling", "billingPeriod"): "BillingPeriod",
    ("ChargeOverrideBilling", "billCycleType"): "BillCycleType",
    ("InitialTerm", "termType"): "TermType",
    ("InitialTerm", "periodType"): "TermPeriodType",
    ("TriggerDate", "name"): "TriggerDateName",
    ("CreateOrderAction", "type"): "OrderActionType",
    ("CreateOrderRequest", "status"): "OrderStatus",
    ("UpdateOrderRequest", "status"): "OrderStatus",
}
# Models on which Zuora takes custom fields (`Name__c`) as top-level keys.
TOP_LEVEL_CUSTOM_FIELDS = {"CreateAccountRequest", "UpdateAccountRequest"}
CUSTOM_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*__c$")
# The SDK's own bookkeeping field, not part of any wire format.
SDK_FIELDS = {"additional_properties"}


def sdk_model(name: str) -> type[BaseModel]:
    """One SDK model by class name, importing only its module and the models it names."""
    _models_without_the_client()
    module = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return getattr(importlib.import_module(f"zuora_sdk.models.{module}"), name)


def _models_without_the_client() -> None:
    """`zuora_sdk/__init__.py` imports its HTTP client and all 1,700 models (seconds of CPU on
    the first request); the models only import each other, so the two packages are registered
    without running their `__init__`."""
    if "zuora_sdk.models" in sys.modules:
        return
    spec = importlib.util.find_spec("zuora_sdk")
    for name, path in (("zuora_sdk", spec.submodule_search_locations[0]),
                       ("zuora_sdk.models", os.path.join(spec.submodule_search_locations[0],
                                                         "models"))):
        package = types.ModuleType(name)
        package.__path__ = [path]
        sys.modules.setdefault(name, package)


def check(model_name: str, body, *, resource: int = errors.NO_PAYLOAD) -> None:
    _check_model(sdk_model(model_name), body, "", resource)


@cache
def _fields(model: type[BaseModel]) -> dict[str, tuple[str, object, bool]]:
    """alias -> (attribute name, annotation with its constraints, required). Pydantic moves a
    field's top-level constraints (`max_length`, `ge`, `strict`…) into `metadata`."""
    return {(info.alias or name): (name, typing.Annotated[(info.annotation, *info.metadata)]
                                   if info.metadata else info.annotation, info.is_required())
            for name, info in model.model_fields.items() if name not in SDK_FIELDS}


def _check_model(model: type[BaseModel], body, where: str, resource: int) -> None:
    if not isinstance(body, dict):
        raise errors.invalid(resource, f"'{where or 'body'}' must be an object")
    fields = _fields(model)
    for key, value in body.items():
        path = f"{where}.{key}" if where else key
        if key not in fields:
            if model.__name__ in TOP_LEVEL_CUSTOM_FIELDS and CUSTOM_FIELD.match(key):
                continue
            raise ZuoraError(resource, errors.UNKNOWN_FIELD, f"Unknown field '{path}'")
        name, annotation, required = fields[key]
        if value is None and required:
            raise errors.missing(resource, path)
        enum = ENUMS.get((model.__name__, key))
        if enum is not None and value is not None:
            annotation = sdk_model(enum)
        _check_value(annotation, value, path, resource)
        _run_field_validators(model, name, value, path, resource)
    for key, (_, _, required) in fields.items():
        if required and body.get(key) is None:
            raise errors.missing(resource, f"{where}.{key}" if where else key)


def _check_value(annotation, value, where: str, resource: int) -> None:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if value is None:
            return  # an optional field sent as null
        if len(options) == 1:
            return _check_value(options[0], value, where, resource)
    elif origin is typing.Annotated and inspect.isclass(args[0]) and (
            issubclass(args[0], (BaseModel, Enum))):
        return _check_value(args[0], value, where, resource)
    elif origin is list:
        if not isinstance(value, list):
            raise errors.invalid(resource, f"'{where}' must be an array")
        for n, item in enumerate(value):
            _check_value(args[0], item, f"{where}[{n}]", resource)
        return
    elif inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return _check_model(annotation, value, where, resource)
    elif inspect.isclass(annotation) and issubclass(annotation, Enum):
        allowed = [member.value for member in annotation]
        if value not in allowed:
            raise errors.invalid(resource, f"Invalid value for field {where}: {value!r}. "
                                           f"Allowed values: {', '.join(map(str, allowed))}")
        return
    try:
        _adapter(annotation).validate_python(value)
    except ValidationError as err:
        problem = err.errors()[0]["msg"]
        raise errors.invalid(resource, f"Invalid value for field {where}: {value!r} "
                                       f"({problem})") from None


def _adapter(annotation) -> TypeAdapter:
    try:
        return _adapters[annotation]
    except (KeyError, TypeError):
        adapter = TypeAdapter(annotation)
        try:
            _adapters[annotation] = adapter
        except TypeError:  # unhashable metadata: not cached
            pass
        return adapter


_adapters: dict = {}


def _run_field_validators(model, name: str, value, where: str, resource: int) -> None:
    """The SDK's own field validators (regular expressions on ids)."""
    if value is None:
        return
    for decorator in model.__pydantic_decorators__.field_validators.values():
        if name in decorator.info.fields:
            try:
                decorator.func.__func__(model, value)
            except ValueError as err:
                raise errors.invalid(resource, f"Invalid value for field {where}: {err}") from None
