"""Engine profiles over real HTTP: /models with versions, a request pinned to a profile, unknown profiles,
sticky A/B by caller, shadow reads after the answer, metrics by profile, the memory budget and idle
unloading. Fake engines (one set per profile, each signing its readings with the profile's name) sit
behind the real runtime, routes and uvicorn."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from app.auth.api_key import api_key_id
from app.core.config import SettingsError
from app.engines.base import Recognized
from app.engines.profiles import Profile, ab_profile, load_profiles
from app.main import create_app
from tests.conftest import REPO, TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.render import render_lines, to_bytes

H = {"x-api-key": TEST_KEY}


class SignedEngines(SlowFakeEngines):
    """Fake engines that put their profile's name in every reading and in the models they describe."""

    def __init__(self, tag: str, det_s: float = 0.0, rec_s: float = 0.0) -> None:
        super().__init__(det_s=det_s, rec_s=rec_s)
        self.tag = tag

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        return [Recognized(f"{self.tag} line", r.confidence) for r in super().recognize(crops)]

    def describe(self, lang: str) -> dict:
        return {**super().describe(lang), "models": {"det": f"{self.tag}-det", "rec": f"{self.tag}-rec"}}


@pytest.fixture(scope="module")
def png() -> bytes:
    img, _ = render_lines(["hello"], font_name="dejavu", width=300, height=120, margin=10)
    return to_bytes(img)


def write_profiles(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


PROFILES = """
profiles:
  - name: {name}
    ocr_det_min_scale: 0.75
    OCR_REC_PREPROCESS: clahe
"""


def serve(
    tmp_path: Path, body: str, delays: dict[str, dict[str, float]] | None = None, **settings: Any
) -> ThreadServer:
    models = tmp_path / "models"
    models.mkdir(exist_ok=True)
    s = make_settings(ocr_profiles_file=write_profiles(tmp_path / "profiles.yaml", body), models_dir=models, **settings)

    def factory(profile: Profile, on: Any, part: str) -> SignedEngines:
        return SignedEngines(profile.name, **(delays or {}).get(profile.name, {}))

    return ThreadServer(create_app(s, profile_factory=factory))


def post(
    url: str, png: bytes, path: str = "/ocr", headers: dict[str, str] | None = None, **form: str
) -> httpx.Response:
    return httpx.post(
        url + path, headers=headers or H, files={"file": ("a.png", png, "image/png")}, data=form, timeout=30
    )


def metric(url: str, name: str, **labels: str) -> float:
    """The value of one sample on /metrics (0 when absent)."""
    text = httpx.get(url + "/metrics", headers=H).text
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return 0.0


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_models_lists_the_profiles_with_versions(tmp_path: Path) -> None:
    with serve(tmp_path, PROFILES.format(name="candidate")) as srv:
        assert httpx.get(srv.url + "/models").status_code == 401
        r = httpx.get(srv.url + "/models", headers=H)
        assert r.status_code == 200
        rows = {p["name"]: p for p in r.json()["profiles"]}
        assert list(rows) == ["default", "candidate"]
        assert rows["default"]["default"] is True and rows["candidate"]["default"] is False
        assert rows["default"]["loaded"] is True and rows["candidate"]["loaded"] is False  # lazy
        assert re.fullmatch(r"[0-9a-f]{12}", rows["candidate"]["version"])
        assert rows["candidate"]["version"] != rows["default"]["version"]
        assert rows["candidate"]["overrides"] == {"ocr_det_min_scale": 0.75, "ocr_rec_preprocess": "clahe"}
        assert rows["candidate"]["models"]["det"] == "PP-OCRv6_small_det"
        assert "korean" in rows["candidate"]["languages"] and "en" in rows["candidate"]["languages"]


def test_the_version_follows_the_settings_and_the_model_files(tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "PP-OCRv6_tiny_det").mkdir(parents=True)
    weights = models / "PP-OCRv6_tiny_det" / "inference.onnx"
    weights.write_bytes(b"weights one")
    body = "profiles:\n  - name: tiny\n    ocr_det_model: PP-OCRv6_tiny_det\n    ocr_det_text_px: {px}\n"

    def versions(px: int) -> dict[str, str]:
        path = write_profiles(tmp_path / "p.yaml", body.format(px=px))
        profiles = load_profiles(make_settings(ocr_profiles_file=path, models_dir=models))
        return {name: p.version for name, p in profiles.items()}

    first = versions(16)
    assert versions(16) == first  # the same settings and files: the same version
    assert versions(20)["tiny"] != first["tiny"] and versions(20)["default"] == first["default"]
    weights.write_bytes(b"weights two")  # a model file changes
    assert versions(16)["tiny"] != first["tiny"]
    # and /models reports it
    path = write_profiles(tmp_path / "p.yaml", body.format(px=16))
    with ThreadServer(
        create_app(make_settings(ocr_profiles_file=path, models_dir=models), lambda: SlowFakeEngines())
    ) as srv:
        rows = {p["name"]: p for p in httpx.get(srv.url + "/models", headers=H).json()["profiles"]}
        assert rows["tiny"]["version"] == versions(16)["tiny"] != first["tiny"]


def test_a_request_pinned_to_a_profile_reads_with_its_engines(tmp_path: Path, png: bytes) -> None:
    with serve(tmp_path, PROFILES.format(name="pinned")) as srv:
        versions = {p["name"]: p["version"] for p in httpx.get(srv.url + "/models", headers=H).json()["profiles"]}
        r = post(srv.url, png, profile="pinned")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["text"] == "pinned line"
        assert body["engine"]["models"] == {"det": "pinned-det", "rec": "pinned-rec"}
        assert body["engine"]["profile"] == "pinned" and body["engine"]["profile_version"] == versions["pinned"]
        # without the field: default
        plain = post(srv.url, png).json()
        assert plain["text"] == "default line" and plain["engine"]["profile"] == "default"
        assert plain["engine"]["profile_version"] == versions["default"]
        # /ocr/batch: every file with the profile
        batch = httpx.post(
            srv.url + "/ocr/batch",
            headers=H,
            files=[("files", ("a.png", png, "image/png")), ("files", ("b.png", png, "image/png"))],
            data={"profile": "pinned"},
            timeout=30,
        )
        assert [item["result"]["engine"]["profile"] for item in batch.json()["results"]] == ["pinned", "pinned"]
        assert [item["result"]["text"] for item in batch.json()["results"]] == ["pinned line", "pinned line"]
        # /extraction takes the field too
        ex = post(srv.url, png, "/extraction", profile="pinned", fields="total")
        assert ex.status_code == 200, ex.text
        assert metric(srv.url, "ocr_profile_requests_total", profile="pinned", route="/extraction", status="200") == 1
        loaded = {p["name"]: p["loaded"] for p in httpx.get(srv.url + "/models", headers=H).json()["profiles"]}
        assert loaded["pinned"] is True


def test_a_job_reads_with_the_profile_it_names_or_the_callers_ab_pick(tmp_path: Path, png: bytes) -> None:
    from tests.jobs.conftest import submit, wait_job

    keys = [f"caller-key-{i:04d}-abcdefgh" for i in range(40)]
    with serve(
        tmp_path, PROFILES.format(name="pinned"), data_dir=tmp_path / "data", ocr_ab="pinned=50", api_key=",".join(keys)
    ) as srv:
        job = submit(srv.url, png, "a.png", headers={"x-api-key": keys[0]}, profile="pinned")
        assert job.status_code == 202, job.text
        done = wait_job(srv.url, job.json()["job_id"], headers={"x-api-key": keys[0]})
        assert done["status"] == "succeeded", done
        assert done["result"]["text"] == "pinned line" and done["result"]["engine"]["profile"] == "pinned"
        # without the field: the caller's sticky A/B pick, as for /ocr
        picks = set()
        for key in keys[:6]:
            expected = ab_profile({"pinned": 50.0}, api_key_id(key))
            h = {"x-api-key": key}
            body = wait_job(srv.url, submit(srv.url, png, "a.png", headers=h).json()["job_id"], headers=h)
            assert body["result"]["engine"]["profile"] == expected, key
            assert body["result"]["text"] == f"{expected} line"
            assert post(srv.url, png, headers=h).json()["engine"]["profile"] == expected
            picks.add(expected)
        assert picks == {"default", "pinned"}


@pytest.mark.parametrize("path", ["/ocr", "/ocr/batch", "/structure", "/extraction", "/jobs"])
def test_an_unknown_profile_is_422(tmp_path: Path, png: bytes, path: str) -> None:
    with serve(tmp_path, PROFILES.format(name="candidate"), data_dir=tmp_path / "data") as srv:
        files = {"files" if path == "/ocr/batch" else "file": ("a.png", png, "image/png")}
        r = httpx.post(srv.url + path, headers=H, files=files, data={"profile": "nope", "fields": "total"}, timeout=30)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "unknown_profile"
        assert "'nope'" in err["message"] and "candidate" in err["message"]
        assert err["details"]["profiles"] == ["default", "candidate"]
        assert err["request_id"] == r.headers["x-request-id"]
        assert httpx.get(srv.url + "/health").status_code == 200  # and the service serves on


def test_ab_is_sticky_per_caller_with_the_configured_share(tmp_path: Path, png: bytes) -> None:
    keys = [f"caller-key-{i:04d}-abcdefgh" for i in range(40)]
    with serve(tmp_path, PROFILES.format(name="abtest"), api_key=",".join(keys), ocr_ab="abtest=25") as srv:
        seen: dict[str, set[str]] = {}
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            for key in keys + keys:
                r = client.post("/ocr", headers={"x-api-key": key}, files={"file": ("a.png", png, "image/png")})
                assert r.status_code == 200, r.text
                body = r.json()
                assert body["text"] == f"{body['engine']['profile']} line"  # read by the profile it names
                seen.setdefault(key, set()).add(body["engine"]["profile"])
            assert all(len(profiles) == 1 for profiles in seen.values())  # one caller, always the same profile
            picked = {key for key, profiles in seen.items() if profiles == {"abtest"}}
            assert 0 < len(picked) < len(keys) / 2, len(picked)
            # the same pick as the routing rule's over the caller's key id, which over many callers gives
            # the configured share
            assert picked == {key for key in keys if ab_profile({"abtest": 25}, api_key_id(key)) == "abtest"}
            # an explicit profile still wins over the A/B pick
            r = client.post(
                "/ocr",
                headers={"x-api-key": min(picked)},
                files={"file": ("a.png", png, "image/png")},
                data={"profile": "default"},
            )
            assert r.json()["engine"]["profile"] == "default"
    many = [ab_profile({"abtest": 25, "other": 10}, f"caller-{i}") for i in range(20_000)]
    assert abs(many.count("abtest") / len(many) - 0.25) < 0.015
    assert abs(many.count("other") / len(many) - 0.10) < 0.01


def test_shadow_reads_never_slow_or_fail_the_caller(tmp_path: Path, png: bytes) -> None:
    delays = {"slowshadow": {"det_s": 1.5}}
    with serve(
        tmp_path,
        PROFILES.format(name="slowshadow"),
        delays,
        ocr_shadow="slowshadow=100",
        ocr_shadow_max_in_flight=1,
        ocr_profiles_preload=True,
    ) as srv:
        wait_for(lambda: all(p["loaded"] for p in httpx.get(srv.url + "/models", headers=H).json()["profiles"]))
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            r = post(srv.url, png)
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200 and r.json()["text"] == "default line"
            assert r.json()["engine"]["profile"] == "default"
        # the shadow detector takes 1.5 s; the caller's answers do not wait for it
        assert max(times) < 0.75, times
        # one shadow at a time (OCR_SHADOW_MAX_IN_FLIGHT=1): the two others were dropped, not queued
        assert metric(srv.url, "ocr_shadow_runs_total", profile="slowshadow", outcome="dropped_limit") == 2
        wait_for(lambda: metric(srv.url, "ocr_shadow_runs_total", profile="slowshadow", outcome="compared") == 1)
        count = metric(srv.url, "ocr_shadow_char_agreement_count", profile="slowshadow")
        total = metric(srv.url, "ocr_shadow_char_agreement_sum", profile="slowshadow")
        assert count == 1
        # "default line" against "slowshadow line": the same line count, some characters differ
        assert 0.2 < total < 0.9, total
        assert metric(srv.url, "ocr_shadow_line_count_diff_sum", profile="slowshadow") == 0
        assert metric(srv.url, "ocr_shadow_latency_seconds_sum", profile="slowshadow", side="shadow") >= 1.5
        assert metric(srv.url, "ocr_shadow_latency_seconds_count", profile="slowshadow", side="primary") == 1


def test_shadow_reads_are_dropped_while_requests_wait(tmp_path: Path, png: bytes) -> None:
    delays = {"default": {"det_s": 0.4}}
    settings = {"ocr_shadow": "busyshadow=100", "max_concurrent_requests": 1, "queue_max_size": 8}
    with serve(tmp_path, PROFILES.format(name="busyshadow"), delays, **settings) as srv:

        async def three() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=srv.url, headers=H, timeout=30) as c:
                files = {"file": ("a.png", png, "image/png")}
                return list(await asyncio.gather(*(c.post("/ocr", files=files) for _ in range(3))))

        responses = asyncio.run(three())
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert {r.json()["text"] for r in responses} == {"default line"}
        # the first answer's shadow found two requests waiting for the one slot: dropped, not queued
        assert metric(srv.url, "ocr_shadow_runs_total", profile="busyshadow", outcome="dropped_busy") >= 1
        wait_for(lambda: metric(srv.url, "ocr_shadow_runs_total", profile="busyshadow", outcome="compared") >= 1)


def test_metrics_by_profile(tmp_path: Path, png: bytes) -> None:
    with serve(tmp_path, PROFILES.format(name="metered")) as srv:
        for _ in range(2):
            assert post(srv.url, png, profile="metered").status_code == 200
        assert metric(srv.url, "ocr_profile_requests_total", profile="metered", route="/ocr", status="200") == 2
        assert metric(srv.url, "ocr_profile_request_duration_seconds_count", profile="metered", route="/ocr") == 2
        assert metric(srv.url, "ocr_profile_stage_seconds_count", profile="metered", kind="detect") == 2
        assert metric(srv.url, "ocr_profile_stage_seconds_count", profile="metered", kind="recognize") >= 2
        assert metric(srv.url, "ocr_profile_loaded", profile="metered") == 1


def test_a_profile_over_the_memory_budget_is_refused_with_503(tmp_path: Path, png: bytes) -> None:
    models = tmp_path / "models"
    for name, size in (("big_det", 3 << 20), ("small_det", 64 << 10)):
        (models / name).mkdir(parents=True)
        with open(models / name / "inference.onnx", "wb") as f:
            f.truncate(size)
    body = "profiles:\n  - name: big\n    ocr_det_model: big_det\n  - name: small\n    ocr_det_model: small_det\n"
    with serve(tmp_path, body, ocr_profiles_memory_mb=1) as srv:
        rows = {p["name"]: p for p in httpx.get(srv.url + "/models", headers=H).json()["profiles"]}
        assert rows["big"]["memory_estimate_mb"] >= 3 and rows["small"]["memory_estimate_mb"] < 1
        r = post(srv.url, png, profile="big")
        assert r.status_code == 503, r.text
        err = r.json()["error"]
        assert err["code"] == "profile_over_memory_budget" and "OCR_PROFILES_MEMORY_MB" in err["message"]
        assert int(r.headers["retry-after"]) >= 1
        assert post(srv.url, png, profile="small").json()["text"] == "small line"  # what fits still loads
        assert post(srv.url, png).status_code == 200  # and default is not affected
        loaded = {p["name"]: p["loaded"] for p in httpx.get(srv.url + "/models", headers=H).json()["profiles"]}
        assert loaded == {"default": True, "big": False, "small": True}


def test_an_idle_profile_is_unloaded(tmp_path: Path, png: bytes) -> None:
    with serve(tmp_path, PROFILES.format(name="idler"), ocr_profiles_idle_s=1.0) as srv:

        def loaded() -> bool:
            rows = httpx.get(srv.url + "/models", headers=H).json()["profiles"]
            return bool(next(p for p in rows if p["name"] == "idler")["loaded"])

        assert post(srv.url, png, profile="idler").json()["text"] == "idler line"
        assert loaded()
        wait_for(lambda: not loaded(), timeout=5)
        assert post(srv.url, png, profile="idler").json()["text"] == "idler line"  # loads again on use


@pytest.mark.parametrize(
    ("body", "settings", "expected"),
    [
        ("profiles:\n  - name: fast\n    ocr_det_modle: x\n", {}, ["profile 'fast'", "key 'ocr_det_modle'"]),
        ("profiles:\n  - name: fast\n    ocr_det_min_scale: 7\n", {}, ["profile 'fast'", "key 'ocr_det_min_scale'"]),
        ("profiles:\n  - name: fast\n    auth_mode: none\n", {}, ["profile 'fast'", "key 'auth_mode'"]),
        ("profiles:\n  - name: default\n", {}, ["profile 'default'", "built-in"]),
        ("profiles: [\n", {}, ["not valid YAML"]),
        ("profiles:\n  - name: fast\n", {"ocr_ab": "slow=10"}, ["OCR_AB", "'slow'"]),
    ],
)
def test_a_bad_profiles_file_names_the_file_profile_and_key(
    tmp_path: Path, body: str, settings: dict[str, str], expected: list[str]
) -> None:
    path = write_profiles(tmp_path / "bad.yaml", body)
    with pytest.raises(SettingsError) as err:
        load_profiles(make_settings(ocr_profiles_file=path, **settings))
    for part in expected:
        assert part in str(err.value), str(err.value)
    if "OCR_AB" not in expected:
        assert str(path) in str(err.value)


@pytest.mark.integration
def test_start_up_fails_on_a_bad_profiles_file(tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "profiles.yaml", "profiles:\n  - name: fast\n    ocr_rec_batch_size: -1\n")
    env = {**os.environ, "API_KEY": TEST_KEY, "OCR_PROFILES_FILE": str(path), "PORT": "1"}
    proc = subprocess.run([sys.executable, "-m", "app"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    for part in ("OCR_PROFILES_FILE", str(path), "profile 'fast'", "key 'ocr_rec_batch_size'"):
        assert part in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.integration
def test_a_profile_with_the_real_tiny_models(tmp_path: Path) -> None:
    """The real engines: a request pinned to a profile with the shipped PP-OCRv6 tiny pair reads with it."""
    img, _ = render_lines(["Invoice 2025 total 125.00"], font_name="dejavu", width=640, height=120, margin=16)
    body = (
        "profiles:\n  - name: tiny\n    ocr_det_model: PP-OCRv6_tiny_det\n    ocr_rec_model: PP-OCRv6_tiny_rec\n"
        "    ocr_korean_rec_model: PP-OCRv6_tiny_rec\n"
    )
    settings = make_settings(
        ocr_profiles_file=write_profiles(tmp_path / "profiles.yaml", body),
        ocr_korean_rec_model="PP-OCRv6_small_rec",  # one recognizer per profile, no page-orientation model:
        ocr_orientation_model="",  # the test loads what it looks at
        layout_engine="none",
    )
    with ThreadServer(create_app(settings)) as srv:
        wait_for(lambda: httpx.get(srv.url + "/health").status_code == 200, timeout=120)
        answers = {name: post(srv.url, to_bytes(img), lang="en", profile=name).json() for name in ("default", "tiny")}
    tiny, default = answers["tiny"], answers["default"]
    assert tiny["engine"]["profile"] == "tiny" and default["engine"]["profile"] == "default"
    assert (
        tiny["engine"]["models"]["det"] == "PP-OCRv6_tiny_det"
        and tiny["engine"]["models"]["rec"] == "PP-OCRv6_tiny_rec"
    )
    assert default["engine"]["models"]["det"] == "PP-OCRv6_small_det"
    for answer in (tiny, default):
        assert "125" in answer["text"] and "Invoice" in answer["text"], answer["text"]
