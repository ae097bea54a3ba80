"""Static checks of the continuous deployment: .github/workflows/deploy.yml, the pull request build of the
GPU image and the two Dockerfiles it builds. No tools, no network: the YAML and the Dockerfiles are read
as text.

What they pin down: deploy runs only after a successful CI run of a push to main (on that run's commit) or a
dispatch from main; another ref is refused; an image tag already in ECR (immutable tags) is deployed without
a rebuild; a smoke check through the ALB fails the job; pull requests build the GPU image without pushing;
the images run Python 3.11 with one CUDA (the paddle wheels'), a liveness HEALTHCHECK, and the paddle
version paddlex asks for.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
DOCKER = ROOT / "docker"

# paddlex 3.7.2's own install guide (the README in its package metadata, section 安装) says
#   python -m pip install paddlepaddle-gpu==3.3.0 -i https://www.paddlepaddle.org.cn/packages/stable/cu126/
# paddlex declares no Requires-Dist on paddlepaddle. Used only when paddlex is not installed in this venv.
PADDLEX_PADDLE_VERSION_FALLBACK = "3.3.0"


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _on(wf: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True
    on = wf.get("on", wf.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on or {}


def _norm(expr: str) -> str:
    return re.sub(r"\s+", " ", expr.replace("${{", "").replace("}}", "")).strip()


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def _step(job: dict[str, Any], pred) -> tuple[int, dict[str, Any]]:
    found = [(i, s) for i, s in enumerate(_steps(job)) if pred(s)]
    assert len(found) == 1, f"expected one matching step, got {[s.get('name') for _, s in found]}"
    return found[0]


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return _load("deploy.yml")


@pytest.fixture(scope="module")
def deploy_job(deploy: dict[str, Any]) -> dict[str, Any]:
    return deploy["jobs"]["deploy"]


# --- when deploy runs -----------------------------------------------------------------------------------


def test_deploy_runs_after_ci_on_main_not_beside_it(deploy: dict[str, Any]) -> None:
    on = _on(deploy)
    assert set(on) == {"workflow_run", "workflow_dispatch"}, on
    run = on["workflow_run"]
    ci_name = _load("ci.yml")["name"]
    assert run["workflows"] == [ci_name]
    assert run["types"] == ["completed"]
    assert run["branches"] == ["main"]


def test_deploy_job_requires_ci_success_of_a_push_to_main(deploy_job: dict[str, Any]) -> None:
    clauses = [_norm(c).strip("() ") for c in _norm(deploy_job["if"]).split("||")]
    assert len(clauses) == 2, clauses
    run = next(c for c in clauses if "github.event_name == 'workflow_run'" in c)
    for cond in (
        "github.event.workflow_run.conclusion == 'success'",
        "github.event.workflow_run.event == 'push'",
        "github.event.workflow_run.head_branch == 'main'",
        "github.event.workflow_run.head_repository.full_name == github.repository",
    ):
        assert cond in run, cond
    assert "||" not in run and run.count("&&") == 4, run
    dispatch = next(c for c in clauses if "github.event_name == 'workflow_dispatch'" in c)
    assert dispatch == "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'", dispatch
    assert deploy_job["environment"] == "production"


def test_a_dispatch_from_another_ref_is_refused(deploy: dict[str, Any]) -> None:
    refuse = deploy["jobs"]["refuse-other-refs"]
    assert _norm(refuse["if"]) == "github.event_name == 'workflow_dispatch' && github.ref != 'refs/heads/main'"
    assert "environment" not in refuse and refuse.get("permissions") == {}
    script = "\n".join(s.get("run", "") for s in _steps(refuse))
    assert "exit 1" in script and "::error::" in script


def test_deploy_checks_out_and_tags_the_commit_ci_tested(deploy: dict[str, Any], deploy_job: dict[str, Any]) -> None:
    sha = _norm(deploy["env"]["DEPLOY_SHA"])
    assert sha == "github.event_name == 'workflow_run' && github.event.workflow_run.head_sha || github.sha", sha
    _, checkout = _step(deploy_job, lambda s: str(s.get("uses", "")).startswith("actions/checkout@"))
    assert _norm(checkout["with"]["ref"]) == "env.DEPLOY_SHA"
    _, build = _step(deploy_job, lambda s: str(s.get("uses", "")).startswith("docker/build-push-action@"))
    assert build["with"]["tags"].endswith(":${{ env.DEPLOY_SHA }}")
    _, rollout = _step(deploy_job, lambda s: s.get("id") == "rollout")
    assert rollout["env"]["IMAGE"].endswith(":${{ env.DEPLOY_SHA }}")


# --- immutable tags -------------------------------------------------------------------------------------


def test_an_existing_tag_is_deployed_without_a_rebuild(deploy_job: dict[str, Any]) -> None:
    i_tag, tag = _step(deploy_job, lambda s: "aws ecr describe-images" in s.get("run", ""))
    script = tag["run"]
    assert 'imageTag="$DEPLOY_SHA"' in script and "ImageNotFoundException" in script
    assert "exists=true" in script and "exists=false" in script
    # any other describe-images error fails, rather than being taken for "not there"
    assert "exit 1" in script
    out = f"steps.{tag['id']}.outputs.exists != 'true'"
    i_build, build = _step(deploy_job, lambda s: str(s.get("uses", "")).startswith("docker/build-push-action@"))
    assert i_tag < i_build and _norm(build["if"]) == out
    assert build["with"]["push"] is True and build["with"]["file"] == "docker/Dockerfile.gpu"
    i_rollout, rollout = _step(deploy_job, lambda s: s.get("id") == "rollout")
    assert i_build < i_rollout and "if" not in rollout, "the rollout runs whether or not the image was built"
    ecr = (ROOT / "infra" / "terraform" / "ecr.tf").read_text()
    assert re.search(r'image_tag_mutability\s*=\s*"IMMUTABLE"', ecr)


# --- smoke check ----------------------------------------------------------------------------------------


def test_smoke_check_through_the_alb_fails_the_job(deploy_job: dict[str, Any]) -> None:
    i_wait, wait = _step(deploy_job, lambda s: "aws ecs wait services-stable" in s.get("run", ""))
    assert "exit 1" in wait["run"]
    i_smoke, smoke = _step(deploy_job, lambda s: "make gpu-verify" in s.get("run", ""))
    assert i_wait < i_smoke, "the smoke check runs after the rollout is stable"
    assert _norm(smoke["env"]["BASE_URL"]) == "vars.ALB_URL"
    assert "secrets." in smoke["env"]["API_KEY"]
    script = smoke["run"]
    assert "set -euo pipefail" in script and "make smoke-health" in script
    assert "|| true" not in script and "continue-on-error" not in smoke
    assert "if" not in smoke, "the smoke check always runs after a rollout"
    assert all(not s.get("continue-on-error") for s in _steps(deploy_job))
    # the Make targets exist and check the GPU through /health and /debug/paddle
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^smoke-health:", makefile, re.MULTILINE)
    assert re.search(r"^gpu-verify:.*\n\t.*scripts/smoke\.py gpu-verify", makefile, re.MULTILINE)
    smoke_py = (ROOT / "scripts" / "smoke.py").read_text()
    assert '"/debug/paddle"' in smoke_py and "compiled_with_cuda" in smoke_py and "return 1" in smoke_py


# --- pull requests: build the GPU image, push nothing --------------------------------------------------


def test_pull_requests_build_the_gpu_image_without_pushing() -> None:
    builds = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        wf = yaml.safe_load(path.read_text())
        if "pull_request" not in _on(wf):
            continue
        for job in wf["jobs"].values():
            for s in _steps(job):
                if str(s.get("uses", "")).startswith("docker/build-push-action@") and (
                    s.get("with", {}).get("file") == "docker/Dockerfile.gpu"
                ):
                    builds.append((path.name, wf, job, s))
    assert len(builds) == 1, [b[0] for b in builds]
    name, wf, job, step = builds[0]
    assert step["with"]["push"] is False, name
    assert "cache-to" not in step["with"], "a pull request does not write the deploy cache"
    perms = {**wf.get("permissions", {}), **job.get("permissions", {})}
    assert perms == {"contents": "read"}, f"{name}: no id-token, no write access"
    assert not any("configure-aws-credentials" in str(s.get("uses", "")) for s in _steps(job))
    paths = _on(wf)["pull_request"].get("paths") if _on(wf)["pull_request"] else None
    if paths is not None:
        for needed in ("docker/Dockerfile.gpu", "poetry.lock", "pyproject.toml", "scripts/**"):
            assert needed in paths, needed


# --- the Dockerfiles ------------------------------------------------------------------------------------


def _base_images(text: str) -> dict[str, str]:
    """stage name -> the image it finally starts from (ARG defaults before the first FROM substituted)."""
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text.split("\nFROM ", 1)[0], re.MULTILINE))
    stages: dict[str, str] = {}
    for image, stage in re.findall(r"^FROM (\S+) AS (\S+)", text, re.MULTILINE):
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        stages[stage] = stages.get(image, image)
    return stages


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.gpu"])
def test_images_run_python_311_as_the_lock(name: str) -> None:
    text = (DOCKER / name).read_text()
    bases = _base_images(text)
    assert bases and all(re.fullmatch(r"python:3\.11(\.\d+)?-slim-\w+", b) for b in bases.values()), bases
    assert "python3.12" not in text and "python3-venv" not in text
    lock = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^python_version = "3\.11"', lock, re.MULTILINE)


def test_gpu_image_has_one_cuda() -> None:
    text = (DOCKER / "Dockerfile.gpu").read_text()
    code = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    # the CUDA libraries come only from paddlepaddle-gpu's NVIDIA wheels: no CUDA base image, no apt CUDA
    assert "nvidia/cuda" not in code
    assert not re.search(r"\b(cuda-toolkit|libcudnn|cuda-runtime|libcublas)", code)
    assert "ARG PADDLE_WHEEL_INDEX=https://www.paddlepaddle.org.cn/packages/stable/cu126/" in code
    assert '"paddlepaddle-gpu==${PADDLE_VERSION}"' in code
    assert "NVIDIA_VISIBLE_DEVICES=all" in code and "NVIDIA_DRIVER_CAPABILITIES=compute,utility" in code


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.gpu"])
def test_healthcheck_is_liveness(name: str) -> None:
    text = (DOCKER / name).read_text()
    hc = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (.*)$", text, re.MULTILINE)
    assert hc, name
    assert "/health/live'" in hc.group(1), hc.group(1)
    assert text.count("HEALTHCHECK ") == 1


def _paddlex_paddle_version() -> str:
    try:
        dist = importlib.metadata.distribution("paddlex")
    except importlib.metadata.PackageNotFoundError:
        return PADDLEX_PADDLE_VERSION_FALLBACK
    for req in dist.requires or []:  # a real requirement would win (paddlex 3.7.2 has none)
        m = re.match(r"paddlepaddle(?:-gpu)?\s*==\s*([\w.]+)", req)
        if m:
            return m.group(1)
    meta = dist.read_text("METADATA") or ""
    m = re.search(r"pip install paddlepaddle-gpu==([\w.]+) -i \S+/stable/cu126/", meta)
    assert m, "paddlex's METADATA no longer names a cu126 paddlepaddle-gpu version: update this test"
    return m.group(1)


def test_paddle_version_is_the_one_paddlex_expects() -> None:
    text = (DOCKER / "Dockerfile.gpu").read_text()
    pinned = re.search(r"^ARG PADDLE_VERSION=(\S+)$", text, re.MULTILINE)
    assert pinned
    assert pinned.group(1) == _paddlex_paddle_version()
    make = re.search(r"^PADDLE_VERSION\s*\?=\s*(\S+)$", (ROOT / "mk" / "docker.mk").read_text(), re.MULTILINE)
    assert make and make.group(1) == pinned.group(1), "make docker-build-gpu passes its own PADDLE_VERSION"
    assert "paddlex==" in (ROOT / "pyproject.toml").read_text()
