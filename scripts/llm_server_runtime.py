"""The local llm-model-server's process: cyllama's OpenAI-compatible server (llama.cpp through its bindings)
with three fixes. Runs in the runtime's own environment (``scripts/llm_server.py serve`` starts it there).

    <venv>/bin/python scripts/llm_server_runtime.py MODEL.gguf HOST PORT CTX MODEL_NAME

What cyllama 0.2.18's server does and what is changed here (each one measured on this machine):
- a slot kept the previous request's KV cache, so every answer after the first was empty: the cache is
  cleared when a request ends;
- the prompt was ``System: …\\nUser: …`` whatever the model: the model's own chat template is applied;
- one request at a time on a plain ``HTTPServer``: ``/v1/models`` and ``/health`` waited for a generation
  (the API's probe saw a busy server as down); the HTTP side is threaded and generations take turns
  (one slot), so probes are answered meanwhile.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

from cyllama.llama.llama_cpp import LlamaChatMessage
from cyllama.llama.server import python as cyl


class _Slot(cyl.ServerSlot):  # type: ignore[misc]
    def reset(self) -> None:
        super().reset()
        self.context.kv_cache_clear()


cyl.ServerSlot = _Slot


class Server(cyl.PythonServer):  # type: ignore[misc]
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._turn = threading.Lock()

    def _messages_to_prompt(self, messages: list[Any]) -> str:
        chat = [LlamaChatMessage(role=m.role, content=m.content) for m in messages]
        prompt: str = self.model.chat_apply_template(self.model.get_default_chat_template(), chat, True)
        return prompt

    def process_chat_completion(self, request: Any) -> Any:
        with self._turn:
            return super().process_chat_completion(request)

    def start(self) -> bool:
        if not self.load_model():
            return False
        self.httpd = ThreadingHTTPServer((self.config.host, self.config.port), self._create_request_handler())
        self.httpd.daemon_threads = True
        self.running = True
        self.server_thread = threading.Thread(target=self._server_loop, daemon=True)
        self.server_thread.start()
        return True


def main() -> int:
    model, host, port, ctx, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    # the whole prompt is decoded in one batch: a batch smaller than the context fails on long prompts
    config = cyl.ServerConfig(
        model_path=model, host=host, port=port, n_ctx=ctx, n_batch=ctx, n_gpu_layers=0, model_alias=name
    )
    server = Server(config)
    if not server.start():
        print("the LLM server did not start", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"llm-model-server: {model} as {name} on http://{host}:{port}/v1", flush=True)
    while not stop.is_set():
        time.sleep(0.2)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
