"""clients/typescript: `npm ci && tsc --noEmit` (strict), and the compiled client against the API stub."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, TEST_KEY

pytestmark = pytest.mark.slow

CLIENT = REPO / "clients" / "typescript"


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed for the TypeScript client check (apt-get install nodejs npm)")
    return node, npm


def _run(cmd: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def typescript_compiler() -> Path:
    """tsc, after `npm ci` from the committed package-lock.json (skipped when done for this lock)."""
    _, npm = _tools()
    lock = json.loads((CLIENT / "package-lock.json").read_text(encoding="utf-8"))

    def current(package: str) -> bool:
        have = CLIENT / "node_modules" / package / "package.json"
        want = lock["packages"][f"node_modules/{package}"]["version"]
        return have.exists() and json.loads(have.read_text(encoding="utf-8"))["version"] == want

    if not (current("typescript") and current("@types/node")):
        r = _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], CLIENT)
        if r.returncode != 0:
            pytest.skip(f"npm ci failed (no registry and no npm cache?): {(r.stderr or r.stdout)[-800:]}")
    return CLIENT / "node_modules" / ".bin" / "tsc"


def type_check_script(source: str, where: Path) -> subprocess.CompletedProcess[str]:
    """`tsc --strict` on one Node.js ES module (top-level await, node: imports, process.env)."""
    tsc = typescript_compiler()
    path = where / "snippet.mts"
    path.write_text(source, encoding="utf-8")
    types = CLIENT / "node_modules" / "@types"
    return _run(
        [str(tsc), "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution",
         "nodenext", "--typeRoots", str(types), "--types", "node", "--skipLibCheck", str(path)],
        where,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed() -> Path:
    return typescript_compiler()


def test_typescript_client_type_checks(installed: Path) -> None:
    r = _run([str(installed), "--noEmit", "-p", "tsconfig.json"], CLIENT)
    assert r.returncode == 0, f"tsc --noEmit failed:\n{r.stdout}{r.stderr}"
    cfg = json.loads((CLIENT / "tsconfig.json").read_text(encoding="utf-8"))
    assert cfg["compilerOptions"]["strict"] is True


NODE_SCRIPT = r"""
import { OcrClient, OcrApiError, describeError } from "./ocrClient.js";
import { readFileSync } from "node:fs";

const [base, key, path] = process.argv.slice(2);
const file = new Blob([readFileSync(path)], { type: "image/png" });
const out = {};
const good = new OcrClient({ baseUrl: base + "/", apiKey: key });
const ocr = await good.ocr(file, { lang: "korean", minConfidence: 0.3, filename: "invoice.png" });
out.ocrPages = ocr.pages.length;
out.ocrFirstLine = ocr.pages[0].lines[0].text;
const ex = await good.extraction(file, { template: "invoice" });
out.total = ex.fields.total_amount.value;
const job = await good.runJob(file, { task: "structure", lang: "korean" }, { intervalMs: 50 });
out.jobMarkdown = job.markdown.includes("거래명세서");
const bad = new OcrClient({ baseUrl: base, apiKey: "wrong", retries: 0 });
try {
  await bad.ocr(file);
} catch (e) {
  out.badIsApiError = e instanceof OcrApiError;
  out.badStatus = e.status;
  out.badCode = e.code;
  out.badMessage = e.message;
  out.badDescribed = describeError(e);
}
const bearer = new OcrClient({ baseUrl: base, getToken: async () => "not-a-jwt", retries: 0 });
try { await bearer.ocr(file); } catch (e) { out.bearerStatus = e.status; out.bearerDescribed = describeError(e); }
out.unsupported = describeError(new OcrApiError({ status: 415, code: "unsupported_media_type", message: "Unsupported file type." }));
const offline = new OcrClient({ baseUrl: "http://127.0.0.1:9", apiKey: key, retries: 0 });
try { await offline.ocr(file); } catch (e) { out.offlineCode = e.code; }
console.log(JSON.stringify(out));
"""


def test_compiled_client_against_the_api_contract(
    installed: Path, stub_server: Any, korean_png: Path, tmp_path: Path
) -> None:
    """The client really works: uploads, typed results, jobs, and the error envelope as OcrApiError."""
    node, _ = _tools()
    config = {
        "extends": str(CLIENT / "tsconfig.json"),
        "compilerOptions": {"noEmit": False, "outDir": str(tmp_path / "out"), "rootDir": str(CLIENT)},
        "files": [str(CLIENT / "ocrClient.ts")],
        "include": [],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    r = _run([str(installed), "-p", str(tmp_path / "tsconfig.json")], CLIENT)
    assert r.returncode == 0, r.stdout + r.stderr
    tmp_path = tmp_path / "out"
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (tmp_path / "run.mjs").write_text(NODE_SCRIPT, encoding="utf-8")
    r = _run([node, "run.mjs", stub_server.url, TEST_KEY, str(korean_png)], tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["ocrPages"] == 1 and out["ocrFirstLine"] == "주식회사 한빛소프트 거래명세서"
    assert out["total"] == "110,000"
    assert out["jobMarkdown"] is True
    assert out["badIsApiError"] and out["badStatus"] == 401 and out["badCode"] == "unauthenticated"
    assert out["badMessage"] == "The API key is not valid."
    # an API-key user is told to check the key, a signed-in user to sign in again; a 415 is said once
    assert (
        out["badDescribed"] == "The API key was not accepted: The API key is not valid. Check the key you were given."
    )
    assert out["bearerStatus"] == 401 and out["bearerDescribed"].startswith("Please sign in again.")
    assert out["unsupported"] == "Unsupported file type."
    assert out["offlineCode"] == "network_error"
