"""POST /ocr and /ocr/batch: the OCR pipeline (pipeline.py), its result types (types.py), reading order,
the response schemas and the router."""
