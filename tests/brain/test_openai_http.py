"""The OpenAI-compatible HTTP engine against a real streaming server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import aclosing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kiosk.brain import make_engine
from kiosk.brain.base import ChatMessage, GenerationOptions, LLMEngine
from kiosk.brain.core import Brain
from kiosk.brain.memory import llm_extract
from kiosk.brain.openai_http import HTTPEngineError, OpenAIHTTPEngine, parse_sse_line
from kiosk.brain.persona import Persona
from kiosk.brain.scripted import ScriptedEngine
from kiosk.config import BrainSettings, Settings
from kiosk.errors import ConfigError
from kiosk.events import ReplyDone
from kiosk.paths import CONTENT_DIR, Paths


class _Server:
    """A tiny chat server: streams ``pieces`` as OpenAI SSE chunks, records requests."""

    def __init__(self) -> None:
        self.pieces: list[str] = ["Привет", "! Я ", "Аня", "."]
        self.delay = 0.0
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.sent = 0
        self.disconnected = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = json.dumps({"data": [{"id": "qwen3:4b"}, {"id": "tiny"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                owner.requests.append(json.loads(self.rfile.read(length)))
                owner.headers.append(dict(self.headers))
                if owner.status != 200:
                    self.send_error(owner.status, "model not found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    self.wfile.write(b": keep-alive\n\n")
                    for piece in owner.pieces:
                        chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                        data = json.dumps(chunk, ensure_ascii=False)
                        self.wfile.write(f"data: {data}\n\n".encode())
                        self.wfile.flush()
                        owner.sent += 1
                        time.sleep(owner.delay)
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    owner.disconnected.set()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.close()


def _collect(engine: OpenAIHTTPEngine, cancel: threading.Event | None = None) -> list[str]:
    messages = [ChatMessage("system", "Ты Аня."), ChatMessage("user", "Привет")]
    options = GenerationOptions(max_tokens=50, temperature=0.3, stop=("\n\n",))
    return list(engine.stream(messages, options, cancel or threading.Event()))


def test_streams_pieces_and_sends_an_openai_request(server: _Server) -> None:
    engine = OpenAIHTTPEngine(server.url, model="qwen3:4b", api_key="secret")
    assert isinstance(engine, LLMEngine)
    assert _collect(engine) == ["Привет", "! Я ", "Аня", "."]
    request = server.requests[0]
    assert request["model"] == "qwen3:4b" and request["stream"] is True
    assert request["messages"][1] == {"role": "user", "content": "Привет"}
    assert (request["max_tokens"], request["stop"]) == (50, ["\n\n"])
    assert server.headers[0]["Authorization"] == "Bearer secret"
    assert engine.list_models() == ["qwen3:4b", "tiny"]


def test_cancel_stops_reading_and_drops_the_connection(server: _Server) -> None:
    server.pieces = [f"слово{i} " for i in range(200)]
    server.delay = 0.01
    engine = OpenAIHTTPEngine(server.url)
    cancel = threading.Event()
    got = []
    for piece in engine.stream([ChatMessage("user", "x")], GenerationOptions(), cancel):
        got.append(piece)
        if len(got) == 3:
            cancel.set()
    assert len(got) == 3
    assert server.disconnected.wait(5.0)
    assert server.sent < 200


def test_server_error_and_unreachable_server_are_clear(server: _Server) -> None:
    server.status = 404
    with pytest.raises(HTTPEngineError, match="404"):
        _collect(OpenAIHTTPEngine(server.url, model="nope"))
    server.close()
    with pytest.raises(HTTPEngineError, match="not reachable"):
        _collect(OpenAIHTTPEngine(server.url))
    with pytest.raises(ConfigError):
        OpenAIHTTPEngine("ftp://example")


def test_brain_falls_back_to_the_dialogues_when_the_server_is_down(anya: Persona) -> None:
    engine = OpenAIHTTPEngine("http://127.0.0.1:9/v1", timeout_s=2.0)
    fallback = ScriptedEngine(CONTENT_DIR / "dialogues", anya, seed=1)
    brain = Brain(engine, anya, BrainSettings(), fallback=fallback)

    async def run() -> ReplyDone:
        async with aclosing(brain.reply("Привет!")) as stream:
            return [e async for e in stream if isinstance(e, ReplyDone)][0]

    done = asyncio.run(run())
    assert done.engine == "scripted" and done.text


def test_make_engine_builds_the_http_engine_from_settings(
    server: _Server, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_TEST_KEY", "k123")
    settings = Settings(
        brain={
            "engine": "http",
            "http_base_url": server.url,
            "http_model": "tiny",
            "http_api_key_env": "KIOSK_TEST_KEY",
        }
    )
    engine = make_engine(settings, paths)
    assert isinstance(engine, OpenAIHTTPEngine) and engine.name == "http:tiny"
    assert "".join(_collect(engine)) == "Привет! Я Аня."
    assert server.headers[0]["Authorization"] == "Bearer k123"


def test_sse_lines() -> None:
    assert parse_sse_line(b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n') == "Hi"
    assert parse_sse_line(b'data: {"choices":[{"delta":{"role":"assistant"}}]}') == ""
    assert parse_sse_line(b": ping") == ""
    assert parse_sse_line(b"data: [DONE]") is None
    with pytest.raises(HTTPEngineError):
        parse_sse_line(b'data: {"error": {"message": "boom"}}')


def test_llm_fact_extraction_through_the_server(server: _Server) -> None:
    server.pieces = ["likes | Любит шахматы\n", "pets | Есть попугай Кеша\n", "bogus | x\n"]
    facts = llm_extract(OpenAIHTTPEngine(server.url), "Я обожаю шахматы, а ещё у меня попугай")
    assert [(f.category, f.text) for f in facts] == [
        ("likes", "Любит шахматы"),
        ("pets", "Есть попугай Кеша"),
    ]
    assert "категория" in server.requests[0]["messages"][0]["content"]
