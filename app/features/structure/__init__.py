"""POST /structure: layout blocks, tables and Markdown on top of the OCR pipeline."""
