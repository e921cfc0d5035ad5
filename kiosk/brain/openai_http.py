"""An LLM engine over an OpenAI-compatible HTTP server (llama.cpp server, Ollama, vLLM).

For households whose model runs on another box on the home network. Off by
default (``brain.engine = "http"`` turns it on). Uses only the standard library:
``POST {base_url}/chat/completions`` with ``stream: true`` and reads the
server-sent events (``data: {json}`` lines, ending with ``data: [DONE]``).
Cancelling closes the connection, which makes these servers stop generating.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from kiosk.brain.base import ChatMessage, GenerationOptions
from kiosk.errors import ConfigError, KioskError

__all__ = ["HTTPEngineError", "OpenAIHTTPEngine", "parse_sse_line"]

_LOGGER = logging.getLogger(__name__)


class HTTPEngineError(KioskError):
    """The chat server could not be reached or answered with an error."""

    exit_code = 3


def parse_sse_line(line: bytes) -> str | None:
    """The text piece in one SSE line (``""`` for none, ``None`` at ``data: [DONE]``)."""
    line = line.strip()
    if not line.startswith(b"data:"):
        return ""  # comments (": keep-alive"), "event:" lines, blank separators
    data = line[5:].strip()
    if data == b"[DONE]":
        return None
    try:
        chunk = json.loads(data)
    except ValueError:
        _LOGGER.debug("ignoring a non-JSON SSE line: %r", data[:80])
        return ""
    if isinstance(chunk, dict) and "error" in chunk:
        raise HTTPEngineError(
            f"The chat server reported an error: {chunk['error']}",
            "check brain.http_model and the server's log",
        )
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not choices:
        return ""
    delta = choices[0].get("delta") or {}
    piece = delta.get("content")
    return piece if isinstance(piece, str) else ""


class OpenAIHTTPEngine:
    """An ``LLMEngine`` that streams replies from ``{base_url}/chat/completions``."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "",
        api_key: str = "",
        timeout_s: float = 30.0,
    ) -> None:
        """Remember where the server is (nothing is sent until the first reply)."""
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"brain.http_base_url {base_url!r} is not an http(s) URL",
                "set it like http://192.168.1.20:8080/v1 (llama.cpp) or "
                "http://192.168.1.20:11434/v1 (Ollama)",
            )
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.name = f"http:{model or self._host}"

    @classmethod
    def from_settings(cls, settings: Any) -> OpenAIHTTPEngine:
        """Build from ``BrainSettings`` (the key is read from ``http_api_key_env``)."""
        key = os.environ.get(settings.http_api_key_env, "") if settings.http_api_key_env else ""
        return cls(
            settings.http_base_url,
            model=settings.http_model,
            api_key=key,
            timeout_s=settings.http_timeout_s,
        )

    def _connection(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=self.timeout_s)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _unreachable(self, exc: BaseException) -> HTTPEngineError:
        return HTTPEngineError(
            f"The chat server at {self.base_url} is not reachable: {exc}",
            "start the server (llama-server / ollama serve), check brain.http_base_url, "
            'or set brain.engine = "auto" to use the local model',
        )

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str]:
        """Yield the reply's pieces as the server streams them; stop once ``cancel`` is set."""
        body: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
        }
        if self.model:
            body["model"] = self.model
        if options.stop:
            body["stop"] = list(options.stop)
        conn = self._connection()
        try:
            try:
                conn.request(
                    "POST",
                    f"{self._prefix}/chat/completions",
                    body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    headers=self._headers(),
                )
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                raise self._unreachable(exc) from exc
            if response.status != 200:
                detail = response.read(300).decode("utf-8", "replace").strip()
                raise HTTPEngineError(
                    f"The chat server answered {response.status} {response.reason}: {detail}",
                    "check brain.http_model (the server must have it) and brain.http_api_key_env",
                )
            while not cancel.is_set():
                try:
                    line = response.readline()
                except TimeoutError as exc:
                    raise HTTPEngineError(
                        f"The chat server sent nothing for {self.timeout_s:g} s",
                        "the server is overloaded or stuck: raise brain.http_timeout_s "
                        "or restart it",
                    ) from exc
                if not line:
                    break  # the server closed the stream
                piece = parse_sse_line(line)
                if piece is None:
                    break
                if piece:
                    yield piece
            if cancel.is_set():
                _LOGGER.debug("http generation cancelled; closing the connection")
        finally:
            conn.close()

    def list_models(self) -> list[str]:
        """Model ids the server offers (``GET {base_url}/models``), for ``kiosk doctor``."""
        conn = self._connection()
        try:
            conn.request("GET", f"{self._prefix}/models", headers=self._headers())
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise self._unreachable(exc) from exc
        finally:
            conn.close()
        return [str(item.get("id", "")) for item in data.get("data", []) if isinstance(item, dict)]
