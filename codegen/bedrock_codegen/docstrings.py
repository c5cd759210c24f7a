"""Docstrings of the facade's methods, from the model's HTML documentation."""

import html.parser
import re
import textwrap

from bedrock_codegen.names import xform_name
from bedrock_codegen.tables import DOC_SYNTAX_DEPTH, FACADE_NOTES


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
