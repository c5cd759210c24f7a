"""HTTP/2 against HTTP/1.1 for many paced streams (bench/LIMITS.md, "HTTP/2").

Starts an emulator over TLS (ALPN h2, http/1.1: our client negotiates HTTP/2) or plain HTTP
(HTTP/1.1), paces each answer as the paced-streams scenario does (300 ms to the first event,
then ``--deltas`` deltas 20 ms apart), and runs ``--streams`` ConverseStream calls at once on
one ``bedrock_cris.aio`` client, after one warm-up call (``--cold`` skips it). Prints the new
connections the burst opened, the time to each call's response (p50/p99) and the whole run.

    python bench/http2_streams.py --streams 400 --tls
    python bench/http2_streams.py --streams 400          # plain HTTP/1.1
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import bedrock_cris
from bedrock_cris.emulator import Emulator

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Explain cloud computing in 2 sentences."}]}]


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


async def burst(emulator: Emulator, streams: int, warm: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "region_name": "us-east-1",
        "endpoint_url": emulator.endpoint_url,
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    if emulator.ca_bundle is not None:
        kwargs["verify"] = emulator.ca_bundle
    async with bedrock_cris.aio.client("bedrock-runtime", **kwargs) as client:
        if warm:
            await client.converse(modelId=MODEL, messages=MESSAGES)
        before = emulator.connections_accepted
        started = time.perf_counter()

        async def one() -> float:
            answer = await client.converse_stream(modelId=MODEL, messages=MESSAGES)
            answered = time.perf_counter() - started
            async for _ in answer["stream"]:
                pass
            return answered

        answered = sorted(await asyncio.gather(*(one() for _ in range(streams))))
        return {
            "connections": emulator.connections_accepted - before,
            "p50": percentile(answered, 0.50),
            "p99": percentile(answered, 0.99),
            "total": time.perf_counter() - started,
            "versions": sorted({r["http_version"] for r in emulator.requests}),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=400)
    parser.add_argument("--deltas", type=int, default=200)
    parser.add_argument("--tls", action="store_true", help="TLS (HTTP/2 by ALPN)")
    parser.add_argument("--cold", action="store_true", help="no warm-up call first")
    args = parser.parse_args()
    with Emulator(
        tls=args.tls, time_to_first_token=0.3, per_token=0.02, stream_deltas=args.deltas
    ) as emulator:
        figures = asyncio.run(burst(emulator, args.streams, warm=not args.cold))
    protocol = "/".join(figures["versions"])
    print(
        f"{args.streams} streams, {protocol}, {'cold' if args.cold else 'warm'}: "
        f"{figures['connections']} new connections, response p50 {figures['p50']:.2f} s, "
        f"p99 {figures['p99']:.2f} s, all done in {figures['total']:.1f} s"
    )


if __name__ == "__main__":
    main()
