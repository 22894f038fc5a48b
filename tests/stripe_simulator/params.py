"""Request parameter schemas and their validation.

Each endpoint declares the parameters Stripe accepts (see ``routes.py``).
Validation rejects what Stripe rejects -- unknown parameters
(``parameter_unknown`` with the bracketed ``param``), missing required ones,
malformed integers and booleans, values outside an enum -- and turns the
strings of the form encoding into ints, bools and lists.

Stripe's convention that an empty string unsets an optional value is kept: an
empty string becomes ``None`` (for metadata, ``{}`` clears every key and a key
with an empty value is removed, see ``merge_metadata``).
"""

import re

from . import errors


class Spec:
    required = False

    def __call__(self, value, name):  # pragma: no cover - interface
        raise NotImplementedError


class Str(Spec):
    def __init__(self, *enum, required=False, max_length=5000):
        self.enum = enum
        self.required = required
        self.max_length = max_length

    def __call__(self, value, name):
        if not isinstance(value, str):
            raise errors.invalid_request(f"Invalid string: {value!r}", param=name)
        if value == "" and not self.required:
            return None
        if self.enum and value not in self.enum:
            choices = ", ".join(self.enum[:-1])
            choices = f"{choices}, or {self.enum[-1]}" if choices else self.enum[-1]
            raise errors.invalid_request(f"Invalid {name}: must be one of {choices}", param=name)
        if len(value) > self.max_length:
            raise errors.invalid_request(
                f"Invalid string: {value[:20]}...; must be at most {self.max_length} characters",
                param=name,
            )
        return value


class Email(Str):
    """An email address: Stripe refuses a malformed one (``email_invalid``), such as a list of
    addresses or a name with the address."""

    _SHAPE = re.compile(r"^[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\"]+\.[^@\s,;<>()\[\]\".]+$")

    def __call__(self, value, name):
        value = super().__call__(value, name)
        if value is not None and not self._SHAPE.match(value):
            raise errors.invalid_request(
                f"Invalid email address: {value}", code="email_invalid", param=name
            )
        return value


class Int(Spec):
    def __init__(self, required=False, minimum=None, maximum=None):
        self.required = required
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, value, name):
        if isinstance(value, str) and value == "" and not self.required:
            return None
        try:
            number = int(value, 10) if isinstance(value, str) else None
        except ValueError:
            number = None
        if number is None:
            raise errors.invalid_request(
                f"Invalid integer: {value}", code="parameter_invalid_integer", param=name
            )
        if self.minimum is not None and number < self.minimum:
            raise errors.invalid_request(
                f"This value must be greater than or equal to {self.minimum}.",
                code="parameter_invalid_integer",
                param=name,
            )
        if self.maximum is not None and number > self.maximum:
            raise errors.invalid_request(
                f"This value must be less than or equal to {self.maximum}.",
                code="parameter_invalid_integer",
                param=name,
            )
        return number


class Bool(Spec):
    def __init__(self, required=False):
        self.required = required

    def __call__(self, value, name):
        if value in ("true", "false"):
            return value == "true"
        if value == "" and not self.required:
            return None
        raise errors.invalid_request(f"Invalid boolean: {value}", param=name)


class Obj(Spec):
    """A nested hash with a fixed set of keys."""

    def __init__(self, fields=None, required=False, **kwargs):
        self.fields = dict(fields or {}, **kwargs)
        self.required = required

    def __call__(self, value, name):
        if value == "" and not self.required:
            return None
        if not isinstance(value, dict):
            raise errors.invalid_request(f"Invalid hash: {name}", param=name)
        return validate(self.fields, value, prefix=name)


class ListOf(Spec):
    def __init__(self, item, required=False):
        self.item = item
        self.required = required

    def __call__(self, value, name):
        if value == "" and not self.required:
            return None
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            raise errors.invalid_request(f"Invalid array: {name}", param=name)
        return [self.item(v, f"{name}[{i}]") for i, v in enumerate(value)]


class Map(Spec):
    """Free string keys to string values: ``metadata``."""

    def __init__(self, max_keys=50, required=False):
        self.max_keys = max_keys
        self.required = required

    def __call__(self, value, name):
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise errors.invalid_request(f"Invalid hash: {name}", param=name)
        for key, item in value.items():
            if not isinstance(item, str):
                raise errors.invalid_request(f"Invalid string: {item!r}", param=f"{name}[{key}]")
            if len(key) > 40:
                raise errors.invalid_request(
                    f"Metadata keys can have up to 40 characters; {key!r} has {len(key)}.",
                    param=f"{name}[{key}]",
                )
            if len(item) > 500:
                raise errors.invalid_request(
                    "Metadata values can have up to 500 characters.", param=f"{name}[{key}]"
                )
        if len(value) > self.max_keys:
            raise errors.invalid_request(
                f"You can specify up to {self.max_keys} keys in {name}.", param=name
            )
        return dict(value)


class Anything(Spec):
    """Accepted as Stripe accepts it, but not simulated: kept as sent."""

    def __init__(self, required=False):
        self.required = required

    def __call__(self, value, name):
        return None if value == "" else value


class IntOrRange(Spec):
    """``created=123`` or ``created[gte]=123`` filters."""

    def __call__(self, value, name):
        if isinstance(value, dict):
            return validate({op: Int() for op in ("gt", "gte", "lt", "lte")}, value, prefix=name)
        return {"eq": Int()(value, name)}


def required(spec):
    spec.required = True
    return spec


def validate(fields, raw, prefix=None):
    """Check ``raw`` against ``fields``; return the coerced values."""

    def full(key):
        return f"{prefix}[{key}]" if prefix else key

    for key in raw:
        if key not in fields:
            raise errors.parameter_unknown(full(key))
    for key, spec in fields.items():
        if spec.required and key not in raw:
            raise errors.parameter_missing(full(key))
    result = {}
    for key, value in raw.items():
        if value == "" and fields[key].required:
            name = full(key)
            raise errors.invalid_request(
                f"You passed an empty string for '{name}'. We assume empty values "
                f"are an attempt to unset a parameter; however '{name}' cannot be "
                f"unset. You should remove '{name}' from your request or supply a "
                "non-empty value.",
                code="parameter_invalid_empty",
                param=name,
            )
        result[key] = fields[key](value, full(key))
    return result


def merge_metadata(current, update):
    """Apply a metadata update the way Stripe does (empty value deletes a key)."""
    if update is None:
        return dict(current)
    if update == {}:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# Shared fragments -------------------------------------------------------------

EXPAND = ListOf(Str())
LIST = {
    "limit": Int(minimum=1, maximum=100),
    "starting_after": Str(),
    "ending_before": Str(),
    "expand": EXPAND,
}
SEARCH = {
    "query": Str(required=True),
    "limit": Int(minimum=1, maximum=100),
    "page": Str(),
    "expand": EXPAND,
}
ADDRESS = Obj(city=Str(), country=Str(), line1=Str(), line2=Str(), postal_code=Str(), state=Str())
