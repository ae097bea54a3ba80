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
import os
import re
import shlex
import shutil
import subprocess
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
    i_wait, wait = _step(deploy_job, lambda s: "infra/ecs-deploy.sh wait" in s.get("run", ""))
    assert "exit 1" in wait["run"] and "|| true" not in wait["run"]
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


# --- every ECS service of the stack: rolled, waited on, rolled back together ----------------------------

TF_DIR = ROOT / "infra" / "terraform"
ECS_SERVICE = re.compile(r'^resource "aws_ecs_service" "(\w+)" \{\n(.*?)^\}', re.MULTILINE | re.DOTALL)


def _rollout_services(deploy: dict[str, Any], job: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(always rolled, rolled when present): the service names the rollout step gives infra/ecs-deploy.sh,
    with PROJECT_NAME at the workflow's default (Terraform's default project_name)."""
    _, step = _step(job, lambda s: s.get("id") == "rollout")
    script = step["run"].replace("\\\n", " ")
    lines = [ln for ln in script.splitlines() if "infra/ecs-deploy.sh rollout" in ln]
    assert len(lines) == 1, script
    args = shlex.split(lines[0].split("infra/ecs-deploy.sh rollout", 1)[1])
    assert args[0] == "$IMAGE", args
    m = re.fullmatch(r"\$\{\{ vars\.PROJECT_NAME \|\| '([a-z0-9-]+)' \}\}", deploy["env"]["PROJECT_NAME"])
    assert m, deploy["env"]["PROJECT_NAME"]
    names = [a.replace("$PROJECT_NAME", m.group(1)) for a in args[1:]]
    cut = names.index("--if-present") if "--if-present" in names else len(names)
    return names[:cut], names[cut + 1 :]


def _terraform_ecs_services() -> dict[str, str]:
    """aws_ecs_service resource name -> its block, over every .tf file of the root."""
    blocks: dict[str, str] = {}
    for path in sorted(TF_DIR.glob("*.tf")):
        blocks.update(dict(ECS_SERVICE.findall(path.read_text())))
    assert blocks, "no aws_ecs_service in infra/terraform"
    return blocks


def test_rollout_and_wait_cover_the_same_services_in_the_stacks_cluster(
    deploy: dict[str, Any], deploy_job: dict[str, Any]
) -> None:
    i_rollout, rollout = _step(deploy_job, lambda s: s.get("id") == "rollout")
    i_wait, wait = _step(deploy_job, lambda s: "infra/ecs-deploy.sh wait" in s.get("run", ""))
    assert i_rollout < i_wait
    # the wait reads the services the rollout wrote, in the same cluster
    for key in ("CLUSTER", "DEPLOY_STATE"):
        assert rollout["env"][key] == wait["env"][key], key
    assert rollout["env"]["CLUSTER"] == "${{ env.PROJECT_NAME }}-cluster"
    assert "set -euo pipefail" in rollout["run"] and "|| true" not in rollout["run"] + wait["run"]
    required, optional = _rollout_services(deploy, deploy_job)
    assert required == ["ocr-fastapi-api"], "the API is always rolled: its absence fails the deploy"
    assert optional and not set(required) & set(optional)
    # the script: all or none (tests/infra/test_ecs_deploy.py runs it against a fake aws)
    script = (ROOT / "infra" / "ecs-deploy.sh").read_text()
    assert "aws ecs wait services-stable" in script and "roll_back" in script


def test_every_ecs_service_follows_the_deploy_not_terraform() -> None:
    """Each service runs in the stack's cluster and ignores Terraform's task_definition: else the next apply
    would put one service back on the image of terraform.tfvars while the others run the deployed one."""
    for name, block in _terraform_ecs_services().items():
        assert re.search(r"^\s*cluster\s*=\s*aws_ecs_cluster\.main\.(id|arn)\s*$", block, re.MULTILINE), name
        ignore = re.search(r"ignore_changes\s*=\s*\[([^\]]*)\]", block)
        assert ignore and "task_definition" in ignore.group(1), f"aws_ecs_service.{name} must ignore task_definition"
    cluster = (TF_DIR / "ecs.tf").read_text()
    assert re.search(r'resource "aws_ecs_cluster" "main" \{\n\s*name\s*=\s*"\$\{local\.name\}-cluster"', cluster)


def _tf_list(name: str, block: str) -> str:
    """A Terraform expression for the names of every instance of aws_ecs_service.<name>."""
    if re.search(r"^\s*for_each\s*=", block, re.MULTILINE):
        return f"[for s in values(aws_ecs_service.{name}) : s.name]"
    if re.search(r"^\s*count\s*=", block, re.MULTILINE):
        return f"aws_ecs_service.{name}[*].name"
    return f"[aws_ecs_service.{name}.name]"


def test_deploy_rolls_every_ecs_service_terraform_defines(
    deploy: dict[str, Any], deploy_job: dict[str, Any], tmp_path: Path
) -> None:
    """The rendered plan (terraform test, mocked provider) of each jobs_backend: the services Terraform creates
    are all in the workflow's list, the API among them; with the celery backend, every one of the list."""
    if shutil.which("terraform") is None:
        pytest.skip("no terraform on PATH")
    plugin_dir = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
    online = os.environ.get("INFRA_TF_ONLINE") == "1"
    if not plugin_dir.is_dir() and not online:
        pytest.skip(f"no provider mirror at {plugin_dir} (INFRA_TF_ONLINE=1 to download hashicorp/aws)")
    required, optional = _rollout_services(deploy, deploy_job)
    listed = required + optional
    names = "concat(" + ", ".join(_tf_list(n, b) for n, b in _terraform_ecs_services().items()) + ")"
    hcl = lambda xs: "[" + ", ".join(f'"{x}"' for x in xs) + "]"  # noqa: E731
    runs = []
    for backend in ("celery", "local", "off"):
        every = "" if backend != "celery" else f" && toset({names}) == toset({hcl(listed)})"
        runs.append(f"""
run "{backend}" {{
  command = plan
  variables {{
    jobs_backend = "{backend}"
  }}
  assert {{
    condition     = length(setsubtract(toset({names}), toset({hcl(listed)}))) == 0 && length(setsubtract(toset({hcl(required)}), toset({names}))) == 0{every}
    error_message = "jobs_backend={backend}: ECS services ${{jsonencode({names})}}, the deploy workflow rolls {", ".join(listed)} (always: {", ".join(required)})"
  }}
  assert {{
    condition     = aws_ecs_cluster.main.name == "ocr-fastapi-cluster"
    error_message = "the workflow's CLUSTER is <project>-cluster"
  }}
}}""")
    root = tmp_path / "root"
    shutil.copytree(TF_DIR, root, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf"))
    (root / "tests" / "deploy_services.tftest.hcl").write_text(
        'mock_provider "aws" {\n  source = "./tests/mocks"\n}\n\nvariables {\n'
        '  ecr_image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:test"\n}\n' + "".join(runs) + "\n"
    )
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    if not Path(env.get("TF_CLI_CONFIG_FILE", "/nonexistent")).is_file():
        env["TF_CLI_CONFIG_FILE"] = "/dev/null"
    init = ["terraform", f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"]
    if plugin_dir.is_dir():
        init += [f"-plugin-dir={plugin_dir}", "-lockfile=readonly"]
    proc = subprocess.run(init, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    test = ["terraform", f"-chdir={root}", "test", "-no-color", "-filter=tests/deploy_services.tftest.hcl"]
    proc = subprocess.run(test, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "3 passed, 0 failed" in proc.stdout, proc.stdout + proc.stderr
