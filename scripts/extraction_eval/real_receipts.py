"""The real receipt photos and the real transaction statement of the shared `real-dev` images through
``POST /extraction`` of a service started with the defaults, printed beside their transcriptions.

    python -m scripts.extraction_eval.real_receipts

The transcriptions (labels.json) list strings, not field values: the figures in docs/extraction.md
("On real receipts") were judged by hand from this output, field by field.
"""

from __future__ import annotations

import json
import sys

import httpx

from scripts.ocr_eval.__main__ import REPO, service

REAL = REPO.parent / "shared" / "eval" / "real-dev"
FIELDS = "date,total,vendor,business_number,phone"


def main() -> int:
    labels = {d["file"]: d for d in json.loads((REAL / "labels.json").read_text(encoding="utf-8"))}
    files = [f for f in sorted(labels) if f.startswith("ko_receipt") or "transaction" in f or "kitchen" in f]
    with service({}) as (url, headers):
        for name in files:
            r = httpx.post(
                url + "/extraction",
                headers=headers,
                files={"file": (name, (REAL / name).read_bytes())},
                data={"fields": FIELDS, "lang": "korean"},
                timeout=600,
            )
            print(f"===== {name} {r.status_code}")
            for key, f in r.json().get("fields", {}).items():
                print(f"  {key}: {f['value']!r} -> {f['normalized']!r} conf {f['confidence']} valid {f['valid']}")
            print("  transcription:", " | ".join(labels[name]["lines"])[:900])
    return 0


if __name__ == "__main__":
    sys.exit(main())
