#!/usr/bin/env bash
# Serve the API. With no AUTH_MODE/API_KEY given, generate a development key once (.data/dev-api-key)
# and print it; production sets API_KEY (or AUTH_MODE=cognito) explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -f .env ]]; then set -a; source .env; set +a; fi
if [[ -z "${API_KEY:-}" && "${AUTH_MODE:-api-key}" == "api-key" ]]; then
  mkdir -p .data
  if [[ ! -s .data/dev-api-key ]]; then
    .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))' > .data/dev-api-key
    chmod 600 .data/dev-api-key
  fi
  API_KEY=$(cat .data/dev-api-key)
  export API_KEY
  echo "[run] development API key (also in .data/dev-api-key): $API_KEY"
  echo "[run] try: curl -H \"x-api-key: $API_KEY\" -F file=@tests/data/korean_invoice.png http://localhost:${PORT:-8080}/ocr"
fi
echo "[run] web page: http://localhost:${PORT:-8080}/ (paste the API key there); API docs: http://localhost:${PORT:-8080}/docs"
exec .venv/bin/python -m app
