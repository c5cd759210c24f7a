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
Stdlib only, Python 3.9+.
"""

import glob
import gzip
import html.parser
import json
import keyword
import os
import re
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL_PATH = os.path.join(HERE, "bedrock-runtime-2023-09-30.service-2.json.gz")
PAGINATORS_PATH = os.path.join(HERE, "bedrock-runtime-2023-09-30.paginators-1.json")
BOTOCORE_VERSION = "1.44.8"
SDK_CRATE = "aws-sdk-bedrockruntime"
OUT_RS = os.path.join(ROOT, "src", "convert", "generated.rs")
OUT_PY = os.path.join(ROOT, "python", "bedrock_cris", "_model.py")
OUT_OPS_RS = os.path.join(ROOT, "src", "ops", "generated.rs")
OUT_OPS_PY = os.path.join(ROOT, "python", "bedrock_cris", "_operations.py")
OUT_OPS_PYI = os.path.join(ROOT, "python", "bedrock_cris", "_operations.pyi")
OUT_ERRORS_PY = os.path.join(ROOT, "python", "bedrock_cris", "_modeled_errors.py")

# ---------------------------------------------------------------------------------------------
# Known divergences between the botocore model and the Rust SDK. Anything not listed here that
# differs makes generation fail, so an SDK or model bump cannot silently drop a member.
# ---------------------------------------------------------------------------------------------
# (shape, member): why the member has no counterpart in the SDK type.
MEMBER_OVERRIDES = {
    # Event-stream unions: smithy-rs models the exception events as the stream's error type
    # (e.g. ConverseStreamOutputError), not as variants. The caller maps them to exceptions.
    **{
        (es, m): "exception event: surfaced as the SDK stream error"
        for es, ms in {
            "ConverseStreamOutput": [
                "internalServerException",
                "modelStreamErrorException",
                "validationException",
                "throttlingException",
                "serviceUnavailableException",
            ],
            "ResponseStream": [
                "internalServerException",
                "modelStreamErrorException",
                "validationException",
                "throttlingException",
                "modelTimeoutException",
                "serviceUnavailableException",
            ],
            "InvokeModelWithBidirectionalStreamOutput": [
                "internalServerException",
                "modelStreamErrorException",
                "validationException",
                "throttlingException",
                "modelTimeoutException",
                "serviceUnavailableException",
            ],
        }.items()
        for m in ms
    },
}
# (shape, SDK field/variant): SDK members newer than the botocore model. Never set on input; on
# output a union variant of this kind is reported like botocore reports an unknown member.
# Empty: the model has every SDK member. Stale entries make generation fail.
SDK_EXTRA = {}
# (request shape, member): model members newer than the SDK. They are validated like any other
# member and put on the wire where the model says (header, query string or JSON body member) by
# `crate::bridge`'s interceptor before signing. Only scalar members of request shapes can be
# bridged. An entry the SDK has caught up with makes generation fail: delete it then.
BRIDGED_MEMBERS = {
    (shape, "projectIdentifier"): "botocore 1.44.8; not yet in aws-sdk-bedrockruntime 1.153.0"
    for shape in (
        "ConverseRequest",
        "ConverseStreamRequest",
        "InvokeModelRequest",
        "InvokeModelWithResponseStreamRequest",
    )
}
BRIDGEABLE_KINDS = ("string", "integer", "long", "boolean")
# SDK operations the botocore model does not have (ignored, listed for the record). Empty: an SDK
# operation missing from the model, or a listed one present in it, makes generation fail.
SDK_ONLY_OPERATIONS = set()

# ---------------------------------------------------------------------------------------------
# The facade's per-operation facts that are not in the model. Everything else about an operation
# (its Rust table entry, its blocking and asyncio methods, their docstrings and signatures, its
# errors) is generated from the model, so an operation the model and the SDK both have needs no
# hand edit outside these tables.
# ---------------------------------------------------------------------------------------------
# OperationName -> its `crate::ops::Operation` written by hand (module::Type under src/ops/): the
# operations whose request or answer streams, or whose answer's payload is a blob. Every other
# operation's answer is one JSON document, and `json_operation!` (src/ops/json.rs) implements it
# from the generated converters. A streaming operation not listed, a listed one the model lacks
# and a type src/ops/ does not define make generation fail.
HAND_WRITTEN_OPERATIONS = {
    "ConverseStream": "streaming::ConverseStream",
    "InvokeModel": "invoke::InvokeModel",
    "InvokeModelWithBidirectionalStream": "bidirectional::InvokeModelWithBidirectionalStream",
    "InvokeModelWithResponseStream": "streaming::InvokeModelWithResponseStream",
}
# OperationName -> (blocking, asyncio): what the facade's method docstring says beyond the model's
# documentation (what the result streams and how to read it). A stale entry fails generation.
FACADE_NOTES = {
    "ConverseStream": (
        'Iterate ``response["stream"]`` for the answer\'s events, one dict at a time, as they'
        " arrive (``{'contentBlockDelta': {'delta': {'text': ...}, 'contentBlockIndex': 0}}``).",
        'Iterate ``response["stream"]`` with ``async for`` for the answer\'s events, one dict at'
        " a time, as they arrive.",
    ),
    "InvokeModel": (
        '``response["body"]`` is a ``StreamingBody``: ``read()``, ``read(n)``, ``iter_chunks()``,'
        " ``iter_lines()``, ``close()``, ``with``.",
        '``response["body"]`` is a ``StreamingBody``: ``read()``, ``read(n)``, ``iter_chunks()``,'
        " ``iter_lines()``, ``close()``, ``with``.",
    ),
    "InvokeModelWithBidirectionalStream": (
        "Duplex stream (boto3 cannot do it): ``body`` is an :class:`InputStream` to ``send()``"
        " into, or an iterable of input events (``{'chunk': {'bytes': b'...'}}``); iterate"
        ' ``response["body"]`` for the output events as they arrive.',
        "Awaitable duplex stream: ``await body.send_async(event)`` on the :class:`InputStream`,"
        ' ``async for`` over ``response["body"]``.',
    ),
    "InvokeModelWithResponseStream": (
        'Like ``invoke_model``; iterating ``response["body"]`` yields'
        " ``{'chunk': {'bytes': ...}}`` events as they arrive.",
        'Like ``invoke_model``; ``async for`` over ``response["body"]`` yields'
        " ``{'chunk': {'bytes': ...}}`` events as they arrive.",
    ),
}
# How deep the request syntax in a method's docstring shows nested structures (boto3's docs show
# every level; deeper ones are ``{...}`` here).
DOC_SYNTAX_DEPTH = 3


def fail(msg):
    sys.stderr.write("generate.py: " + msg + "\n")
    sys.exit(2)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# SDK source parsing
# ---------------------------------------------------------------------------------------------
def locked_sdk_version():
    with open(os.path.join(ROOT, "Cargo.lock")) as f:
        lock = f.read()
    m = re.search(rf'name = "{re.escape(SDK_CRATE)}"\nversion = "([^"]+)"', lock)
    if not m:
        fail(f"{SDK_CRATE} not found in Cargo.lock")
    return m.group(1)


def sdk_dir(version):
    home = os.environ.get("CARGO_HOME") or os.path.expanduser("~/.cargo")
    hits = glob.glob(os.path.join(home, "registry", "src", "*", f"{SDK_CRATE}-{version}"))
    if not hits:
        try:
            out = subprocess.run(
                ["cargo", "metadata", "--format-version", "1", "--locked"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for pkg in json.loads(out)["packages"]:
                if pkg["name"] == SDK_CRATE and pkg["version"] == version:
                    hits = [os.path.dirname(pkg["manifest_path"])]
        except (OSError, subprocess.CalledProcessError):
            pass
    if not hits:
        fail(f"sources of {SDK_CRATE} {version} not found; run `cargo fetch`")
    return hits[0]


class RustItem:
    def __init__(self, kind, name, path, body, file_text):
        self.kind = kind  # "struct" | "enum"
        self.name = name
        self.path = path  # e.g. crate::types::Message
        self.fields = []  # struct: [(field_name, type_string)]; enum: [(variant, payload or None)]
        self.file_text = file_text
        for piece in split_top(body):
            if kind == "struct":
                fm = re.match(r"pub ([a-z_#0-9]+):(.+)$", piece)
                if fm:
                    self.fields.append((fm.group(1), canon(fm.group(2))))
            else:
                vm = re.match(r"([A-Z][A-Za-z0-9]*)(?:\((.+)\))?$", piece)
                if vm:
                    self.fields.append((vm.group(1), canon(vm.group(2)) if vm.group(2) else None))

    def build_fallible(self):
        m = re.search(
            r"pub fn build\(\s*self,?\s*\)\s*->\s*(::std::result::Result<)?", self.file_text
        )
        if not m:
            fail(f"no build() for {self.path}")
        return bool(m.group(1))


def split_top(body):
    """Split a struct/enum body into its fields/variants (comments and attributes removed)."""
    lines = [ln for ln in body.split("\n") if not ln.strip().startswith(("//", "#["))]
    text = " ".join(ln.strip() for ln in lines)
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def canon(t):
    t = re.sub(r"\s+", "", t)
    for p in (
        "::std::option::",
        "::std::vec::",
        "::std::string::",
        "::std::collections::",
        "::aws_smithy_types::",
        "crate::types::error::",
        "crate::types::",
        "crate::primitives::",
    ):
        t = t.replace(p, "")
    return t


def parse_sdk(root):
    items = {}
    files = glob.glob(os.path.join(root, "src", "types", "_*.rs"))
    files += glob.glob(os.path.join(root, "src", "types", "error", "_*.rs"))
    files += glob.glob(os.path.join(root, "src", "operation", "*", "_*.rs"))
    for fn in files:
        with open(fn) as f:
            text = f.read()
        rel = os.path.relpath(fn, os.path.join(root, "src"))
        parts = rel.split(os.sep)
        if parts[0] == "types" and parts[1] == "error":
            mod = "crate::types::error"
        elif parts[0] == "types":
            mod = "crate::types"
        else:
            mod = "crate::operation::" + parts[1]
        for m in re.finditer(
            r"^pub (struct|enum) ([A-Za-z0-9]+) \{(\}|\n(.*?)^\})", text, re.MULTILINE | re.DOTALL
        ):
            kind, name, body = m.group(1), m.group(2), m.group(4) or ""
            items[mod + "::" + name] = RustItem(kind, name, mod + "::" + name, body, text)
    return items


# ---------------------------------------------------------------------------------------------
# Model analysis
# ---------------------------------------------------------------------------------------------
class Model:
    def __init__(self, data, sdk):
        self.data = data
        self.shapes = data["shapes"]
        self.ops = data["operations"]
        self.sdk = sdk
        self.op_of_input = {}
        self.op_of_output = {}
        for op, od in self.ops.items():
            if "input" in od:
                self.op_of_input[od["input"]["shape"]] = op
            if "output" in od:
                self.op_of_output[od["output"]["shape"]] = op
        self.errors = sorted(n for n, s in self.shapes.items() if s.get("exception"))
        self.reachable = self._reachable()
        self.rust = {}  # shape -> RustItem for struct-like shapes
        self.fields = {}  # shape -> [(member, field, optional)] for converted members
        self.skipped = {}  # shape -> {member: reason}
        self.sdk_extra = {}  # shape -> [SDK fields/variants not in the model]
        self.bridged = {}  # request shape -> [members the SDK lacks, put on the wire by crate::bridge]
        self._bind()

    def _reachable(self):
        seen = []
        stack = []
        for od in self.ops.values():
            for k in ("input", "output"):
                if k in od:
                    stack.append(od[k]["shape"])
            for e in od.get("errors", []):
                stack.append(e["shape"])
        seen_set = set()
        while stack:
            n = stack.pop()
            if n in seen_set:
                continue
            seen_set.add(n)
            seen.append(n)
            s = self.shapes[n]
            if s["type"] == "structure":
                for m in s["members"].values():
                    stack.append(m["shape"])
            elif s["type"] == "list":
                stack.append(s["member"]["shape"])
            elif s["type"] == "map":
                stack.append(s["key"]["shape"])
                stack.append(s["value"]["shape"])
        return sorted(seen)

    def _bridge_problem(self, n, mname, in_sdk):
        """Why (n, mname) cannot be bridged, or None."""
        if in_sdk:
            return f"{n}.{mname}: the SDK has this member now; delete its BRIDGED_MEMBERS entry"
        member = self.shapes[n]["members"][mname]
        if self.kind(n) != "request":
            return f"{n}.{mname}: only request members can be bridged"
        if self.kind(member["shape"]) not in BRIDGEABLE_KINDS:
            return (
                f"{n}.{mname}: only scalar members ({', '.join(BRIDGEABLE_KINDS)}) can be bridged"
            )
        if member.get("location") not in (None, "header", "querystring"):
            return f"{n}.{mname}: location {member['location']} cannot be bridged"
        if member.get("location") is None and self.shapes[n].get("payload"):
            return f"{n}.{mname}: a body member of a request whose payload is a blob"
        return None

    # kinds -----------------------------------------------------------------
    def kind(self, n):
        s = self.shapes[n]
        t = s["type"]
        if t == "structure":
            if s.get("document"):
                return "document"
            if s.get("eventstream"):
                return "eventstream"
            if s.get("union"):
                return "union"
            if s.get("exception"):
                return "error"
            if n in self.op_of_input:
                return "request"
            if n in self.op_of_output:
                return "response"
            return "struct"
        if t == "string":
            return "enum" if "enum" in s else "string"
        return t

    def rust_path(self, n):
        k = self.kind(n)
        if k == "request":
            op = self.op_of_input[n]
            return f"crate::operation::{snake(op)}::{op}Input"
        if k == "response":
            op = self.op_of_output[n]
            return f"crate::operation::{snake(op)}::{op}Output"
        if k == "error":
            return "crate::types::error::" + rust_name(n)
        return "crate::types::" + rust_name(n)

    def rty(self, n):
        """Canonical Rust type (as canon() prints SDK types) for a value of shape n."""
        k = self.kind(n)
        s = self.shapes[n]
        simple = {
            "string": "String",
            "integer": "i32",
            "long": "i64",
            "float": "f32",
            "double": "f64",
            "boolean": "bool",
            "blob": "Blob",
            "timestamp": "DateTime",
            "document": "Document",
        }
        if k in simple:
            return simple[k]
        if k == "list":
            return "Vec<{}>".format(self.rty(s["member"]["shape"]))
        if k == "map":
            return "HashMap<String,{}>".format(self.rty(s["value"]["shape"]))
        return rust_name(n)

    def via_builder(self, n):
        """Request/response shapes with an event-stream member cannot be built without the
        stream; the round-trip hook works on their builders instead."""
        return self.kind(n) in ("request", "response") and any(
            self.kind(m["shape"]) == "eventstream" for m in self.shapes[n]["members"].values()
        )

    def builder_path(self, n):
        path = self.rust_path(n)
        mod, name = path.rsplit("::", 1)
        return f"{mod}::builders::{name}Builder"

    def full_rty(self, n):
        """Rust type as written in generated code."""
        k = self.kind(n)
        s = self.shapes[n]
        simple = {
            "string": "String",
            "integer": "i32",
            "long": "i64",
            "float": "f32",
            "double": "f64",
            "boolean": "bool",
            "blob": "Blob",
            "timestamp": "DateTime",
            "document": "Document",
        }
        if k in simple:
            return simple[k]
        if self.via_builder(n):
            return self.builder_path(n).replace("crate::", "sdk::")
        if k == "list":
            return "Vec<{}>".format(self.full_rty(s["member"]["shape"]))
        if k == "map":
            return "HashMap<String, {}>".format(self.full_rty(s["value"]["shape"]))
        return self.rust_path(n).replace("crate::", "sdk::")

    def _bind(self):
        problems = []
        for n in self.reachable:
            k = self.kind(n)
            s = self.shapes[n]
            if k == "enum":
                item = self.sdk.get(self.rust_path(n))
                if item is None or item.kind != "enum":
                    problems.append(f"enum {n}: no SDK enum {self.rust_path(n)}")
                continue
            if k not in ("struct", "union", "eventstream", "error", "request", "response"):
                continue
            path = self.rust_path(n)
            item = self.sdk.get(path)
            want = "enum" if k in ("union", "eventstream") else "struct"
            if item is None or item.kind != want:
                problems.append(f"{k} {n}: no SDK {want} {path}")
                continue
            self.rust[n] = item
            sdk_fields = {norm(f): (f, t) for f, t in item.fields}
            used = set()
            out = []
            skipped = {}
            for mname, m in s["members"].items():
                key = norm(mname)
                if self.kind(m["shape"]) == "eventstream":
                    skipped[mname] = "event stream: handled by the caller"
                    continue
                if (n, mname) in MEMBER_OVERRIDES:
                    skipped[mname] = MEMBER_OVERRIDES[(n, mname)]
                    if key in sdk_fields:
                        problems.append(f"{n}.{mname}: listed as override but present in SDK")
                    continue
                if (n, mname) in BRIDGED_MEMBERS:
                    problem = self._bridge_problem(n, mname, key in sdk_fields)
                    if problem:
                        problems.append(problem)
                    else:
                        self.bridged.setdefault(n, []).append(mname)
                    continue
                if key not in sdk_fields:
                    problems.append(f"{n}.{mname}: member missing in SDK {path}")
                    continue
                used.add(key)
                fname, ftype = sdk_fields[key]
                target = m["shape"]
                expect = self.rty(target)
                if want == "enum":
                    if ftype != expect:
                        problems.append(
                            f"{n}.{mname}: SDK variant type {ftype}, model wants {expect}"
                        )
                    out.append((mname, fname, False))
                    continue
                optional = ftype.startswith("Option<")
                inner = ftype[len("Option<") : -1] if optional else ftype
                if inner != expect:
                    problems.append(f"{n}.{mname}: SDK field type {ftype}, model wants {expect}")
                    continue
                out.append((mname, fname, optional))
            for key, (f, _t) in sdk_fields.items():
                if key not in used and not any(norm(x) == key for x in skipped):
                    if key == "unknown" or (n, f) in SDK_EXTRA:
                        self.sdk_extra.setdefault(n, []).append(f)
                        continue
                    problems.append(f"{n}: SDK {path} has {f} not in the model")
            self.fields[n] = out
            self.skipped[n] = skipped
        if problems:
            fail("model and SDK diverge:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------------------------
# Rust emission
# ---------------------------------------------------------------------------------------------
def fn(n):
    return snake(n)


def rust_str(s):
    return json.dumps(s)


class Emitter:
    def __init__(self, model, sdk_version):
        self.m = model
        self.sdk_version = sdk_version
        self.out = []

    def w(self, text=""):
        self.out.append(text)

    # -- helpers -----------------------------------------------------------------------------
    def min_of(self, n):
        s = self.m.shapes[n]
        return s.get("min")

    def in_call(self, n, v, p):
        """Expression converting Python `v` at path `p` into shape n (PyResult<Option<T>>)."""
        return f"i_{fn(n)}({v}, {p}, e)"

    def out_call(self, n, v, raw):
        return f"o_{fn(n)}(py, {v}, {raw})"

    # -- per shape ---------------------------------------------------------------------------
    def shape_fns(self, n):
        k = self.m.kind(n)
        s = self.m.shapes[n]
        T = self.m.full_rty(n)
        sig_in = (
            f"pub(crate) fn i_{fn(n)}(v: &Bound<'_, PyAny>, p: &Path<'_>, e: &mut ParamErrors) "
            f"-> PyResult<Option<{T}>> {{"
        )
        sig_out = (
            f"pub(crate) fn o_{fn(n)}<'py>(py: Python<'py>, v: {T}, raw: Option<&Value>) "
            "-> PyResult<Bound<'py, PyAny>> {"
        )
        mn = self.min_of(n)
        if k in (
            "string",
            "enum",
            "integer",
            "long",
            "float",
            "double",
            "boolean",
            "blob",
            "timestamp",
            "document",
        ):
            ins = {
                "string": f"in_string(v, p, e, {opt_usize(mn)})",
                "enum": f"in_enum(v, p, e, {opt_usize(mn)})",
                "integer": f"in_i32(v, p, e, {opt_i64(mn)})",
                "long": f"in_i64(v, p, e, {opt_i64(mn)})",
                "float": f"in_f32(v, p, e, {opt_f64(mn)})",
                "double": f"in_f64(v, p, e, {opt_f64(mn)})",
                "boolean": "in_bool(v, p, e)",
                "blob": "in_blob(v, p, e)",
                "timestamp": "in_timestamp(v, p, e)",
                "document": "in_document(v, p, e)",
            }[k]
            outs = {
                "string": "Ok(out_str(py, &v))",
                "enum": "Ok(out_str(py, v.as_str()))",
                "integer": "out_int(py, i64::from(v))",
                "long": "out_int(py, v)",
                "float": "out_f32(py, v, raw)",
                "double": "out_f64(py, v, raw)",
                "boolean": "Ok(out_bool(py, v))",
                "blob": "Ok(out_blob(py, v))",
                "timestamp": "out_timestamp(py, v)",
                "document": "out_document(py, v, raw)",
            }[k]
            self.w(sig_in)
            self.w("    " + ins)
            self.w("}")
            self.w(sig_out)
            self.w("    " + outs)
            self.w("}")
            return
        if k == "list":
            mem = s["member"]["shape"]
            self.w(sig_in)
            self.w(f"    in_list(v, p, e, {opt_usize(mn)}, i_{fn(mem)})")
            self.w("}")
            self.w(sig_out)
            self.w(f"    out_list(py, v, raw, o_{fn(mem)})")
            self.w("}")
            return
        if k == "map":
            val = s["value"]["shape"]
            self.w(sig_in)
            self.w(
                "    in_map(v, p, e, {}, {}, i_{})".format(
                    opt_usize(mn), opt_usize(self.min_of(s["key"]["shape"])), fn(val)
                )
            )
            self.w("}")
            self.w(sig_out)
            self.w(f"    out_map(py, v, raw, o_{fn(val)})")
            self.w("}")
            return
        if k in ("union", "eventstream"):
            self.union_fns(n, sig_in, sig_out, T)
            return
        self.struct_in(n, sig_in, None)
        self.struct_out(n, sig_out)

    def members(self, n):
        return list(self.m.shapes[n]["members"])

    def dispatch_members(self, n, body_for, extra=()):
        """for (k, val) in d.iter() { match key { "m" => ..., } } in dict order.
        `extra`: (member, body) arms for members that are not SDK fields (bridged)."""
        fields = self.m.fields[n]
        if not fields and not extra:
            return
        self.w("    for (k, v) in d.iter() {")
        self.w("        let Some(k) = key_str(&k)? else { continue };")
        self.w("        match &*k {")
        for mname, fname, _opt in fields:
            pat, body = body_for(mname, fname)
            self.w(f"            {rust_str(mname)}{pat} => {body},")
        for mname, body in extra:
            self.w(f"            {rust_str(mname)} => {body},")
        self.w("            _ => {}")
        self.w("        }")
        self.w("    }")

    def validate_head(self, n, union):
        s = self.m.shapes[n]
        names = self.members(n)
        member_list = rust_str(", ".join(names))
        converted = [mn for mn, _f, _o in self.m.fields[n]]
        self.w("    let Some(d) = as_dict(v, p, e)? else { return Ok(None) };")
        self.w("    let n0 = e.len();")
        if union:
            self.w(f"    check_union(d, p, e, {member_list});")
        req = s.get("required", [])
        if req:
            self.w(
                "    check_required(d, p, e, &[{}])?;".format(", ".join(rust_str(r) for r in req))
            )
        # Members handled by the caller (event streams) are known names but not converted.
        known = names if not union else converted
        self.w(
            "    check_unknown(d, p, e, &[{}], {})?;".format(
                ", ".join(rust_str(x) for x in known), member_list
            )
        )
        return converted

    def struct_in(self, n, sig, fluent):
        """Structure input. fluent: None -> build the SDK struct; else the fluent builder type."""
        k = self.m.kind(n)
        fields = self.m.fields[n]
        self.w(sig)
        self.validate_head(n, False)
        for _mname, fname, _o in fields:
            self.w("    let mut f_{} = None;".format(fname.replace("r#", "")))

        def body(mname, fname):
            target = self.m.shapes[n]["members"][mname]["shape"]
            var = "f_" + fname.replace("r#", "")
            conv = self.in_call(target, "&v", f"&p.field({rust_str(mname)})")
            if k == "request" and self.m.kind(target) == "document":
                # botocore drops top-level None parameters before serialising.
                return " if !v.is_none()", f"{var} = {conv}?"
            return "", f"{var} = {conv}?"

        bridged = self.m.bridged.get(n, [])
        for mname in bridged:
            self.w(f"    let mut g_{snake(mname)} = None;")
        extra = [
            (
                mname,
                "g_{} = {}?".format(
                    snake(mname),
                    self.in_call(
                        self.m.shapes[n]["members"][mname]["shape"],
                        "&v",
                        f"&p.field({rust_str(mname)})",
                    ),
                ),
            )
            for mname in bridged
        ]
        self.dispatch_members(n, body, extra)
        self.w("    if e.len() != n0 {")
        self.w("        return Ok(None);")
        self.w("    }")
        setters = "".join(
            ".set_{}(f_{})".format(fname.replace("r#", ""), fname.replace("r#", ""))
            for _m, fname, _o in fields
        )
        if fluent:
            self.bridge_values(n, bridged)
            self.w(f"    Ok(Some((b{setters}, bridged)))")
            self.w("}")
            return
        for mname in bridged:
            # Validated only: the SDK type has no field to hold it (bridged when sent).
            self.w(f"    let _validated = g_{snake(mname)};")
        path = self.m.rust_path(n).replace("crate::", "sdk::")
        if self.m.via_builder(n):
            self.w(f"    Ok(Some({path}::builder(){setters}))")
        elif self.m.rust[n].build_fallible():
            self.w(f"    Ok(built({path}::builder(){setters}.build(), p, e))")
        else:
            self.w(f"    Ok(Some({path}::builder(){setters}.build()))")
        self.w("}")

    def bridge_values(self, n, bridged):
        """`let bridged = Bridged` holding the bridged members' values and where they go."""
        if not bridged:
            self.w("    let bridged = crate::bridge::Bridged::default();")
            return
        self.w("    let mut bridged = crate::bridge::Bridged::default();")
        for mname in bridged:
            member = self.m.shapes[n]["members"][mname]
            value = {
                "string": "Value::String(x)",
                "integer": "Value::from(x)",
                "long": "Value::from(x)",
                "boolean": "Value::Bool(x)",
            }[self.m.kind(member["shape"])]
            where = member.get("locationName", mname)
            place = {None: "Body", "header": "Header", "querystring": "Query"}[
                member.get("location")
            ]
            self.w(f"    if let Some(x) = g_{snake(mname)} {{")
            self.w(
                f"        bridged.push(crate::bridge::Placement::{place}({rust_str(where)}), "
                f"{value}, &p.field({rust_str(mname)}), e);"
            )
            self.w("    }")
        self.w("    if e.len() != n0 {")
        self.w("        return Ok(None);")
        self.w("    }")

    def ordered_members(self, n):
        """botocore's output order: header-bound members first (model order), then the rest."""
        s = self.m.shapes[n]
        fields = self.m.fields[n]
        if self.m.kind(n) != "response":
            return fields
        hdr = [f for f in fields if s["members"][f[0]].get("location") == "header"]
        rest = [f for f in fields if s["members"][f[0]].get("location") != "header"]
        return hdr + rest

    def struct_out_body(self, n, into, skip_payload_var, getters=False, keep=()):
        """Emit the members of `n` into `into`; fields named in `keep` are bound, not emitted."""
        s = self.m.shapes[n]
        fields = self.m.fields[n]
        path = self.m.rust_path(n).replace("crate::", "sdk::")
        bound = [f for _m, f, _o in fields] + list(keep)
        if getters:
            for _m, f, _o in fields:
                self.w("    let {} = v.get_{}().clone();".format(f, f.replace("r#", "")))
        elif bound:
            self.w("    let {} {{ {}, .. }} = v;".format(path, ", ".join(bound)))
        else:
            self.w("    let _ = v;")
        payload = s.get("payload")
        for mname, fname, opt in self.ordered_members(n):
            opt = opt or getters
            mem = s["members"][mname]
            target = mem["shape"]
            is_header = mem.get("location") is not None
            raw = "None" if is_header else f"raw_get(raw, {rust_str(mname)})"
            key = f"pyo3::intern!(py, {rust_str(mname)})"
            guard = ""
            if skip_payload_var and mname == payload:
                guard = f"!{skip_payload_var} && "
            if mname == payload:
                is_header = True  # a blob payload is the whole body, not a JSON member
                raw = "None"
            closes = 1
            if opt:
                head = f"if let Some(x) = {fname} {{"
                if not is_header:
                    # The SDK fills required members the service left out: trust the raw body.
                    head = f"if let Some(x) = {fname}.filter(|_| raw_present(raw, {rust_str(mname)})) {{"
                if not is_header and self.m.kind(target) == "document":
                    # botocore drops a member sent as null; without the raw body (stream
                    # events) only the SDK's Document::Null tells.
                    head = head.replace(".filter(", ".filter(|x| !x.is_null()).filter(", 1)
                if guard:
                    head = f"if !{skip_payload_var} {{\n    {head}"
                    closes = 2
            else:
                conds = []
                if guard:
                    conds.append("!" + skip_payload_var)
                if not is_header:
                    conds.append(f"raw_present(raw, {rust_str(mname)})")
                head = ("if {} {{".format(" && ".join(conds))) if conds else "{"
                head += f"\n        let x = {fname};"
            self.w("    " + head)
            self.w(
                "        {}.set_item({}, {}?)?;".format(into, key, self.out_call(target, "x", raw))
            )
            for _ in range(closes):
                self.w("    }")

    def struct_out(self, n, sig):
        self.w(sig)
        self.w("    let d = PyDict::new(py);")
        self.struct_out_body(n, "d", None, getters=self.m.via_builder(n))
        self.w("    Ok(d.into_any())")
        self.w("}")

    def union_fns(self, n, sig_in, sig_out, T):
        fields = self.m.fields[n]
        s = self.m.shapes[n]
        self.w(sig_in)
        self.validate_head(n, True)
        self.w("    let mut out = None;")
        rpath = T

        def body(mname, fname):
            target = s["members"][mname]["shape"]
            conv = self.in_call(target, "&v", f"&p.field({rust_str(mname)})")
            return "", f"out = {conv}?.map({rpath}::{fname})"

        self.dispatch_members(n, body)
        self.w("    if e.len() != n0 {")
        self.w("        return Ok(None);")
        self.w("    }")
        self.w("    Ok(out)")
        self.w("}")
        # output
        self.w(sig_out)
        self.w("    let d = PyDict::new(py);")
        self.w("    match v {")
        for mname, fname, _o in fields:
            target = s["members"][mname]["shape"]
            self.w(f"        {rpath}::{fname}(x) => {{")
            self.w(
                "            d.set_item(pyo3::intern!(py, {}), {}?)?;".format(
                    rust_str(mname),
                    self.out_call(target, "x", f"raw_get(raw, {rust_str(mname)})"),
                )
            )
            self.w("        }")
        extra = [v for v in self.m.sdk_extra.get(n, []) if v != "Unknown"]
        if self.m.kind(n) == "eventstream":
            self.w("        // botocore yields {} for an event type it does not know.")
            self.w("        _ => {}")
        else:
            for v in extra:
                self.w(f"        {rpath}::{v}(_) => {{")
                self.w(
                    f"            return out_unknown_member(py, raw, {rust_str(v[:1].lower() + v[1:])});"
                )
                self.w("        }")
            self.w('        _ => return out_unknown_member(py, raw, "Unknown"),')
        self.w("    }")
        self.w("    Ok(d.into_any())")
        self.w("}")

    # -- per operation -----------------------------------------------------------------------
    def op_fns(self, op):
        od = self.m.ops[op]
        sop = snake(op)
        req = od["input"]["shape"]
        resp = od["output"]["shape"]
        fb = f"sdk::operation::{sop}::builders::{op}FluentBuilder"
        self.w(
            f"/// Validate `{op}` keyword arguments like botocore and set them on the fluent builder\n"
            "/// (members the SDK lacks come back as `Bridged`, for `crate::bridge` to send)."
        )
        sig = (
            f"pub fn {sop}_input(params: &Bound<'_, PyDict>, b: {fb}) "
            f"-> PyResult<Result<({fb}, crate::bridge::Bridged), ParamErrors>> {{\n"
            f"    run_input(|p, e| {sop}_into(params.as_any(), p, e, b))\n}}"
        )
        self.w(sig)
        self.struct_in(
            req,
            f"fn {sop}_into(v: &Bound<'_, PyAny>, p: &Path<'_>, e: &mut ParamErrors, b: {fb}) "
            f"-> PyResult<Option<({fb}, crate::bridge::Bridged)>> {{",
            fluent=True,
        )
        out_t = self.m.rust_path(resp).replace("crate::", "sdk::")
        streamed = [m for m, why in self.m.skipped.get(resp, {}).items()]
        has_blob_payload = (
            self.m.shapes[resp].get("payload")
            and self.m.kind(self.m.shapes[resp]["members"][self.m.shapes[resp]["payload"]]["shape"])
            == "blob"
        )
        doc = f"/// Append the `{op}` output members to `into` in botocore's order (headers, then body)."
        if has_blob_payload:
            doc += "\n/// The streaming payload `{}` is left to the caller.".format(
                self.m.shapes[resp]["payload"]
            )
        if streamed:
            doc += "\n/// The event stream member(s) {} are left to the caller.".format(
                ", ".join(f"`{x}`" for x in streamed)
            )
        stream = self.output_stream(resp)
        ret = stream[2] if stream else "()"
        if stream:
            doc += "\n/// Returns the event stream member, moved out of the output."
        self.w(doc)
        self.w(
            f"pub fn {sop}_output<'py>(py: Python<'py>, out: {out_t}, raw: Option<&Value>, into: &Bound<'py, PyDict>) "
            f"-> PyResult<{ret}> {{\n    fill_{fn(resp)}(py, out, raw, into, true)\n}}"
        )

    def output_stream(self, n):
        """(member, SDK field, receiver type) of a response's event stream, or None."""
        for mname, m in self.m.shapes[n]["members"].items():
            if self.m.kind(m["shape"]) == "eventstream":
                union = rust_name(m["shape"])
                receiver = (
                    "sdk::primitives::event_stream::EventReceiver<"
                    f"sdk::types::{union}, sdk::types::error::{union}Error>"
                )
                return mname, snake(mname), receiver
        return None

    def response_fill(self, n):
        T = self.m.rust_path(n).replace("crate::", "sdk::")
        stream = self.output_stream(n)
        ret = stream[2] if stream else "()"
        self.w(
            f"fn fill_{fn(n)}<'py>(py: Python<'py>, v: {T}, raw: Option<&Value>, d: &Bound<'py, PyDict>, "
            f"skip_payload: bool) -> PyResult<{ret}> {{"
        )
        self.struct_out_body(n, "d", "skip_payload", keep=[stream[1]] if stream else ())
        self.w(f"    Ok({stream[1] if stream else '()'})")
        self.w("}")

    def emit(self):
        m = self.m
        self.w(
            "// @generated by codegen/generate.py from botocore {} bedrock-runtime {} "
            "\u2014 do not edit".format(BOTOCORE_VERSION, m.data["metadata"]["apiVersion"])
        )
        self.w(f"// Checked against {SDK_CRATE} {self.sdk_version}.")
        self.w(
            "//! Generated converters: one `i_<shape>` (Python -> SDK, botocore validation) and one"
        )
        self.w(
            "//! `o_<shape>` (SDK -> Python, botocore parser output) per shape, and per-operation entry"
        )
        self.w("//! points. See codegen/README.md.")
        self.w(
            "// Generated code is uniform on purpose: `raw`/`py` are passed to every converter even"
        )
        self.w(
            "// when a shape does not need them, and 300+ functions would otherwise need special cases."
        )
        self.w("#![allow(unused_variables, clippy::single_match)]")
        self.w()
        self.w("use aws_sdk_bedrockruntime as sdk;")
        self.w("use aws_smithy_types::{Blob, DateTime, Document};")
        self.w("use pyo3::prelude::*;")
        self.w("use pyo3::types::PyDict;")
        self.w("use serde_json::Value;")
        self.w("use std::collections::HashMap;")
        self.w()
        self.w("use super::*;")
        self.w()
        for op in sorted(m.ops):
            self.op_fns(op)
            self.w()
        # event streams
        for n in m.reachable:
            if m.kind(n) != "eventstream":
                continue
            T = m.full_rty(n)
            owner = [
                (op, mem)
                for op, od in m.ops.items()
                for io in ("input", "output")
                for mem, md in m.shapes[od[io]["shape"]]["members"].items()
                if md["shape"] == n
            ]
            op, mem = owner[0]
            ev_name = snake(n)
            if n in ("ConverseStreamOutput",):
                pub = "converse_stream_event"
            elif n == "ResponseStream":
                pub = "invoke_model_with_response_stream_event"
            elif n == "InvokeModelWithBidirectionalStreamOutput":
                pub = "invoke_model_with_bidirectional_stream_event"
            else:
                pub = "invoke_model_with_bidirectional_stream_input_event"
            if pub.endswith("_input_event"):
                self.w(
                    f"/// Validate and convert one `{n}` event dict (e.g. `{{'chunk': {{'bytes': b'..'}}}}`)."
                )
                self.w(
                    f"pub fn {pub}(event: &Bound<'_, PyAny>) -> PyResult<Result<{T}, ParamErrors>> {{\n"
                    f"    run_input(|p, e| i_{ev_name}(event, p, e))\n}}"
                )
            else:
                self.w(
                    f"/// One `{n}` event as botocore yields it: `{{'<eventName>': {{...}}}}` (`{{}}` if unknown);\n"
                    "/// `raw`: the event's frame as `{'<eventName>': <payload JSON>}`, the wire reference."
                )
                self.w(
                    f"pub fn {pub}<'py>(py: Python<'py>, ev: {T}, raw: Option<&Value>) "
                    "-> PyResult<Bound<'py, PyDict>> {\n"
                    f"    Ok(o_{ev_name}(py, ev, raw)?.cast_into::<PyDict>()?)\n}}"
                )
            self.w()
        for n in m.reachable:
            if m.kind(n) == "response":
                self.response_fill(n)
                T = m.full_rty(n)
                self.struct_in(
                    n,
                    f"pub(crate) fn i_{fn(n)}(v: &Bound<'_, PyAny>, p: &Path<'_>, e: &mut ParamErrors) "
                    f"-> PyResult<Option<{T}>> {{",
                    None,
                )
                self.w(
                    f"pub(crate) fn o_{fn(n)}<'py>(py: Python<'py>, v: {T}, raw: Option<&Value>) "
                    "-> PyResult<Bound<'py, PyAny>> {"
                )
                self.w("    let d = PyDict::new(py);")
                if m.via_builder(n):
                    self.struct_out_body(n, "d", None, getters=True)
                else:
                    self.w(f"    fill_{fn(n)}(py, v, raw, &d, false)?;")
                self.w("    Ok(d.into_any())")
                self.w("}")
            else:
                self.shape_fns(n)
        self.w()
        # roundtrip + manifest
        self.w("/// Python -> SDK -> Python for any shape (test hook).")
        self.w(
            "pub(crate) fn roundtrip<'py>(py: Python<'py>, shape: &str, v: &Bound<'py, PyAny>, raw: Option<&Value>) "
            "-> PyResult<Result<Bound<'py, PyAny>, ParamErrors>> {"
        )
        self.w("    macro_rules! rt {")
        self.w("        ($i:ident, $o:ident) => {")
        self.w("            match run_input(|p, e| $i(v, p, e))? {")
        self.w("                Ok(x) => Ok(Ok($o(py, x, raw)?)),")
        self.w("                Err(e) => Ok(Err(e)),")
        self.w("            }")
        self.w("        };")
        self.w("    }")
        self.w("    match shape {")
        for n in m.reachable:
            self.w(f"        {rust_str(n)} => rt!(i_{fn(n)}, o_{fn(n)}),")
        self.w(
            '        _ => Err(pyo3::exceptions::PyKeyError::new_err(format!("unknown shape {shape}"))),'
        )
        self.w("    }")
        self.w("}")
        self.w()
        self.w("/// Every shape and the members the converters handle, in model order.")
        self.w("pub(crate) const SHAPE_MANIFEST: &[(&str, &[&str])] = &[")
        for n in m.reachable:
            mem = [mn for mn, _f, _o in m.fields.get(n, [])]
            self.w("    ({}, &[{}]),".format(rust_str(n), ", ".join(rust_str(x) for x in mem)))
        self.w("];")
        return "\n".join(self.out) + "\n"


def opt_usize(v):
    return "None" if v is None else f"Some({int(v)})"


def opt_i64(v):
    return "None" if v is None else f"Some({int(v)})"


def opt_f64(v):
    return "None" if v is None else f"Some(({float(v)!r}_f64, {rust_str(str(v))}))"


def rustfmt(text):
    """Format generated Rust with the toolchain's rustfmt so `cargo fmt --check` stays clean."""
    try:
        r = subprocess.run(
            ["rustfmt", "--edition", "2021", "--emit", "stdout"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    except OSError as exc:
        fail(f"rustfmt not found ({exc}); install it with `rustup component add rustfmt`")
    if r.returncode != 0:
        fail("rustfmt failed on the generated code:\n" + r.stderr[-4000:])
    return r.stdout


def xform_name(name):
    """botocore.xform_name for the operation names of this service."""
    return snake(name)


def emit_py(model, paginators):
    m = model
    L = []
    L.append(
        "# @generated by codegen/generate.py from botocore {} bedrock-runtime {} \u2014 do not edit".format(
            BOTOCORE_VERSION, m.data["metadata"]["apiVersion"]
        )
    )
    L.append('"""What the boto3-compatible facade needs from the bedrock-runtime service model."""')
    L.append("# fmt: off")
    L.append("")
    L.append("SERVICE_NAME = {!r}".format("bedrock-runtime"))
    L.append("API_VERSION = {!r}".format(m.data["metadata"]["apiVersion"]))
    L.append(f"BOTOCORE_VERSION = {BOTOCORE_VERSION!r}")
    L.append("")
    L.append("# python method name -> OperationName, in model order")
    L.append("OPERATIONS = {")
    for op in m.ops:
        L.append(f"    {xform_name(op)!r}: {op!r},")
    L.append("}")
    L.append("")
    L.append("# Modelled error shapes (exception classes), sorted.")
    L.append("ERROR_SHAPES = (")
    for e in m.errors:
        L.append(f"    {e!r},")
    L.append(")")
    L.append("")
    L.append("# Per error shape: HTTP status code, fault (server) or not, retryable.")
    L.append("ERROR_INFO = {")
    for e in m.errors:
        s = m.shapes[e]
        L.append(
            "    {!r}: {{'status': {!r}, 'fault': {!r}, 'retryable': {!r}}},".format(
                e, s.get("error", {}).get("httpStatusCode"), bool(s.get("fault")), "retryable" in s
            )
        )
    L.append("}")
    L.append("")
    L.append("# OperationName -> modelled errors it can raise, in model order.")
    L.append("OPERATION_ERRORS = {")
    for op, od in m.ops.items():
        L.append("    {!r}: {!r},".format(op, tuple(e["shape"] for e in od.get("errors", []))))
    L.append("}")
    L.append("")
    L.append("# OperationName -> input members in model order (botocore lists them in errors).")
    L.append("INPUT_MEMBERS = {")
    for op, od in m.ops.items():
        mem = list(m.shapes[od["input"]["shape"]]["members"])
        L.append(f"    {op!r}: {tuple(mem)!r},")
    L.append("}")
    L.append("")
    L.append("# Request shape -> members newer than the Rust SDK, sent by the bridge (codegen's")
    L.append("# BRIDGED_MEMBERS; an entry fails generation once the SDK has the member).")
    L.append("BRIDGED_MEMBERS = {")
    for n, members in sorted(m.bridged.items()):
        L.append(f"    {n!r}: {tuple(members)!r},")
    L.append("}")
    L.append("")
    L.append("# OperationName -> (payload member, kind) for outputs the caller fills itself:")
    L.append("# 'blob' = streaming body object, 'eventstream' = iterable event stream.")
    L.append("STREAMING_OUTPUT = {")
    for op, od in m.ops.items():
        resp = m.shapes[od["output"]["shape"]]
        pl = resp.get("payload")
        if pl:
            k = m.kind(resp["members"][pl]["shape"])
            if k in ("blob", "eventstream"):
                L.append(f"    {op!r}: ({pl!r}, {k!r}),")
    L.append("}")
    L.append("")
    L.append("# OperationName -> the event-stream shape its answer streams (exception events are")
    L.append("# looked up in EVENT_STREAM_ERRORS under it).")
    L.append("STREAM_SHAPES = {")
    for op, od in m.ops.items():
        resp = m.shapes[od["output"]["shape"]]
        for md in resp["members"].values():
            if m.kind(md["shape"]) == "eventstream":
                L.append(f"    {op!r}: {md['shape']!r},")
    L.append("}")
    L.append("")
    L.append("# OperationName -> input event-stream member (bidirectional streams).")
    L.append("STREAMING_INPUT = {")
    for op, od in m.ops.items():
        req = m.shapes[od["input"]["shape"]]
        for mem, md in req["members"].items():
            if m.kind(md["shape"]) == "eventstream":
                L.append(f"    {op!r}: {mem!r},")
    L.append("}")
    L.append("")
    L.append("# Event-stream shape -> exception event members (raised while iterating).")
    L.append("EVENT_STREAM_ERRORS = {")
    for n in m.reachable:
        if m.kind(n) == "eventstream":
            ex = [
                x
                for x, md in m.shapes[n]["members"].items()
                if m.shapes[md["shape"]].get("exception")
            ]
            if ex:
                L.append(
                    "    {!r}: {{{}}},".format(
                        n,
                        ", ".join(
                            "{!r}: {!r}".format(x, m.shapes[n]["members"][x]["shape"]) for x in ex
                        ),
                    )
                )
    L.append("}")
    L.append("")
    L.append("# Error shape -> ((member, botocore type name), ...) in model order.")
    L.append("ERROR_MEMBERS = {")
    for e in m.errors:
        mem = m.shapes[e]["members"]
        L.append(
            "    {!r}: {!r},".format(
                e, tuple((k, m.shapes[v["shape"]]["type"]) for k, v in mem.items())
            )
        )
    L.append("}")
    L.append("")
    L.append("# python method name -> OperationName for operations botocore can paginate.")
    L.append("PAGINATORS = {")
    for op in paginators:
        L.append(f"    {xform_name(op)!r}: {op!r},")
    L.append("}")
    L.append("")
    L.append("# OperationName -> botocore paginator config (paginators-1.json).")
    L.append("PAGINATOR_CONFIG = {")
    for op, cfg in paginators.items():
        L.append(f"    {op!r}: {cfg!r},")
    L.append("}")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------------------------
# The per-operation table (Rust)
# ---------------------------------------------------------------------------------------------
def streams(m, op):
    """Whether `op`'s request or answer streams, or its answer's payload is a blob (its Operation
    is then written by hand)."""
    od = m.ops[op]
    req = m.shapes[od["input"]["shape"]]
    resp = m.shapes[od["output"]["shape"]]
    if any(m.kind(md["shape"]) == "eventstream" for md in req["members"].values()):
        return True
    payload = resp.get("payload")
    return bool(payload) and m.kind(resp["members"][payload]["shape"]) in ("blob", "eventstream")


def check_hand_written(m):
    problems = []
    for op in m.ops:
        if streams(m, op) and op not in HAND_WRITTEN_OPERATIONS:
            problems.append(
                f"{op} streams (or answers a blob): write its crate::ops::Operation by hand and "
                "list it in HAND_WRITTEN_OPERATIONS"
            )
    for op, path in sorted(HAND_WRITTEN_OPERATIONS.items()):
        if op not in m.ops:
            problems.append(f"HAND_WRITTEN_OPERATIONS entry {op} is not in the model")
            continue
        module, name = path.split("::")
        try:
            with open(os.path.join(ROOT, "src", "ops", module + ".rs")) as f:
                src = f.read()
        except FileNotFoundError:
            src = ""
        if not re.search(rf"^pub struct {name};$", src, re.M) or not re.search(
            rf"^impl Operation for {name} \{{$", src, re.M
        ):
            problems.append(f"{op}: src/ops/{module}.rs has no `pub struct {name};` Operation")
    for op in FACADE_NOTES:
        if op not in m.ops:
            problems.append(f"FACADE_NOTES entry {op} is not in the model")
    if problems:
        fail("per-operation tables:\n  " + "\n  ".join(problems))


def emit_ops_rs(m):
    """src/ops/generated.rs: a child module of `crate::ops::json`, whose macro and imports the
    registrations use."""
    L = [
        "// @generated by codegen/generate.py from botocore {} bedrock-runtime {} "
        "\u2014 do not edit".format(BOTOCORE_VERSION, m.data["metadata"]["apiVersion"]),
        "//! The per-operation table, from the model: a `json_operation!` for each operation whose",
        "//! answer is one JSON document, and `dispatch!`, every operation's",
        "//! [`Operation`](crate::ops::Operation) type by its model name (those of codegen's",
        "//! `HAND_WRITTEN_OPERATIONS` are written by hand in src/ops/). A child of `ops::json`,",
        "//! whose macro and imports it uses. See codegen/README.md.",
        "",
        "use super::*;",
        "",
    ]
    for op in m.ops:
        if op in HAND_WRITTEN_OPERATIONS:
            continue
        sop = snake(op)
        args = [
            op,
            rust_str(op),
            f"{sop}::{{{op}Output, {op}Error}}",
            sop,
            f"{sop}_input",
            f"{sop}_output",
        ]
        L.append("json_operation!(")
        L += [f"    {a}," for a in args[:-1]] + [f"    {args[-1]}", ");"]
    L.append("")
    L.append(
        "/// Expands `$call::<Op>($args)` for the operation named `$name` (its model name); an"
    )
    L.append("/// unknown name is a `ValueError`.")
    L.append("macro_rules! dispatch {")
    L.append("    ($name:expr, $call:ident, $($args:expr),*) => {")
    L.append("        match $name {")
    for op in m.ops:
        path = "$crate::ops::" + HAND_WRITTEN_OPERATIONS.get(op, "json::generated::" + op)
        arm = f"            {rust_str(op)} => $call::<{path}>($($args),*),"
        if len(arm) > 100:
            arm = f"            {rust_str(op)} => {{\n                $call::<{path}>($($args),*)\n            }}"
        L.append(arm)
    L.append("            other => Err(pyo3::exceptions::PyValueError::new_err(format!(")
    L.append('                "unknown bedrock-runtime operation {other:?}"')
    L.append("            ))),")
    L.append("        }")
    L.append("    };")
    L.append("}")
    L.append("pub(crate) use dispatch;")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------------------------
# Docstrings from the model's documentation
# ---------------------------------------------------------------------------------------------
class DocParser(html.parser.HTMLParser):
    """The model's documentation (p, code, i, a, ul/li, note, important) -> text blocks, each
    (top_level, text): top-level paragraphs, and the rest (list items, notes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = []
        self.open = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "li"):
            self.flush()
        elif tag == "code":
            self.text.append("\0")
        self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in ("p", "li"):
            self.flush()
        elif tag == "code":
            self.text.append("\0")
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag)]

    def handle_data(self, data):
        self.text.append(data)

    def flush(self):
        text = " ".join("".join(self.text).split())
        self.text = []
        # <code>x</code> -> ``x`` (reST, as boto3's docs and this package's docstrings write it)
        text = re.sub(
            r"\0\s*(.*?)\s*\0", lambda mo: f"``{mo.group(1)}``" if mo.group(1) else "", text
        )
        text = text.replace("\0", "").strip()
        if text:
            nested = any(t in ("ul", "ol", "li", "note", "important") for t in self.open)
            self.blocks.append((not nested, text))


def doc_blocks(html_doc):
    parser = DocParser()
    parser.feed(html_doc or "")
    parser.close()
    parser.flush()
    return parser.blocks


SENTENCE_END = re.compile(r"(?<![ .]e\.g\.)(?<![ .]i\.e\.)(?<=[.!?])\s+(?=[A-Z`(\"'])")


def doc_summary(html_doc, most, chars):
    """The first sentences of the top-level paragraphs: at most `most` of them and about `chars`
    characters (always the first), up to the first list or note; a sentence introducing a list
    is left out."""
    out = []
    for top, text in doc_blocks(html_doc):
        if not top:
            if out:
                break
            continue
        for sentence in SENTENCE_END.split(text):
            if out and (len(out) >= most or len(" ".join(out)) + len(sentence) > chars):
                break
            out.append(sentence)
        else:
            continue
        break
    while out and out[-1].endswith(":"):
        out.pop()
    text = " ".join(out)
    if text and text[-1] not in ".!?":
        text += "."
    return text


def wrap(text, width, indent=""):
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def doc_type(m, n, payload=False):
    """The parameter type boto3's docs name."""
    k = m.kind(n)
    if k == "blob":
        return "bytes or seekable file-like object" if payload else "bytes"
    if k == "eventstream":
        return "InputStream or iterable of input events"
    return {
        "string": "string",
        "enum": "string",
        "integer": "integer",
        "long": "integer",
        "float": "float",
        "double": "float",
        "boolean": "boolean",
        "timestamp": "datetime",
        "document": "document (any JSON value)",
        "list": "list",
    }.get(k, "dict")


def syntax_value(m, n, indent, depth, stack, payload=False):
    """botocore's request syntax for a value of shape n (first line unindented)."""
    k = m.kind(n)
    s = m.shapes[n]
    pad = " " * indent
    inner = " " * (indent + 4)
    scalar = {
        "string": "'string'",
        "integer": "123",
        "long": "123",
        "float": "123.0",
        "double": "123.0",
        "boolean": "True|False",
        "timestamp": "datetime(2015, 1, 1)",
        "document": "{...}|[...]|123|123.4|'string'|True|None",
    }
    if k in scalar:
        return scalar[k]
    if k == "enum":
        return "|".join(repr(v) for v in s["enum"])
    if k == "blob":
        return "b'bytes'|file" if payload else "b'bytes'"
    if k == "list":
        item = syntax_value(m, s["member"]["shape"], indent + 4, depth, stack)
        return f"[\n{inner}{item},\n{pad}]"
    if n in stack:
        return "{'... recursive ...'}"
    if depth >= DOC_SYNTAX_DEPTH:
        return "{...}"
    if k == "map":
        value = syntax_value(m, s["value"]["shape"], indent + 4, depth + 1, stack + [n])
        return f"{{\n{inner}'string': {value}\n{pad}}}"
    members = [
        f"{inner}{name!r}: " + syntax_value(m, md["shape"], indent + 4, depth + 1, stack + [n])
        for name, md in s["members"].items()
        if not m.shapes[md["shape"]].get("exception")
    ]
    body = "{\n" + ",\n".join(members) + f"\n{pad}}}" if members else "{}"
    if k == "eventstream":
        return f"InputStream()|[\n{inner}" + body.replace("\n", "\n    ") + f",\n{pad}]"
    return body


def request_syntax(m, op, awaited):
    od = m.ops[op]
    req = m.shapes[od["input"]["shape"]]
    call = ("await " if awaited else "") + "client." + xform_name(op)
    lines = [f"response = {call}("]
    params = [
        f"    {name}=" + syntax_value(m, md["shape"], 4, 0, [], payload=name == req.get("payload"))
        for name, md in req["members"].items()
    ]
    lines.append(",\n".join(params))
    lines.append(")")
    return "\n".join(lines) if params else f"response = {call}()"


def output_members(m, op):
    """The answer's members in the order botocore returns them (headers first)."""
    resp = m.shapes[m.ops[op]["output"]["shape"]]
    names = list(resp["members"])
    hdr = [x for x in names if resp["members"][x].get("location") == "header"]
    return hdr + [x for x in names if x not in hdr]


def method_doc(m, op, asyncio):
    """The docstring of the facade's method for `op` (without indentation)."""
    od = m.ops[op]
    name = xform_name(op)
    req = m.shapes[od["input"]["shape"]]
    out = []
    if asyncio:
        out += wrap(
            f"Awaitable ``{name}``: same arguments, result and errors as the blocking client.", 92
        )
        out.append("")
    out += wrap(doc_summary(od.get("documentation"), 3, 420), 92)
    note = FACADE_NOTES.get(op)
    if note:
        out.append("")
        out += wrap(note[1 if asyncio else 0], 92)
    uid = m.data["metadata"]["uid"]
    out.append("")
    out.append(
        f"See also: `AWS API Documentation <https://docs.aws.amazon.com/goto/WebAPI/{uid}/{op}>`_"
    )
    out.append("")
    out.append("**Request Syntax**")
    out.append("::")
    out.append("")
    out += ["  " + ln for ln in request_syntax(m, op, asyncio).split("\n")]
    required = set(req.get("required", []))
    for pname, md in req["members"].items():
        out.append("")
        out.append(
            f":type {pname}: {doc_type(m, md['shape'], payload=pname == req.get('payload'))}"
        )
        text = doc_summary(md.get("documentation"), 2, 240)
        if md.get("idempotencyToken"):
            text += " This field is autopopulated if not provided."
        if pname in required:
            text = "**[REQUIRED]** " + text
        lines = wrap(f":param {pname}: {text}".rstrip(), 92)
        out += lines[:1] + ["  " + ln for ln in wrap(" ".join(lines[1:]), 90)]
    out.append("")
    out.append(":rtype: dict")
    members = ", ".join(f"``{x}``" for x in ["ResponseMetadata"] + output_members(m, op))
    lines = wrap(f":returns: The answer, shaped as botocore shapes it: {members}.", 92)
    out += lines[:1] + ["  " + ln for ln in wrap(" ".join(lines[1:]), 90)]
    return out


def py_docstring(lines, indent):
    """A triple-quoted docstring of `lines`, indented for its place."""
    pad = " " * indent
    text = "\n".join((pad + ln) if ln else "" for ln in lines)
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'{pad}"""{text.lstrip()}\n{pad}"""'


# ---------------------------------------------------------------------------------------------
# The facade's methods (Python)
# ---------------------------------------------------------------------------------------------
def py_type(m, n, payload=False):
    """The Python type a parameter of shape n takes (the types botocore's validator accepts)."""
    k = m.kind(n)
    s = m.shapes[n]
    simple = {
        "string": "str",
        "enum": "str",
        "integer": "int",
        "long": "int",
        "float": "float",
        "double": "float",
        "boolean": "bool",
        "blob": "bytes | bytearray | str | IO[Any]",
        "timestamp": "datetime | str",
        "document": "Any",
        "eventstream": "InputStream | Iterable[Mapping[str, Any]]",
    }
    if k in simple:
        return simple[k]
    if k == "list":
        return f"Sequence[{py_type(m, s['member']['shape'])}]"
    if k == "map":
        return f"Mapping[str, {py_type(m, s['value']['shape'])}]"
    return "Mapping[str, Any]"


def typing_imports(m, *extra, typed_dict=False):
    """The imports the parameter types of every operation need (isort's order)."""
    used = {
        name
        for op in m.ops
        for p in py_params(m, op, "")
        for name in re.findall(r"[A-Za-z_]+", p.partition(":")[2])
    }
    std = [
        ("collections.abc", ["Iterable", "Mapping", "Sequence"]),
        ("datetime", ["datetime"]),
        ("typing", ["IO", "Any"] + (["TypedDict"] if typed_dict else [])),
    ]
    lines = []
    for module, names in std:
        names = [x for x in names if x in used or x in ("Any", "TypedDict")]
        if names:
            lines.append(f"from {module} import {', '.join(names)}")
    lines.append("")
    lines += list(extra)
    native = ", ".join(
        x for x in ("InputStream", "NativeClient") if x in used or x == "NativeClient"
    )
    lines.append(f"from bedrock_cris._native import {native}")
    return lines


def py_params(m, op, default):
    """`self, *, name: type[ = default], ...` of `op`'s signature, one per line."""
    req = m.shapes[m.ops[op]["input"]["shape"]]
    required = set(req.get("required", []))
    params = []
    for pname, md in req["members"].items():
        if keyword.iskeyword(pname) or not pname.isidentifier():
            fail(f"{op}: parameter {pname} is not a Python identifier")
        t = py_type(m, md["shape"], payload=pname == req.get("payload"))
        params.append(f"{pname}: {t}" + ("" if pname in required else f" = {default}"))
    return ["self", "*"] + params if params else ["self"]


def header(m, quote):
    return "{} @generated by codegen/generate.py from botocore {} bedrock-runtime {} \u2014 do not edit".format(
        quote, BOTOCORE_VERSION, m.data["metadata"]["apiVersion"]
    )


def emit_operations_py(m):
    ops = list(m.ops)
    L = [header(m, "#")]
    L.append('''"""The facade's per-operation methods, one per operation of the model (``_model.OPERATIONS``):
``BedrockRuntimeOperations`` (mixed into ``bedrock_cris.BedrockRuntime``) and
``AsyncBedrockRuntimeOperations`` (into ``bedrock_cris.aio.AsyncBedrockRuntime``), and
``ClientExceptions``, the modelled classes of ``client.exceptions``.

Each method hands the caller's keyword arguments, the dict as given (in the caller's order), to
the native client, which validates them as botocore does. Docstrings come from the model.
``inspect.signature`` (and so ``help()``) follows each method's ``__wrapped__`` to its
``_Signatures`` twin, which inspect reads only when asked; type checkers read
``_operations.pyi``.
"""''')
    L.append("# fmt: off")
    L.append("")
    L.append("from __future__ import annotations")
    L.append("")
    L.append("from bedrock_cris import exceptions")
    L.append("")
    L.append("TYPE_CHECKING = False  # typing costs ~10 ms of import time; only checkers need it")
    L.append("if TYPE_CHECKING:")
    L += ["    " + ln if ln else "" for ln in typing_imports(m)]
    L.append("")
    L.append(
        '__all__ = ["AsyncBedrockRuntimeOperations", "BedrockRuntimeOperations", "ClientExceptions"]'
    )
    L.append("")
    L.append("")
    L.append("class ClientExceptions:")
    L.append('    """The modelled error classes, as ``client.exceptions`` has them."""')
    L.append("")
    for e in m.errors:
        L.append(f"    {e} = exceptions.{e}")
    for cls, asyncio in (
        ("BedrockRuntimeOperations", False),
        ("AsyncBedrockRuntimeOperations", True),
    ):
        L.append("")
        L.append("")
        L.append(f"class {cls}:")
        what = "coroutines" if asyncio else "methods"
        L.append(
            f'    """The bedrock-runtime operations as boto3\'s client {what}, one per operation of the model."""'
        )
        L.append("")
        L.append("    _native: NativeClient")
        for op in ops:
            name = xform_name(op)
            L.append("")
            L.append(
                "    {}def {}(self, *args: Any, **kwargs: Any) -> dict[str, Any]:".format(
                    "async " if asyncio else "", name
                )
            )
            L.append(py_docstring(method_doc(m, op, asyncio), 8))
            L.append("        if args:")
            L.append(f'            raise TypeError("{name}() only accepts keyword arguments.")')
            if asyncio:
                L.append(f"        return await self._native.call_async({rust_str(op)}, kwargs)")
            else:
                L.append(f"        return self._native.call({rust_str(op)}, kwargs)")
    L.append("")
    L.append("")
    L.append("class _NotSet:")
    L.append(
        '    """The default of an optional parameter in ``_Signatures``: the argument is left out."""'
    )
    L.append("")
    L.append("    __slots__ = ()")
    L.append("")
    L.append("    def __repr__(self) -> str:")
    L.append('        return "..."')
    L.append("")
    L.append("")
    L.append("_NOT_SET: Any = _NotSet()")
    L.append("")
    L.append("")
    L.append("def _given(arguments: dict[str, Any]) -> dict[str, Any]:")
    L.append('    return {k: v for k, v in arguments.items() if k != "self" and v is not _NOT_SET}')
    L.append("")
    L.append("")
    L.append("class _Signatures:")
    L.append(
        '    """What ``inspect.signature`` reports for each method; calling one calls the method."""'
    )
    for op in ops:
        name = xform_name(op)
        L.append("")
        params = py_params(m, op, "_NOT_SET")
        L.append(f"    def {name}(")
        for p in params:
            L.append(f"        {p},")
        L.append("    ) -> dict[str, Any]:")
        L.append(f"        return self.{name}(**_given(locals()))")
    L.append("")
    L.append("")
    L.append("for _name in (")
    for op in ops:
        L.append(f"    {rust_str(xform_name(op))},")
    L.append("):")
    L.append("    _signature = getattr(_Signatures, _name)")
    L.append("    getattr(BedrockRuntimeOperations, _name).__wrapped__ = _signature")
    L.append("    getattr(AsyncBedrockRuntimeOperations, _name).__wrapped__ = _signature")
    L.append("del _name, _signature")
    return "\n".join(L) + "\n"


def emit_operations_pyi(m):
    ops = list(m.ops)
    L = [header(m, "#")]
    L.append(
        '"""Types of the generated facade methods (``_operations.py``): keyword-only parameters as'
    )
    L.append('the model declares them, required ones without a default."""')
    L.append("# fmt: off")
    L.append("")
    L += typing_imports(m, "from bedrock_cris import exceptions", typed_dict=True)
    L.append("")
    L.append(
        '__all__ = ["AsyncBedrockRuntimeOperations", "BedrockRuntimeOperations", "ClientExceptions",'
        ' "ConverseArguments"]'
    )
    L.append("")
    L += native_arguments_pyi(m)
    L.append("class ClientExceptions:")
    L.append('    """The modelled error classes, as ``client.exceptions`` has them."""')
    for e in m.errors:
        L.append(f"    {e}: type[exceptions.{e}]")
    for cls, asyncio in (
        ("BedrockRuntimeOperations", False),
        ("AsyncBedrockRuntimeOperations", True),
    ):
        L.append("")
        L.append(f"class {cls}:")
        L.append("    _native: NativeClient")
        for op in ops:
            name = xform_name(op)
            L.append("    {}def {}(".format("async " if asyncio else "", name))
            for p in py_params(m, op, "..."):
                L.append(f"        {p},")
            L.append("    ) -> dict[str, Any]:")
            L.append(py_docstring(method_doc(m, op, asyncio), 8))
    return "\n".join(L) + "\n"


# Converse members the native API's own options stand for (``_native_options.ConverseOptions``).
NATIVE_CONVERSE_MEMBERS = ("modelId", "messages", "system")


def native_arguments_pyi(m):
    """``ConverseArguments``: the Converse (and ConverseStream) arguments the native API's
    ``converse``/``stream`` take as they are, for its ``**options`` type."""
    members = {}
    for op in ("Converse", "ConverseStream"):
        req = m.shapes[m.ops[op]["input"]["shape"]]
        names = [n for n in req["members"] if n not in NATIVE_CONVERSE_MEMBERS]
        members[op] = [(n, py_type(m, req["members"][n]["shape"])) for n in names]
    if members["Converse"] != members["ConverseStream"]:
        fail("Converse and ConverseStream take different arguments: split ConverseArguments")
    L = ["class ConverseArguments(TypedDict, total=False):"]
    L.append('    """Converse arguments the native API passes through (boto3\'s names)."""')
    for name, t in members["Converse"]:
        L.append(f"    {name}: {t}")
    L.append("")
    return L


def emit_errors_py(m):
    L = [header(m, "#")]
    L.append('''"""The modelled exception classes, one per error shape of the model (``_model.ERROR_SHAPES``):
``ClientError`` subclasses named by their error code. ``bedrock_cris.exceptions`` re-exports them
as its own (their ``__module__``); ``exceptions.from_code`` maps an error code to its class.
"""''')
    L.append("# fmt: off")
    L.append("")
    L.append("from __future__ import annotations")
    L.append("")
    L.append("from bedrock_cris.exceptions import ClientError")
    L.append("")
    L.append("__all__ = [")
    for e in m.errors:
        L.append(f"    {rust_str(e)},")
    L.append("]")
    for e in m.errors:
        s = m.shapes[e]
        doc = wrap(doc_summary(s.get("documentation"), 2, 300) or f"The service's {e}.", 92)
        status = s.get("error", {}).get("httpStatusCode")
        if status:
            doc += ["", f"HTTP status code {status}."]
        L.append("")
        L.append("")
        L.append(f"class {e}(ClientError):")
        L.append(py_docstring(doc, 4))
        L.append("")
        L.append('    __module__ = "bedrock_cris.exceptions"')
    L.append("")
    L.append("")
    L.append("# Error code -> class.")
    L.append("MODELED: dict[str, type[ClientError]] = {")
    for e in m.errors:
        L.append(f"    {rust_str(e)}: {e},")
    L.append("}")
    return "\n".join(L) + "\n"


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
