#!/usr/bin/env python3
"""Generate the Python <-> AWS SDK for Rust converters for bedrock-runtime.

Inputs (both pinned):
  * codegen/bedrock-runtime-2023-09-30.service-2.json.gz -- botocore's service model (see README.md)
  * the aws-sdk-bedrockruntime sources of the version locked in Cargo.lock, read from the cargo
    registry (run `cargo fetch` first if they are missing); they are parsed to learn every Rust
    type, field, builder and enum, and generation fails if the SDK and the model disagree.

Outputs:
  * src/convert/generated.rs
  * src/ops/generated.rs -- the per-operation table: `json_operation!` registrations, `dispatch!`
  * python/bedrock_cris/_model.py
  * python/bedrock_cris/_operations.py and .pyi -- the facade's per-operation methods (blocking
    and asyncio), with docstrings from the model, and `client.exceptions`' classes
  * python/bedrock_cris/_modeled_errors.py -- the modelled exception classes

Usage: python3 codegen/generate.py [--check]
Stdlib only, Python 3.9+. The work is done by the package beside this script, one job a module
(``bedrock_codegen``: ``tables`` holds every hand-kept fact, ``sdk`` reads the SDK's sources,
``model`` binds the model to them, ``rust_*`` and ``python_*`` write the outputs,
``docstrings`` turns the model's documentation into the methods' docstrings).
"""

import gzip
import json
import os
import sys

sys.path.insert(
    0, os.path.dirname(os.path.abspath(__file__))
)  # run as a script: find the package beside it

from bedrock_codegen.model import Model
from bedrock_codegen.names import fail, rust_name, snake
from bedrock_codegen.python_model import emit_py
from bedrock_codegen.python_operations import (
    emit_errors_py,
    emit_operations_py,
    emit_operations_pyi,
)
from bedrock_codegen.rust_converters import Emitter, rustfmt
from bedrock_codegen.rust_operations import check_hand_written, emit_ops_rs
from bedrock_codegen.sdk import locked_sdk_version, parse_sdk, sdk_dir
from bedrock_codegen.tables import MODEL_PATH, PAGINATORS_PATH, ROOT, SDK_EXTRA, SDK_ONLY_OPERATIONS

OUT_RS = os.path.join(ROOT, "src", "convert", "generated.rs")
OUT_PY = os.path.join(ROOT, "python", "bedrock_cris", "_model.py")
OUT_OPS_RS = os.path.join(ROOT, "src", "ops", "generated.rs")
OUT_OPS_PY = os.path.join(ROOT, "python", "bedrock_cris", "_operations.py")
OUT_OPS_PYI = os.path.join(ROOT, "python", "bedrock_cris", "_operations.pyi")
OUT_ERRORS_PY = os.path.join(ROOT, "python", "bedrock_cris", "_modeled_errors.py")
OUT_MODEL_JSON = os.path.join(ROOT, "python", "bedrock_cris", "_service_model.json")


def check_operations(data, root):
    """Every SDK operation must be in the model, unless listed in SDK_ONLY_OPERATIONS (and a listed
    one must still be missing from the model). Model operations without an SDK counterpart fail
    later, in Model._bind (no SDK input/output struct)."""
    op_dir = os.path.join(root, "src", "operation")
    sdk_ops = {d for d in os.listdir(op_dir) if os.path.isdir(os.path.join(op_dir, d))}
    model_ops = {snake(op) for op in data["operations"]}
    problems = [
        f"SDK operation {d} is not in the model"
        for d in sorted(sdk_ops - model_ops)
        if rust_name(d) not in SDK_ONLY_OPERATIONS
    ]
    problems += [
        f"SDK_ONLY_OPERATIONS entry {op} is no longer needed (in the model, or not in the SDK)"
        for op in sorted(SDK_ONLY_OPERATIONS)
        if snake(op) in model_ops or snake(op) not in sdk_ops
    ]
    if problems:
        fail("model and SDK operations diverge:\n  " + "\n  ".join(problems))


def emit_model_json(data):
    """The model as the package ships it for ``client.meta.service_model``: the pinned
    botocore model without its documentation (which nothing at run time reads)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "documentation"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(data), separators=(",", ":"), ensure_ascii=False) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    with gzip.open(MODEL_PATH) as f:
        data = json.load(f)
    version = locked_sdk_version()
    root = sdk_dir(version)
    sdk = parse_sdk(root)
    check_operations(data, root)
    model = Model(data, sdk)
    stale = [k for k in SDK_EXTRA if k[1] not in model.sdk_extra.get(k[0], [])]
    if stale:
        fail(f"SDK_EXTRA entries no longer needed: {stale}")
    rs = rustfmt(Emitter(model, version).emit())
    with open(PAGINATORS_PATH) as f:
        paginators = json.load(f)["pagination"]
    py = emit_py(model, paginators)
    check_hand_written(model)
    outputs = {
        OUT_RS: rs,
        OUT_PY: py,
        OUT_OPS_RS: rustfmt(emit_ops_rs(model)),
        OUT_OPS_PY: emit_operations_py(model),
        OUT_OPS_PYI: emit_operations_pyi(model),
        OUT_ERRORS_PY: emit_errors_py(model),
        OUT_MODEL_JSON: emit_model_json(data),
    }
    changed = []
    for path, text in outputs.items():
        try:
            with open(path) as f:
                old = f.read()
        except FileNotFoundError:
            old = None
        if old != text:
            changed.append(os.path.relpath(path, ROOT))
            if not check:
                with open(path, "w") as f:
                    f.write(text)
    if check:
        if changed:
            sys.stderr.write("generate.py --check: out of date: {}\n".format(", ".join(changed)))
            sys.exit(1)
        print("generated files are up to date")
    else:
        print("wrote %s" % (", ".join(changed) if changed else "nothing (up to date)"))


if __name__ == "__main__":
    main()
