"""``python -m bedrock_cris.emulator``: the emulator in the foreground, the lines that point a
shell's AWS clients at it, and ``--help``'s account of the control API."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_cris.emulator import DEFAULT_MAX_BODY_BYTES, DEFAULT_REGION, Emulator

__all__ = ["CONTROL_API_HELP", "main", "parse_quota"]


#: ``--help``'s account of the control API (``Emulator.control_url``), method and body.
CONTROL_API_HELP = """\
control API (JSON; PUT and POST are interchangeable; errors are 400 {"message": ...}):
  GET    /_emulator/faults       -> {"faults": [fault, ...]}, the faults in force
  POST   /_emulator/faults       a fault or a list of them: {"model_id": "*" | ID,
                                   "action": "error" | "reset" | "delay" | "stall_body" |
                                   "stream", "times": N, "fraction": P, ...} with
                                   error: "code", "message", "status"; delay: "seconds";
                                   stall_body: "after_bytes"; stream: "after_events",
                                   "end": "exception" | "cut" | "stall" | "truncate" |
                                   "corrupt_crc"  -> {"added": N}
  DELETE /_emulator/faults       removes every fault
  GET    /_emulator/requests     -> {"requests": [{"method", "path", "query", "headers",
                                   "body_base64", "fault", "auth_error"}], "total": N}
                                   (the last --record-limit requests; total counts all)
  DELETE /_emulator/requests     forgets recorded requests
  POST   /_emulator/reset        no faults, recorded requests, jobs, latency, concurrency
                                   limit, quotas or usage
  GET    /_emulator/latency      -> {"time_to_first_token": S, "per_token": S}
  PUT    /_emulator/latency      {"time_to_first_token": S, "per_token": S}
  GET    /_emulator/concurrency  -> {"limit": N | null, "in_flight": N}
  PUT    /_emulator/concurrency  {"limit": N} (null or 0: no limit)
  PUT    /_emulator/seed         {"seed": N}: which requests a "fraction" fault picks
  GET    /_emulator/quota        -> {"quotas": [quota, ...], "time_scale": X,
                                   "default_region": R}
  PUT    /_emulator/quota        a quota {"model_id": "*" | ID, "region": R | null,
                                   "requests_per_minute": N, "tokens_per_minute": N}
                                   (both null: removed), a list of them, or
                                   {"quotas": [...], "time_scale": X, "default_region": R}
  DELETE /_emulator/quota        removes every quota
  GET    /_emulator/usage        -> {"usage": {REGION: {MODEL_ID: {"requests",
                                   "throttled", "errors", "input_tokens",
                                   "output_tokens"}}}}
  DELETE /_emulator/usage        forgets the usage counters

examples:
  curl -X POST http://127.0.0.1:8000/_emulator/faults \\
       -d '{"model_id": "*", "action": "error", "code": "ThrottlingException", "times": 2}'
  curl -X PUT http://127.0.0.1:8000/_emulator/quota \\
       -d '{"region": "us-east-1", "tokens_per_minute": 200000}'
"""


def parse_quota(spec: str) -> dict[str, Any]:
    """``--quota``'s value as :meth:`Emulator.set_quota`'s keyword arguments:
    ``[REGION/]MODEL_ID:rpm=N,tpm=N`` (model ids hold colons: the limits follow the last one),
    or a JSON object."""
    if spec.lstrip().startswith("{"):
        value = json.loads(spec)
        if not isinstance(value, dict):
            raise ValueError("the JSON form is an object")
        return value
    target, sep, limits = spec.rpartition(":")
    if not sep or not target:
        raise ValueError("takes [REGION/]MODEL_ID:rpm=N,tpm=N")
    region, slash, model_id = target.rpartition("/")
    names = {"rpm": "requests_per_minute", "tpm": "tokens_per_minute"}
    quota: dict[str, Any] = {"model_id": model_id, "region": region if slash else None}
    for item in limits.split(","):
        name, eq, number = item.strip().partition("=")
        if name not in names or not eq or not number.isdigit():
            raise ValueError(f"limits are rpm=N and tpm=N, got {item!r}")
        quota[names[name]] = int(number)
    return quota


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default and keeps the epilog's layout."""


def _export_lines(
    emulator: Emulator, region: str, credentials: Mapping[str, str], bearer_tokens: Sequence[str]
) -> list[str]:
    """The shell lines that point AWS SDKs and CLIs (boto3, bedrock_cris, the AWS CLI) at
    ``emulator`` with credentials it accepts."""
    import shlex  # deferred: only the command line needs it

    def export(name: str, value: str) -> str:
        return f"export {name}={shlex.quote(value)}"

    lines = [
        export("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint_url),
        export("AWS_REGION", region),
        export("AWS_DEFAULT_REGION", region),
    ]
    bearer = export("AWS_BEARER_TOKEN_BEDROCK", bearer_tokens[0]) if bearer_tokens else None
    if credentials or not bearer:
        key, secret = next(iter(credentials.items())) if credentials else ("test", "test")
        lines += [export("AWS_ACCESS_KEY_ID", key), export("AWS_SECRET_ACCESS_KEY", secret)]
        if bearer:  # boto3 sends bearer tokens only over HTTPS; bedrock_cris to loopback too
            lines.append(f"# bedrock_cris clients only, instead of the keys: {bearer}")
        # A shell's session token, profile or API key would be sent along or win: drop them.
        lines.append("unset AWS_SESSION_TOKEN AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK")
    else:
        lines.append("# bedrock_cris clients only (boto3 sends bearer tokens only over HTTPS):")
        lines.append(bearer)
        lines.append("unset AWS_SESSION_TOKEN AWS_PROFILE")
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m bedrock_cris.emulator``: serve in the foreground until Ctrl-C (or SIGTERM).

    Prints the endpoint URL as the first line of standard output, then the ``export`` lines
    that point a shell's AWS clients at it.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_cris.emulator",
        description=(
            "Run a local Amazon Bedrock Runtime emulator in the foreground until Ctrl-C.\n"
            "It prints its endpoint URL, then the shell lines to paste elsewhere\n"
            "(AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_REGION, credentials it accepts).\n"
            "Without --credentials or --bearer-token, any credentials are accepted and\n"
            "signatures are not checked."
        ),
        epilog=CONTROL_API_HELP,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument(
        "--event-delay", type=float, default=0.0, help="seconds between stream events"
    )
    parser.add_argument(
        "--stream-deltas",
        type=int,
        default=0,
        help="text deltas per streamed answer; 0: about one per four tokens",
    )
    parser.add_argument(
        "--time-to-first-token",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before a stream's first event (and a whole answer); see PUT /_emulator/latency",
    )
    parser.add_argument(
        "--per-token",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="between stream events (and per output token of a whole answer)",
    )
    parser.add_argument(
        "--record-limit",
        type=int,
        default=1000,
        help="how many recent requests GET /_emulator/requests keeps; 0 records none "
        "(for benchmarks)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help="larger request bodies are refused with HTTP 413",
    )
    parser.add_argument(
        "--credentials",
        action="append",
        default=argparse.SUPPRESS,
        metavar="ACCESS_KEY:SECRET_KEY",
        help="verify SigV4 signatures with these credentials (repeatable; default: none, "
        "signatures are not checked)",
    )
    parser.add_argument(
        "--bearer-token",
        action="append",
        default=argparse.SUPPRESS,
        metavar="TOKEN",
        help="accept this bearer token, a Bedrock API key (repeatable; default: none)",
    )
    parser.add_argument(
        "--region",
        default=DEFAULT_REGION,
        help="the region the printed export lines name, which bearer-token requests count "
        "toward (requests for any region are served)",
    )
    parser.add_argument(
        "--quota",
        action="append",
        default=argparse.SUPPRESS,
        metavar="[REGION/]MODEL_ID:rpm=N,tpm=N",
        help="a requests (rpm) and/or tokens (tpm) per minute quota for a model id or '*' "
        "(repeatable), e.g. 'us-east-1/*:tpm=200000' (or the JSON of PUT /_emulator/quota)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="quota minutes per real minute: at 60 a quota minute lasts one second",
    )
    args = parser.parse_args(argv)
    quotas = []
    for spec in getattr(args, "quota", []):
        try:
            quotas.append(parse_quota(spec))
        except ValueError as e:
            parser.error(f"--quota {spec!r}: {e}")
    bearer_tokens: list[str] = getattr(args, "bearer_token", [])
    credentials = {}
    for pair in getattr(args, "credentials", []):
        key, sep, secret = pair.partition(":")
        if not sep or not key or not secret:
            parser.error(f"--credentials takes ACCESS_KEY:SECRET_KEY, got {pair!r}")
        credentials[key] = secret
    emulator = Emulator(
        args.host,
        args.port,
        event_delay=args.event_delay,
        stream_deltas=args.stream_deltas,
        time_to_first_token=args.time_to_first_token,
        per_token=args.per_token,
        record_limit=args.record_limit,
        max_body_bytes=args.max_body_bytes,
        credentials=credentials,
        bearer_tokens=bearer_tokens,
        time_scale=args.time_scale,
        default_region=args.region,
    )
    try:
        emulator.start()
        for quota in quotas:
            emulator.set_quota(**quota)
    except (OSError, ValueError, OverflowError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    import signal  # deferred: only the command line needs it

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop)  # `kill` stops it as cleanly as Ctrl-C
    # From the first line printed on, a Ctrl-C stops it cleanly: whoever reads the URL may
    # interrupt at once, before the banner below is out.
    try:
        print(emulator.endpoint_url)
        print("# Point AWS clients in another shell at this emulator:")
        for line in _export_lines(emulator, args.region, credentials, bearer_tokens):
            print(line)
        sys.stdout.flush()
        print(
            f"Bedrock Runtime emulator running at {emulator.endpoint_url} (control API: "
            f"{emulator.control_url}, see --help); press Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
        while emulator.running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0
