"""A stand-in for the AWS CLI's `aws ecs` calls that infra/ecs-deploy.sh makes (tests/infra/test_ecs_deploy.py).

State: a JSON file named by FAKE_AWS_STATE, read and written on every call:
  services   name -> {"td": ARN, "prev": ARN | null (null: settled), "events": [...]}
  taskdefs   ARN -> task definition (as describe-task-definition returns it); families: their revisions
  breaker    services whose next deployment the circuit breaker rolls back (at the next wait)
  stuck      services that never settle (the waiter gives up)
  fail_update  services whose update-service call fails
  calls      every call, as its argument list
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def arg(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def args_after(args: list[str], name: str) -> list[str]:
    rest = args[args.index(name) + 1 :]
    out = []
    for a in rest:
        if a.startswith("--"):
            break
        out.append(a)
    return out


def service_json(name: str, svc: dict[str, Any]) -> dict[str, Any]:
    deployments = [
        {
            "status": "PRIMARY",
            "taskDefinition": svc["td"],
            "rolloutState": "IN_PROGRESS" if svc["prev"] else "COMPLETED",
        }
    ]
    if svc["prev"]:
        deployments.append({"status": "ACTIVE", "taskDefinition": svc["prev"], "rolloutState": "COMPLETED"})
    return {
        "serviceName": name,
        "status": svc.get("status", "ACTIVE"),
        "taskDefinition": svc["td"],
        "deployments": deployments,
        "events": [{"createdAt": "2026-01-01T00:00:00", "message": m} for m in svc["events"]],
    }


def main(argv: list[str]) -> int:
    path = Path(os.environ["FAKE_AWS_STATE"])
    st = json.loads(path.read_text())
    st["calls"].append(argv)
    rc, out = 0, None
    svcs = st["services"]
    if argv[:2] == ["ecs", "describe-services"]:
        names = args_after(argv, "--services")
        out = {
            "services": [service_json(n, svcs[n]) for n in names if n in svcs],
            "failures": [{"arn": n, "reason": "MISSING"} for n in names if n not in svcs],
        }
    elif argv[:2] == ["ecs", "describe-task-definition"]:
        family = arg(argv, "--task-definition")
        out = {"taskDefinition": st["taskdefs"][st["families"][family][-1]]}
    elif argv[:2] == ["ecs", "register-task-definition"]:
        td = json.loads(arg(argv, "--cli-input-json"))
        assert "taskDefinitionArn" not in td and "revision" not in td, "read-only fields must be removed"
        revs = st["families"][td["family"]]
        new = f"arn:aws:ecs:ap-northeast-2:123456789012:task-definition/{td['family']}:{len(revs) + 1}"
        st["taskdefs"][new] = {**td, "taskDefinitionArn": new, "revision": len(revs) + 1}
        revs.append(new)
        out = {"taskDefinition": st["taskdefs"][new]}
    elif argv[:2] == ["ecs", "update-service"]:
        name, td = arg(argv, "--service"), arg(argv, "--task-definition")
        if name in st["fail_update"]:
            print(f"An error occurred (AccessDeniedException) when calling UpdateService on {name}", file=sys.stderr)
            rc = 254
        else:
            svc = svcs[name]
            svc["prev"], svc["td"] = svc["td"], td
            svc["events"].insert(0, f"(service {name}) updated to {td}")
            out = {"service": {"serviceName": name, "taskDefinition": td}}
    elif argv[:3] == ["ecs", "wait", "services-stable"]:
        names = args_after(argv, "--services")
        for n in names:
            svc = svcs[n]
            if n in st["stuck"] or not svc["prev"]:
                continue
            if n in st["breaker"]:
                st["breaker"].remove(n)
                svc["events"].insert(0, f"(service {n}) deployment circuit breaker: rolling back to {svc['prev']}")
                svc["td"] = svc["prev"]
            svc["prev"] = None
        if any(n in st["stuck"] for n in names):
            print("Waiter ServicesStable failed: Max attempts exceeded", file=sys.stderr)
            rc = 255
    else:
        print(f"fake aws: unsupported call {argv}", file=sys.stderr)
        rc = 252
    path.write_text(json.dumps(st))
    if out is not None:
        print(json.dumps(out))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
