"""src/convert/generated.rs: validation and Python <-> SDK conversion for every shape."""

import subprocess

from bedrock_codegen.names import fail, fn, rust_name, rust_str, snake
from bedrock_codegen.tables import BOTOCORE_VERSION, ROOT, SDK_CRATE


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
