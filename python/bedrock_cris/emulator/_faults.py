"""Fault injection, the part of :class:`bedrock_cris.emulator.Emulator` that breaks answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, cast

from bedrock_cris._native import EmulatorServer

__all__ = ["Faults", "StreamFaultMode"]

#: How a faulted stream ends: an exception event, a dropped connection, silence, the end of the
#: response inside a frame, or a frame with a wrong CRC.
StreamFaultMode = Literal["exception", "cut", "stall", "truncate", "corrupt_crc"]


class Faults:
    """Fault methods of the emulator: errors, resets, delays, stalls and broken streams, per
    model id (or ``"*"``) and source Region, for the next ``times`` requests and/or a seeded
    ``fraction`` of them."""

    def _require(self) -> EmulatorServer:
        raise NotImplementedError

    def inject(self, *faults: Mapping[str, Any]) -> None:
        """Adds faults in their JSON form, as ``POST /_emulator/faults`` takes them (all or none).

        Each is ``{"model_id": "*", "action": ..., "times": n, "fraction": p, ...}`` with
        ``action`` one of ``"error"`` (``code``, ``message``, ``status``), ``"reset"``,
        ``"delay"`` (``seconds``), ``"stall_body"`` (``after_bytes``) or ``"stream"``
        (``after_events``, ``end``: ``"exception"``, ``"cut"``, ``"stall"``, ``"truncate"``,
        ``"corrupt_crc"``). Raises ``ValueError`` for a spec it cannot use.
        """
        self._require().add_faults(json.dumps(list(faults)))

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The faults in force, in their JSON form (counted-down ``times`` included)."""
        return cast("list[dict[str, Any]]", json.loads(self._require().faults_json()))

    @staticmethod
    def _spec(
        action: str, model_id: str, times: int | None, fraction: float | None, **members: Any
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {"model_id": model_id, "action": action}
        # ``region=None`` (every Region) is left out, as the other unset members are.
        if times is not None:
            spec["times"] = times
        if fraction is not None:
            spec["fraction"] = fraction
        spec.update({k: v for k, v in members.items() if v is not None})
        return spec

    def fail(
        self,
        model_id: str,
        code: str,
        message: str | None = None,
        status: int | None = None,
        times: int | None = None,
        *,
        fraction: float | None = None,
        original_status_code: int | None = None,
        resource_name: str | None = None,
        region: str | None = None,
    ) -> None:
        """Makes requests for ``model_id`` answer the modelled error ``code``.

        Args:
            model_id: The model id as the client sends it, its bare foundation-model id
                (``anthropic.claude-haiku-4-5-20251001-v1:0``), or ``"*"`` for every request.
            code: Error code, e.g. ``"ThrottlingException"``.
            message: Error message (default: Bedrock's usual wording for the code).
            status: HTTP status (default: the one the service model gives the code), e.g. 500
                or 503 for server errors.
            times: ``None`` for every request, else only the next ``times`` requests.
            fraction: Apply to this fraction (0 to 1) of the matching requests, chosen by a
                deterministic function of the seed (:meth:`set_seed`).
            original_status_code: ``originalStatusCode`` member (ModelErrorException).
            resource_name: ``resourceName`` member (ModelErrorException).
            region: Only requests from this source Region (``None``: every Region); so do
                the other fault methods' ``region``.
        """
        self.inject(
            self._spec(
                "error",
                model_id,
                times,
                fraction,
                code=code,
                message=message,
                status=status,
                original_status_code=original_status_code,
                resource_name=resource_name,
                region=region,
            )
        )

    def throttle(
        self,
        model_id: str = "*",
        times: int | None = None,
        *,
        fraction: float | None = None,
        message: str | None = None,
        region: str | None = None,
    ) -> None:
        """Answers ``ThrottlingException`` (HTTP 429): the first ``times`` requests, a
        ``fraction`` of them, or all."""
        self.fail(
            model_id, "ThrottlingException", message, times=times, fraction=fraction, region=region
        )

    def reset_connection(
        self,
        model_id: str = "*",
        times: int | None = None,
        *,
        fraction: float | None = None,
        region: str | None = None,
    ) -> None:
        """Closes the connection without answering (clients see a dropped connection)."""
        self.inject(self._spec("reset", model_id, times, fraction, region=region))

    def delay_first_byte(
        self,
        model_id: str,
        seconds: float,
        times: int | None = None,
        *,
        fraction: float | None = None,
        region: str | None = None,
    ) -> None:
        """Waits ``seconds`` before sending anything of the answer (status line included)."""
        self.inject(self._spec("delay", model_id, times, fraction, seconds=seconds, region=region))

    def stall_body(
        self,
        model_id: str,
        after_bytes: int = 0,
        times: int | None = None,
        *,
        fraction: float | None = None,
        region: str | None = None,
    ) -> None:
        """Non-streaming answers: sends the status, the headers (with the full
        ``Content-Length``) and the first ``after_bytes`` bytes of the body, then nothing more
        until the client gives up or the emulator stops. (Streams: :meth:`fail_stream`.)"""
        self.inject(
            self._spec(
                "stall_body", model_id, times, fraction, after_bytes=after_bytes, region=region
            )
        )

    def fail_stream(
        self,
        model_id: str,
        after_events: int,
        mode: StreamFaultMode = "exception",
        code: str | None = None,
        message: str | None = None,
        times: int | None = None,
        *,
        fraction: float | None = None,
        region: str | None = None,
    ) -> None:
        """Breaks streamed answers for ``model_id``.

        Applies to ConverseStream, InvokeModelWithResponseStream and
        InvokeModelWithBidirectionalStream. The stream sends its first ``after_events`` events,
        then:

        * ``"exception"``: an exception event ``code`` (default ``ModelStreamErrorException``;
          boto3 raises it while iterating), then the response ends;
        * ``"cut"``: the connection is dropped mid-response;
        * ``"stall"``: nothing more is sent and the connection stays open until the client
          times out or the emulator stops;
        * ``"truncate"``: the first half of the next event, then the response ends normally;
        * ``"corrupt_crc"``: the next event with a wrong message CRC (then the rest).

        ``times`` and ``fraction`` work as in :meth:`fail`.
        """
        end_members: dict[str, Any] = (
            {"code": code, "message": message} if mode == "exception" else {}
        )
        self.inject(
            self._spec(
                "stream",
                model_id,
                times,
                fraction,
                after_events=after_events,
                end=mode,
                region=region,
                **end_members,
            )
        )

    def set_seed(self, seed: int) -> None:
        """Sets the seed that decides which requests a ``fraction`` fault picks (default 0):
        the same seed and faults pick the same requests."""
        self._require().set_fault_seed(seed)
