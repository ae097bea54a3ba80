#!/usr/bin/env bash
# Roll one image out to every ECS service of the stack together, and back together
# (.github/workflows/deploy.yml). The API and the Celery worker and beat (infra/terraform/jobs.tf) run
# the same code and share the job store and the Celery task names: they must never stay on different
# images after a deploy.
#
#   infra/ecs-deploy.sh rollout IMAGE SERVICE... [--if-present SERVICE...]
#       For each service: a new revision of the family it runs (its latest revision, Terraform's settings,
#       with IMAGE in every container that runs an image of IMAGE's repository). Every revision is
#       registered before any service is updated; then every service is updated. A failed update
#       puts the services already updated back on their previous revision. Services after
#       --if-present are skipped when the cluster has no active service of that name (worker and
#       beat exist only with jobs_backend = "celery").
#   infra/ecs-deploy.sh wait
#       Waits until every service of the rollout is stable on this run's revision (`aws ecs wait
#       services-stable`, WAIT_ATTEMPTS times 10 minutes). If one is not (its circuit breaker rolled it
#       back, or it never settled), every service of the rollout that runs this run's revision is put
#       back on its previous revision, the events of all of them are printed, and it exits 1.
#
# Environment: CLUSTER (required); DEPLOY_STATE (default deploy-state.tsv): the file `rollout` writes and
# `wait` reads, one line per service: name, previous revision, new revision; WAIT_ATTEMPTS (default 3).
# Needs the AWS CLI and jq. Exit 0 on success, 1 on a failed deploy, 2 on a usage error.
set -uo pipefail

STATE=${DEPLOY_STATE:-deploy-state.tsv}
WAIT_ATTEMPTS=${WAIT_ATTEMPTS:-3}

err() { echo "::error::$*" >&2; }
usage() {
  echo "usage: $0 rollout IMAGE SERVICE... [--if-present SERVICE...] | $0 wait   (CLUSTER must be set)" >&2
  exit 2
}
# report LINE: to the job's summary on GitHub Actions, and to the log
report() {
  echo "$*"
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then echo "- $*" >>"$GITHUB_STEP_SUMMARY"; fi
}

# describe SERVICE...: the services as JSON ({services: [...], failures: [...]})
describe() { aws ecs describe-services --cluster "$CLUSTER" --services "$@" --output json </dev/null; }

# primary SERVICE: the task definition of the service's primary deployment (empty when unknown)
primary() {
  describe "$1" | jq -r '[.services[0].deployments[]? | select(.status == "PRIMARY") | .taskDefinition][0] // empty'
}

# set_revision SERVICE TASK_DEFINITION
set_revision() {
  aws ecs update-service --cluster "$CLUSTER" --service "$1" --task-definition "$2" --output json </dev/null |
    jq -r '"updated \(.service.serviceName) to \(.service.taskDefinition)"'
}

# roll_back: every service of the state file whose primary deployment runs this run's revision goes back
# to its previous one; prints what it did. Returns 1 if one of them could not be updated.
roll_back() {
  local svc prev new current rc=0
  while IFS=$'\t' read -r svc prev new; do
    current=$(primary "$svc")
    if [[ "$current" == "$new" ]]; then
      report "rolling $svc back to $prev"
      set_revision "$svc" "$prev" || {
        err "could not roll $svc back to $prev"
        rc=1
      }
    else
      echo "$svc is on ${current:-an unknown revision}, not this run's: left alone"
    fi
  done <"$STATE"
  return "$rc"
}

rollout() {
  local image=${1:-} optional=0 spec svc json status current family td new repo
  [[ -n "$image" ]] || usage
  shift
  (($# > 0)) || usage
  repo=${image%@*}
  repo=${repo%:*}
  local -a plan=()
  : >"$STATE"
  for spec in "$@"; do
    if [[ "$spec" == --if-present ]]; then
      optional=1
      continue
    fi
    svc=$spec
    json=$(describe "$svc") || {
      err "aws ecs describe-services $svc failed"
      return 1
    }
    status=$(jq -r '.services[0].status // "MISSING"' <<<"$json")
    if [[ "$status" != ACTIVE ]]; then
      if ((optional)); then
        echo "$svc: no active service in $CLUSTER ($status): not rolled"
        continue
      fi
      err "$svc: no active service in $CLUSTER ($status)"
      return 1
    fi
    current=$(jq -r '.services[0].taskDefinition' <<<"$json")
    family=${current##*/}
    family=${family%:*}
    # Start from the family's latest revision (Terraform's settings), change only the image.
    td=$(aws ecs describe-task-definition --task-definition "$family" --output json | jq '.taskDefinition') || {
      err "aws ecs describe-task-definition $family failed"
      return 1
    }
    td=$(jq --arg image "$image" --arg repo "$repo" '
      def ours: (.image | startswith($repo + ":") or startswith($repo + "@"));
      if ([.containerDefinitions[] | select(ours)] | length) == 0
      then error("no container of \(.family) runs an image of \($repo)") else . end
      | .containerDefinitions |= map(if ours then .image = $image else . end)
      | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
            .registeredAt, .registeredBy, .deregisteredAt)' <<<"$td") || {
      err "$svc: cannot swap the image in $family"
      return 1
    }
    new=$(aws ecs register-task-definition --cli-input-json "$td" --output json | jq -er '.taskDefinition.taskDefinitionArn') || {
      err "aws ecs register-task-definition $family failed"
      return 1
    }
    echo "$svc: registered $new (was on $current)"
    plan+=("$svc"$'\t'"$current"$'\t'"$new")
  done
  ((${#plan[@]})) || {
    err "no service to roll"
    return 1
  }
  # every revision is registered: now the services, all of them or none
  local line updated=()
  for line in "${plan[@]}"; do
    IFS=$'\t' read -r svc current new <<<"$line"
    if ! set_revision "$svc" "$new"; then
      err "aws ecs update-service $svc failed: putting the services already updated back"
      if ((${#updated[@]})); then
        printf '%s\n' "${updated[@]}" >"$STATE"
        roll_back
      fi
      : >"$STATE"
      return 1
    fi
    updated+=("$line")
  done
  printf '%s\n' "${updated[@]}" >"$STATE"
  report "rolling out $image: $(cut -f1 "$STATE" | paste -sd ' ' -)"
}

wait_stable() {
  [[ -s "$STATE" ]] || {
    err "$STATE lists no service: did the rollout run?"
    return 1
  }
  local -a services=()
  local svc prev new attempt stable=0 failed=0 count td state
  while IFS=$'\t' read -r svc prev new; do services+=("$svc"); done <"$STATE"
  for ((attempt = 1; attempt <= WAIT_ATTEMPTS; attempt++)); do
    if aws ecs wait services-stable --cluster "$CLUSTER" --services "${services[@]}"; then
      stable=1
      break
    fi
    echo "not stable yet (attempt $attempt of $WAIT_ATTEMPTS)"
  done
  # stable on the new revision only: one deployment left, the one of this run, rollout completed
  while IFS=$'\t' read -r svc prev new; do
    read -r count td state < <(describe "$svc" |
      jq -r '.services[0] | "\(.deployments | length) \(.deployments[0].taskDefinition) \(.deployments[0].rolloutState)"')
    if ((stable)) && [[ "$count" == 1 && "$td" == "$new" && "$state" == COMPLETED ]]; then
      report "$svc stable on $td"
    else
      err "$svc not stable on this run's revision $new ($count deployments, $td, $state): rolled back or stuck"
      report "$svc FAILED: not stable on $new ($count deployments, $td, $state)"
      failed=1
    fi
  done <"$STATE"
  ((failed)) || return 0

  echo "--- the deploy failed: every service goes back to its previous revision"
  roll_back
  describe "${services[@]}" |
    jq -r '.services[] | "--- events of \(.serviceName)", (.events[:10][] | "\(.createdAt)  \(.message)")'
  if aws ecs wait services-stable --cluster "$CLUSTER" --services "${services[@]}"; then
    report "rolled back: ${services[*]} stable on their previous revisions"
  else
    err "the rollback of ${services[*]} is not stable yet: check the services"
    report "rollback of ${services[*]} not stable yet"
  fi
  return 1
}

[[ -n "${CLUSTER:-}" ]] || {
  err "CLUSTER is not set"
  exit 2
}
case "${1:-}" in
rollout)
  shift
  rollout "$@" || exit 1
  ;;
wait)
  wait_stable || exit 1
  ;;
*) usage ;;
esac
