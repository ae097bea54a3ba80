"""Job files in S3 (JOBS_BUCKET, boto3): inputs, one object per finished page, the result.

    <JOBS_S3_PREFIX><job id>/input/<n>
    <JOBS_S3_PREFIX><job id>/pages/<n>-<page>.json
    <JOBS_S3_PREFIX><job id>/result.json

S3_ENDPOINT_URL points boto3 at MinIO/LocalStack/moto; credentials come from the usual AWS chain
(task role, env). Synchronous: the API calls it from a thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from app.core.config import Settings


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

    # keys
    def job_prefix(self, job_id: str) -> str:
        return f"{self.prefix}{job_id}/"

    def input_key(self, job_id: str, index: int) -> str:
        return f"{self.job_prefix(job_id)}input/{index}"

    def page_key(self, job_id: str, index: int, page: int) -> str:
        return f"{self.job_prefix(job_id)}pages/{index}-{page:05d}.json"

    def result_key(self, job_id: str) -> str:
        return f"{self.job_prefix(job_id)}result.json"

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
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
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

    def completed_pages(self, job_id: str) -> set[tuple[int, int]]:
        done: set[tuple[int, int]] = set()
        for key in self.keys(f"{self.job_prefix(job_id)}pages/"):
            stem = key.rsplit("/", 1)[-1].removesuffix(".json")
            a, _, b = stem.partition("-")
            if a.isdigit() and b.isdigit():
                done.add((int(a), int(b)))
        return done

    def delete_job(self, job_id: str) -> int:
        keys = self.keys(self.job_prefix(job_id))
        for i in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True},
            )
        return len(keys)
