"""The OpenAPI document's examples: real bodies that the response models accept, and a working example
or default on every form field (Swagger UI pre-fills forms from them)."""

from __future__ import annotations

from app.features.extraction.schemas import ExtractionResponse
from app.features.ocr.schemas import OcrResponse
from app.main import create_app
from tests.conftest import make_settings


def _spec(**overrides: object) -> dict:  # type: ignore[type-arg]
    return create_app(make_settings(**overrides)).openapi()


def test_response_examples_are_real_bodies() -> None:
    paths = _spec()["paths"]
    ocr = paths["/ocr"]["post"]["responses"]["200"]["content"]["application/json"]["example"]
    extraction = paths["/extraction"]["post"]["responses"]["200"]["content"]["application/json"]["example"]
    OcrResponse.model_validate(ocr)
    ExtractionResponse.model_validate(extraction)
    assert (
        extraction["fields"]["business_number"]["valid"] is False and extraction["fields"]["business_number"]["reason"]
    )


def test_every_form_field_has_a_default_or_example_and_lang_is_the_deployments() -> None:
    spec = _spec(ocr_default_lang="en")
    bodies = [s for n, s in spec["components"]["schemas"].items() if n.startswith("Body_")]
    assert len(bodies) >= 5
    for body in bodies:
        for name, prop in body["properties"].items():
            if name in ("file", "files"):
                continue
            assert "example" in prop or "default" in prop, (name, prop)
            assert prop.get("example") != "string"
        if "lang" in body["properties"]:
            assert body["properties"]["lang"]["example"] == "en"
