"""Job files in S3 (JOBS_BUCKET, boto3), the JobFiles protocol of app.features.jobs.files: inputs, one
object per finished page, the result.

    <JOBS_S3_PREFIX><job id>/input/<n>
    <JOBS_S3_PREFIX><job id>/pages/<n>-<page>.json
    <JOBS_S3_PREFIX><job id>/result.json

S3_ENDPOINT_URL points boto3 at MinIO/LocalStack/moto; credentials come from the usual AWS chain
(task role, env). Synchronous: callers run it in a thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from app.core.config import Settings
from app.features.jobs.files import RESULT_NAME, input_name, page_name, parse_page_name, to_json


class S3Files:
    def __init__(self, settings: Settings) -> None:
        if not settings.jobs_bucket:
            raise ValueError("JOBS_BUCKET is not set")
        self.bucket = settings.jobs_bucket
        self.prefix = settings.jobs_s3_prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.aws_region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=20),
        )

    name = "s3"

    def key(self, job_id: str, name: str = "") -> str:
        return f"{self.prefix}{job_id}/{name}"

    # the JobFiles protocol
    def adopt_inputs(self, job_id: str, staged: list[tuple[Path, str]]) -> list[str]:
        keys = []
        for i, (path, sha256) in enumerate(staged):
            self.upload(path, self.key(job_id, input_name(i)), sha256)
            path.unlink(missing_ok=True)
            keys.append(self.key(job_id, input_name(i)))
        return keys

    def load_input(self, job_id: str, index: int) -> bytes:
        return self.get_bytes(self.key(job_id, input_name(index)))

    def save_page(self, job_id: str, index: int, page: int, result: dict[str, Any]) -> None:
        self.put_json(self.key(job_id, page_name(index, page)), result)

    def load_page(self, job_id: str, index: int, page: int) -> dict[str, Any]:
        data: dict[str, Any] = self.get_json(self.key(job_id, page_name(index, page)))
        return data

    def completed_pages(self, job_id: str) -> set[tuple[int, int]]:
        found = (parse_page_name(k) for k in self.keys(self.key(job_id, "pages/")))
        return {f for f in found if f is not None}

    def save_result(self, job_id: str, result: dict[str, Any]) -> str:
        self.put_json(self.key(job_id, RESULT_NAME), result)
        return self.key(job_id, RESULT_NAME)

    def load_result(self, job_id: str) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self.get_json_or_none(self.key(job_id, RESULT_NAME))
        return data

    def delete_job(self, job_id: str) -> None:
        keys = self.keys(self.key(job_id))
        for i in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True},
            )

    def remove_orphans(self, known: set[str], older_than_s: float = 3600.0) -> int:
        return 0  # uploads go straight to the job's prefix; the bucket's lifecycle rule is the backstop

    # objects
    def upload(self, path: Path, key: str, sha256: str | None = None) -> None:
        extra: dict[str, Any] = {"ServerSideEncryption": "AES256"}
        if sha256:
            extra["Metadata"] = {"sha256": sha256}
        self.client.upload_file(str(path), self.bucket, key, ExtraArgs=extra)

    def get_bytes(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return data

    def put_json(self, key: str, value: Any) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=to_json(value),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def get_json_or_none(self, key: str) -> Any:
        try:
            return self.get_json(key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            out.extend(obj["Key"] for obj in page.get("Contents", []))
        return out
