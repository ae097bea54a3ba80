"""AWS Bedrock Runtime backend: the Converse API through boto3.

Credentials come from the usual AWS chain (task role, instance profile, environment); the model id from
CHATOCR_MODEL and the region from AWS_REGION. Timeouts are enforced by botocore (connect/read) with
retries limited so that one call stays within CHATOCR_TIMEOUT_S; the pipeline adds a hard deadline on top.
"""

from __future__ import annotations

import logging
from typing import Any

from app.features.extraction.llm.base import LlmError, LlmTimeout

log = logging.getLogger(__name__)

_TIMEOUT_CODES = {"ModelTimeoutException", "RequestTimeout", "RequestTimeoutException"}


class BedrockBackend:
    name = "bedrock"

    def __init__(
        self,
        model: str,
        *,
        region: str,
        timeout_s: float,
        client: Any = None,
        max_tokens: int = 2048,
    ) -> None:
        self.model = model
        self.region = region
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self._client = client if client is not None else self._make_client(region, timeout_s)

    @staticmethod
    def _make_client(region: str, timeout_s: float) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            region_name=region,
            connect_timeout=min(5.0, timeout_s),
            read_timeout=timeout_s,
            # one retry for throttling; a hung call is cut by the pipeline's hard deadline anyway
            retries={"total_max_attempts": 2, "mode": "standard"},
        )
        return boto3.client("bedrock-runtime", config=config)

    @property
    def client(self) -> Any:
        return self._client

    def complete(self, system: str, user: str, *, timeout_s: float) -> str:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            ReadTimeoutError,
        )

        try:
            response = self._client.converse(
                modelId=self.model,
                system=[{"text": system}],
                messages=[{"role": "user", "content": [{"text": user}]}],
                inferenceConfig={"maxTokens": self.max_tokens, "temperature": 0.0},
            )
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise LlmTimeout(f"bedrock: {exc}") from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _TIMEOUT_CODES:
                raise LlmTimeout(f"bedrock: {code}") from exc
            raise LlmError(f"bedrock: {code or exc}") from exc
        except BotoCoreError as exc:
            raise LlmError(f"bedrock: {type(exc).__name__}: {exc}") from exc
        return _text_of(response)


def _text_of(response: Any) -> str:
    try:
        content = response["output"]["message"]["content"]
        parts = [c["text"] for c in content if isinstance(c, dict) and "text" in c]
    except (KeyError, TypeError) as exc:
        raise LlmError("bedrock: the converse response has no output message") from exc
    if response.get("stopReason") == "max_tokens":
        log.warning("bedrock answer truncated at maxTokens")
    if not parts:
        raise LlmError("bedrock: the converse response has no text content")
    return "".join(parts)
