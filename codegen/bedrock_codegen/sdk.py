"""Reading the locked aws-sdk-bedrockruntime sources: every Rust type, field, builder and enum
variant, parsed from the registry's copy of the crate."""

import glob
import json
import os
import re
import subprocess

from bedrock_codegen.names import fail
from bedrock_codegen.tables import ROOT, SDK_CRATE


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
