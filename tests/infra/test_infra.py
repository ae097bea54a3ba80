"""Infrastructure checks (``pytest -m infra``).

Each step of ``infra/ci-checks.sh`` runs as its own test: terraform fmt / validate / test, a terraform
plan against a moto server on a free port (stopped afterwards), checkov, hadolint and actionlint. A step
the machine cannot run (no terraform, no provider mirror, a tool that cannot be installed) is skipped
with the script's reason. The static tests below keep the Dockerfiles, the Make fragments, the
Terraform outputs/variables and the deployment tutorial consistent with each other; they need no tools.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "ci-checks.sh"
TF_DIR = ROOT / "infra" / "terraform"
TUTORIAL = ROOT / "TUTORIAL-DEPLOY.md"
SUMMARY = re.compile(r"^infra: (\d+) passed, (\d+) failed, (\d+) skipped$", re.MULTILINE)
STEPS = ["fmt", "validate", "test", "moto", "checkov", "hadolint", "actionlint"]
REQUIRED_OUTPUTS = {
    "vpc_id",
    "public_subnets",
    "private_subnets",
    "ecr_repository_url",
    "ecs_cluster_name",
    "asg_gpu_name",
    "alb_dns_name",
}


def run_step(step: str) -> tuple[int, int, int, str]:
    proc = subprocess.run(
        ["bash", str(SCRIPT), step],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
        env={**os.environ, "INFRA_VERBOSE": "1"},
    )
    out = proc.stdout + proc.stderr
    match = SUMMARY.search(proc.stdout)
    assert match, f"ci-checks.sh {step}: no summary line (exit {proc.returncode})\n{out}"
    passed, failed, skipped = (int(g) for g in match.groups())
    assert (proc.returncode == 0) == (failed == 0), out
    return passed, failed, skipped, out


@pytest.mark.parametrize("step", STEPS)
def test_ci_checks_step(step: str) -> None:
    passed, failed, skipped, out = run_step(step)
    if skipped:
        reason = next((line for line in out.splitlines() if line.startswith("SKIP")), "skipped")
        pytest.skip(reason)
    assert failed == 0 and passed == 1, out
    if step == "moto":
        # the plan really ran against moto, and moto is gone afterwards
        started = re.search(r"on 127\.0\.0\.1:(\d+)", out)
        assert started, out
        port = int(started.group(1))
        assert re.search(r"Plan: \d+ to add", out), out
        assert "moto stopped" in out, out
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"moto still listening on {port}"


def test_unknown_step_is_an_error() -> None:
    proc = subprocess.run(["bash", str(SCRIPT), "no-such-step"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown step" in proc.stderr


# --- static consistency checks (no tools needed) -----------------------------------------------------


def _tf_blocks(kind: str) -> set[str]:
    names: set[str] = set()
    for path in TF_DIR.glob("*.tf"):
        names |= set(re.findall(rf'^{kind} "([^"]+)"', path.read_text(), re.MULTILINE))
    return names


def _make_targets() -> set[str]:
    targets: set[str] = set()
    for path in [*ROOT.glob("mk/*.mk"), ROOT / "Makefile"]:
        if path.exists():
            targets |= set(re.findall(r"^([a-zA-Z0-9_-]+):", path.read_text(), re.MULTILINE))
    return targets


def test_terraform_has_required_outputs_and_variables() -> None:
    assert REQUIRED_OUTPUTS <= _tf_blocks("output")
    variables = _tf_blocks("variable")
    for name in (
        "aws_region",
        "project_name",
        "ecr_image",
        "instance_type",
        "desired_capacity",
        "min_capacity",
        "max_capacity",
        "auth_mode",
        "allowed_origins",
        "certificate_arn",
    ):
        assert name in variables, name
    backend = (TF_DIR / "backend.tf").read_text()
    assert re.search(r'backend "s3" \{\}', backend), "partial S3 backend expected in backend.tf"
    assert "backend" not in (TF_DIR / "versions.tf").read_text(), "one backend block, in backend.tf"


def test_dockerfiles_use_the_ci_install_step() -> None:
    for name in ("Dockerfile", "Dockerfile.gpu"):
        text = (ROOT / "docker" / name).read_text()
        install_lines = [
            ln for ln in text.splitlines() if "scripts/install.sh" in ln and not ln.lstrip().startswith("#")
        ]
        assert len(install_lines) == 2, f"{name}: builder and runtime stages both run scripts/install.sh"
        assert "INSTALL_GROUPS=main" in text, name
        assert re.search(r"^USER 10001", text, re.MULTILINE), f"{name}: non-root user"
        assert re.search(r"^HEALTHCHECK .*\n?.*/health/live", text, re.MULTILINE), (
            f"{name}: healthcheck on liveness (/health/live): a loading task is alive, not unhealthy"
        )
        assert 'ENTRYPOINT ["/usr/bin/tini", "--"]' in text, f"{name}: tini entrypoint"
        assert 'CMD ["python", "-m", "app"]' in text, name
        assert text.count("\nFROM ") >= 2, f"{name}: multi-stage"
    gpu = (ROOT / "docker" / "Dockerfile.gpu").read_text()
    # one CUDA: the paddle wheels bring theirs, so the base is plain Python 3.11, as the lock
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11[.0-9]*-slim", gpu, re.MULTILINE)
    assert "nvidia/cuda" not in gpu
    assert "ARG PADDLE_WHEEL_INDEX=" in gpu and "paddle.utils.run_check()" in gpu
    assert "OCR_DEVICE=gpu:0" in gpu and "OCR_ENGINE_BACKEND=paddle" in gpu
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert ignore[ignore.index("*") + 1 :][:4] == ["!pyproject.toml", "!poetry.lock", "!scripts", "!app"]


def test_make_fragments_define_the_docker_targets_with_help() -> None:
    text = (ROOT / "mk" / "docker.mk").read_text() + (ROOT / "mk" / "infra.mk").read_text()
    for target in (
        "docker-build",
        "docker-run",
        "docker-stop",
        "docker-build-gpu",
        "docker-run-gpu",
        "infra-check",
    ):
        assert re.search(rf"^{target}:.*## \S", text, re.MULTILINE), f"{target} needs a '## description'"


def test_tutorial_matches_the_code() -> None:
    text = TUTORIAL.read_text()
    outputs = _tf_blocks("output")
    variables = _tf_blocks("variable")
    used_outputs = set(re.findall(r"terraform(?: -chdir=\S+)? output -raw ([a-z0-9_]+)", text))
    assert used_outputs, "the tutorial should read terraform outputs"
    assert used_outputs <= outputs, used_outputs - outputs
    used_vars = set(re.findall(r"-var[ =]'?([a-z0-9_]+)=", text))
    used_vars |= set(re.findall(r"^([a-z0-9_]+)\s*=", _tfvars_blocks(text), re.MULTILINE))
    assert used_vars <= variables, used_vars - variables
    for key in ("bucket", "key", "region", "dynamodb_table"):
        assert f"-backend-config={key}=" in text or f'-backend-config="{key}=' in text, key
    targets = set(re.findall(r"\bmake ([a-z][a-z0-9-]+)", text))
    known = _make_targets() | {"gpu-verify", "smoke-health", "smoke-ocr", "run", "test", "lint", "help"}
    assert targets <= known, targets - known
    assert "make gpu-verify BASE_URL=" in text


def _tfvars_blocks(text: str) -> str:
    """Contents of the ```hcl blocks that write terraform.tfvars."""
    return "\n".join(re.findall(r"```hcl\n(.*?)```", text, re.DOTALL))


def test_task_lists_exist_and_name_real_targets() -> None:
    """tasks/: the deployment, GPU verification and split-model-server checklists; every `make` target they
    name exists, every link to a file of the repository resolves."""
    tasks = ROOT / "tasks"
    for name in ("README.md", "deployment.md", "gpu-verification.md", "split-model-server.md"):
        assert (tasks / name).is_file(), name
    targets = _make_targets() | {"gpu-verify", "test", "run"}
    for path in tasks.glob("*.md"):
        text = path.read_text()
        named = set(re.findall(r"\bmake ([a-z][a-z0-9-]+)", text))
        assert named <= targets, (path.name, named - targets)
        for link in re.findall(r"\]\(([^)#]+)\)", text):
            if not link.startswith("http"):
                assert (path.parent / link).resolve().exists(), (path.name, link)
