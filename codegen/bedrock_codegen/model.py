"""The model analysed against the SDK: each shape bound to its Rust type, members to fields,
with every divergence either listed in ``tables`` or fatal."""

from bedrock_codegen.names import fail, norm, rust_name, snake
from bedrock_codegen.tables import BRIDGEABLE_KINDS, BRIDGED_MEMBERS, MEMBER_OVERRIDES, SDK_EXTRA

#: The Rust type of a value of each scalar shape kind (as ``sdk::`` and canon() name them).
SCALAR_RUST_TYPES = {
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
        if k in SCALAR_RUST_TYPES:
            return SCALAR_RUST_TYPES[k]
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
        if k in SCALAR_RUST_TYPES:
            return SCALAR_RUST_TYPES[k]
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
