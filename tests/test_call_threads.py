"""How blocking calls use threads: each Python thread drives its own calls and connections
(see src/http.rs), so what a thread leaves behind must be cleaned up without it, and what
threads share (credentials, the client's pooled connections) must work from any of them."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import bedrock_cris
import pytest
from bedrock_cris import exceptions
from bedrock_cris.config import Config
from conftest import ACCESS_KEY, REGION, SECRET_KEY, client_kwargs

MODEL = "amazon.nova-lite-v1:0"
OTHER_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def open_sockets() -> int:
    """Sockets this process holds open, the in-process emulator's included (Linux)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def our_client(emulator: Any, **config: Any) -> Any:
    config.setdefault("retries", {"max_attempts": 0})
    return bedrock_cris.client(
        "bedrock-runtime", **client_kwargs(emulator.endpoint_url, config=Config(**config))
    )


def test_a_timed_out_call_closes_its_connection_at_once(emulator: Any) -> None:
    """The thread that gave up is not waiting any more, yet the server must see the
    connection close (and stop working on the answer) without another call."""
    emulator.delay_first_byte(MODEL, 5.0)
    client = our_client(emulator, read_timeout=0.3)
    with pytest.raises(exceptions.ReadTimeoutError):
        client.converse(modelId=MODEL, messages=MESSAGES)
    deadline = time.monotonic() + 1.0
    while emulator.in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emulator.in_flight == 0


def test_freed_clients_do_not_keep_connections(emulator: Any) -> None:
    client = our_client(emulator)
    client.converse(modelId=MODEL, messages=MESSAGES)
    del client
    gc.collect()
    before = open_sockets()
    for _ in range(20):
        client = our_client(emulator)
        client.converse(modelId=MODEL, messages=MESSAGES)
        del client
        gc.collect()
    time.sleep(0.2)
    # Without releasing them, 20 clients would hold 20 connections (40 sockets here).
    assert open_sockets() - before < 6


def test_one_client_from_many_threads_and_back(emulator: Any) -> None:
    """Threads come and go; the client keeps working in each of them and in the main thread."""
    client = our_client(emulator)
    answers: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                result = client.converse(modelId=MODEL, messages=MESSAGES)
                answers.append(result["output"]["message"]["content"][0]["text"])
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    for _ in range(3):
        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert errors == []
    assert len(answers) == 3 * 8 * 5 and len(set(answers)) == 1


def run_script(source: str, env: dict[str, str], timeout: float = 60) -> Any:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_a_call_from_a_signal_handler_during_a_blocking_call(emulator: Any) -> None:
    """The handler runs on the main thread while it waits for the first call; its own call
    must not deadlock or panic (tokio cannot nest waits on one thread)."""
    emulator.delay_first_byte(MODEL, 1.0)
    outcome = run_script(
        f"""
        import json, signal, bedrock_cris
        client = bedrock_cris.client(
            "bedrock-runtime", region_name={REGION!r}, endpoint_url={emulator.endpoint_url!r},
            aws_access_key_id={ACCESS_KEY!r}, aws_secret_access_key={SECRET_KEY!r},
        )
        messages = {MESSAGES!r}
        seen = []
        def handler(signum, frame):
            answer = client.converse(modelId={OTHER_MODEL!r}, messages=messages)
            seen.append(answer["stopReason"])
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        answer = client.converse(modelId={MODEL!r}, messages=messages)
        print(json.dumps([seen, answer["stopReason"]]))
        """,
        env={},
    )
    assert outcome == [["end_turn"], "end_turn"]


CREDENTIALS_SERVER = """
    import datetime, http.server, json, threading
    connections, requests = set(), [0]
    class Credentials(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the client pools the connection
        def do_GET(self):
            connections.add(self.client_address)
            requests[0] += 1
            soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
            body = json.dumps({
                "AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY, "Token": "token",
                "Expiration": soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Credentials)
    threading.Thread(target=server.serve_forever, daemon=True).start()
"""


def test_credentials_refreshed_from_any_thread(emulator: Any) -> None:
    """Credentials about to expire are fetched again by whichever thread calls next, over
    the credential provider's pooled connection. That connection must not belong to a
    thread that is idle (it would never be driven, and the call would hang)."""
    outcome = run_script(
        f"""
        import json, os, threading, time
        ACCESS_KEY, SECRET_KEY = {ACCESS_KEY!r}, {SECRET_KEY!r}
        {textwrap.indent(textwrap.dedent(CREDENTIALS_SERVER), " " * 8).strip()}
        os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = (
            f"http://127.0.0.1:{{server.server_address[1]}}/credentials"
        )
        import bedrock_cris
        client = bedrock_cris.client(
            "bedrock-runtime", region_name={REGION!r}, endpoint_url={emulator.endpoint_url!r}
        )
        messages = {MESSAGES!r}
        asked, answered = threading.Event(), threading.Event()
        stop = []
        def other_thread():
            while True:
                asked.wait(); asked.clear()
                if stop:
                    return
                client.converse(modelId={MODEL!r}, messages=messages)
                answered.set()
        thread = threading.Thread(target=other_thread); thread.start()
        durations = []
        for _ in range(4):
            asked.set(); assert answered.wait(10); answered.clear()
            time.sleep(0.1)  # the other thread is idle now, waiting to be asked
            started = time.monotonic()
            client.converse(modelId={MODEL!r}, messages=messages)
            durations.append(time.monotonic() - started)
        stop.append(True); asked.set(); thread.join()
        print(json.dumps([max(durations), len(connections), requests[0]]))
        """,
        env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": ""},
    )
    slowest, connections, requests = outcome
    assert slowest < 1.0
    # Fetched again for every call (they expire within the SDK's refresh margin), over
    # fewer connections than fetches: pooled connections were reused across threads.
    assert requests >= 8
    assert connections < requests
