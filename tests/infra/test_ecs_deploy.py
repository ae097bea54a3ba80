"""infra/ecs-deploy.sh, the rollout of .github/workflows/deploy.yml, run against a fake `aws` (fake_aws.py):
every service gets a revision with the new image and is updated; a service the stack lacks is skipped
only when it is optional; a failed update or a deployment that does not end on the new revision puts every
service of the run back on its previous revision, and the job fails. Needs bash and jq."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(shutil.which("jq") is None or shutil.which("bash") is None, reason="needs bash and jq"),
]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "ecs-deploy.sh"
REPO = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi"
NEW_IMAGE = f"{REPO}:newsha"
CLUSTER = "ocr-fastapi-cluster"
JOBS = ["ocr-fastapi-worker", "ocr-fastapi-beat"]
ALL = ["ocr-fastapi-api", *JOBS]


def td_arn(family: str, rev: int) -> str:
    return f"arn:aws:ecs:ap-northeast-2:123456789012:task-definition/{family}:{rev}"


def make_state(services: list[str], **extra: list[str]) -> dict[str, Any]:
    st: dict[str, Any] = {"services": {}, "taskdefs": {}, "families": {}, "calls": []}
    st.update({"breaker": [], "stuck": [], "fail_update": []})
    st.update(extra)
    for name in services:
        arn = td_arn(name, 1)
        st["families"][name] = [arn]
        container = name.removeprefix("ocr-fastapi-")
        st["taskdefs"][arn] = {
            "family": name,
            "taskDefinitionArn": arn,
            "revision": 1,
            "status": "ACTIVE",
            "registeredAt": "2026-01-01T00:00:00",
            "containerDefinitions": [{"name": container, "image": f"{REPO}:oldsha", "essential": True}],
        }
        st["services"][name] = {"td": arn, "prev": None, "events": []}
    return st


class Deploy:
    def __init__(self, tmp: Path, state: dict[str, Any]) -> None:
        self.tmp = tmp
        self.state_file = tmp / "aws-state.json"
        self.state_file.write_text(json.dumps(state))
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        aws = bin_dir / "aws"
        aws.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "tests" / "infra" / "fake_aws.py"}" "$@"\n')
        aws.chmod(0o755)
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_AWS_STATE": str(self.state_file),
            "CLUSTER": CLUSTER,
            "DEPLOY_STATE": str(tmp / "deploy-state.tsv"),
            "WAIT_ATTEMPTS": "2",
            "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )

    def rollout(self) -> subprocess.CompletedProcess[str]:
        return self.run("rollout", NEW_IMAGE, "ocr-fastapi-api", "--if-present", *JOBS)

    @property
    def aws(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text())

    def image_of(self, service: str) -> str:
        st = self.aws
        return st["taskdefs"][st["services"][service]["td"]]["containerDefinitions"][0]["image"]

    def updates(self) -> list[tuple[str, str]]:
        return [
            (c[c.index("--service") + 1], c[c.index("--task-definition") + 1])
            for c in self.aws["calls"]
            if c[:2] == ["ecs", "update-service"]
        ]


def test_every_service_is_rolled_onto_the_image_and_waited_on(tmp_path: Path) -> None:
    d = Deploy(tmp_path, make_state(ALL))
    r = d.rollout()
    assert r.returncode == 0, r.stdout + r.stderr
    assert [line.split("\t")[0] for line in (tmp_path / "deploy-state.tsv").read_text().splitlines()] == ALL
    calls = d.aws["calls"]
    registered = [i for i, c in enumerate(calls) if c[:2] == ["ecs", "register-task-definition"]]
    updated = [i for i, c in enumerate(calls) if c[:2] == ["ecs", "update-service"]]
    assert len(registered) == 3 and len(updated) == 3 and max(registered) < min(updated), "all registered first"
    assert d.updates() == [(s, td_arn(s, 2)) for s in ALL]
    for s in ALL:
        td = d.aws["taskdefs"][td_arn(s, 2)]
        assert td["containerDefinitions"][0]["image"] == NEW_IMAGE  # only the image changed
        assert td["containerDefinitions"][0]["name"] == s.removeprefix("ocr-fastapi-")

    w = d.run("wait")
    assert w.returncode == 0, w.stdout + w.stderr
    waits = [c for c in d.aws["calls"] if c[:3] == ["ecs", "wait", "services-stable"]]
    assert waits and waits[0][waits[0].index("--services") + 1 :] == ALL, "one wait over every service"
    assert all(f"{s} stable on {td_arn(s, 2)}" in w.stdout for s in ALL)
    assert all(s in (tmp_path / "summary.md").read_text() for s in ALL)


def test_worker_and_beat_are_skipped_when_the_stack_has_none(tmp_path: Path) -> None:
    d = Deploy(tmp_path, make_state(["ocr-fastapi-api"]))  # jobs_backend = "off" or "local"
    r = d.rollout()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ocr-fastapi-worker: no active service" in r.stdout
    assert d.updates() == [("ocr-fastapi-api", td_arn("ocr-fastapi-api", 2))]
    assert d.run("wait").returncode == 0


def test_a_missing_api_service_fails_before_anything_changes(tmp_path: Path) -> None:
    d = Deploy(tmp_path, make_state(JOBS))
    r = d.rollout()
    assert r.returncode == 1 and "ocr-fastapi-api: no active service" in r.stderr
    assert d.updates() == []


def test_a_circuit_breaker_rollback_of_the_worker_rolls_the_api_and_beat_back(tmp_path: Path) -> None:
    d = Deploy(tmp_path, make_state(ALL, breaker=["ocr-fastapi-worker"]))
    assert d.rollout().returncode == 0
    w = d.run("wait")
    assert w.returncode == 1, w.stdout
    assert "ocr-fastapi-worker not stable on this run's revision" in w.stderr
    # every service ends on its previous revision (the worker by its circuit breaker, the others by the script)
    assert {s: d.aws["services"][s]["td"] for s in ALL} == {s: td_arn(s, 1) for s in ALL}
    assert all(d.image_of(s) == f"{REPO}:oldsha" for s in ALL)
    assert ("ocr-fastapi-api", td_arn("ocr-fastapi-api", 1)) in d.updates()
    assert ("ocr-fastapi-worker", td_arn("ocr-fastapi-worker", 1)) not in d.updates(), "already rolled back"
    assert "circuit breaker" in w.stdout and "--- events of ocr-fastapi-api" in w.stdout  # both reported
    assert "rolled back: ocr-fastapi-api ocr-fastapi-worker ocr-fastapi-beat stable" in w.stdout


def test_a_deployment_that_never_settles_is_rolled_back_with_the_others(tmp_path: Path) -> None:
    d = Deploy(tmp_path, make_state(ALL, stuck=["ocr-fastapi-api"]))
    assert d.rollout().returncode == 0
    w = d.run("wait")
    assert w.returncode == 1
    assert "not stable yet (attempt 2 of 2)" in w.stdout
    assert {s for s, td in d.updates() if td.endswith(":1")} == set(ALL)  # all three sent back
    assert "rollback of" in w.stderr  # the stuck API does not settle on its old revision either: said so


def test_a_failed_update_puts_the_services_already_updated_back(tmp_path: Path) -> None:
    d = Deploy(tmp_path, make_state(ALL, fail_update=["ocr-fastapi-beat"]))
    r = d.rollout()
    assert r.returncode == 1
    assert "update-service ocr-fastapi-beat failed" in r.stderr
    assert d.updates()[-2:] == [
        ("ocr-fastapi-api", td_arn("ocr-fastapi-api", 1)),
        ("ocr-fastapi-worker", td_arn("ocr-fastapi-worker", 1)),
    ]
    assert d.run("wait").returncode == 1, "nothing to wait for after a failed rollout"


def test_a_family_without_a_container_of_the_repository_is_refused(tmp_path: Path) -> None:
    st = make_state(ALL)
    st["taskdefs"][td_arn("ocr-fastapi-beat", 1)]["containerDefinitions"][0]["image"] = "public.ecr.aws/x/other:1"
    d = Deploy(tmp_path, st)
    r = d.rollout()
    assert r.returncode == 1 and "cannot swap the image" in r.stderr
    assert d.updates() == [], "nothing is updated unless every revision could be registered"
