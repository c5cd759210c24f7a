"""Names: botocore's and the SDK's spellings of shapes, members and operations, and how
generation fails."""

import json
import re
import sys


def fail(msg):
    sys.stderr.write("generate.py: " + msg + "\n")
    sys.exit(2)


def snake(name):
    """CamelCase -> snake_case the way smithy-rs / botocore's xform_name do for these names."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def rust_name(name):
    """smithy-rs type name: PascalCase of the snake_case name (CacheTTL -> CacheTtl)."""
    return "".join(p[:1].upper() + p[1:] for p in snake(name).split("_"))


def norm(name):
    return name.replace("_", "").replace("r#", "").lower()


RUST_KEYWORDS = {"type", "match", "ref", "self", "mod", "fn", "impl", "loop", "move", "use"}


def fn(n):
    return snake(n)


def rust_str(s):
    return json.dumps(s)


def xform_name(name):
    """botocore.xform_name for the operation names of this service."""
    return snake(name)
