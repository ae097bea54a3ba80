"""The recognizer between ONNX (what ships) and PyTorch (what trains).

``trainable(base, new_chars, old_chars)``: the base PP-OCRv6 small recognizer as a torch module whose
classifier is resized to the new dictionary (rows of characters the base knew are copied, new rows
start small), plus a map from every trainable torch tensor to the ONNX initializer it came from.
``write_back(base, module, tensors)``: the base ONNX graph with those initializers replaced by the
trained values (same graph, opset, input/output names and dynamic width as the base; only the
classifier's shape changes). ``patch`` / ``apply_patch``: the trained initializers alone, as shipped in
the repository and applied by scripts/fetch_models.py to the wheel's base model.

Conversion details that matter (each was checked against ONNX Runtime, max difference ~1e-5):
- two 2x2 stem convolutions and a max-pool use ``auto_pad=SAME_UPPER``, which onnx2torch does not take;
  for stride 1 that is exactly explicit pads ``[0, 0, 1, 1]``;
- Identity nodes are dropped (they cost ~17 % of a training step) and the final Softmax is left out
  (CTC wants logits);
- onnx2torch keeps MatMul weights, LayerNorm and bias tensors as buffers: they become parameters;
- onnx2torch imports torchvision for NMS/RoIAlign, which this graph does not use: a stub module
  stands in for it, so no torchvision (and no CUDA torch build) is needed.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

CLASSIFIER_W = "linear_8.w_0"
CLASSIFIER_B = "linear_8.b_0"
# float initializers that are weights (the rest are constants: eps, exponents, attention scales, shapes)
TRAINABLE = re.compile(
    r"^(conv2d_\d+\.w_0|p2o\.pd_op\.reshape\.\d+\.0|batch_norm2d_\d+\.[wb]_0|helper\.reshape\.\d+|linear_\d+\.[wb]_0)$"
)


def _stub_torchvision() -> None:
    if "torchvision" in sys.modules:
        return
    tv = types.ModuleType("torchvision")
    ops = types.ModuleType("torchvision.ops")
    ops.roi_align = None  # type: ignore[attr-defined]
    tv.ops = ops  # type: ignore[attr-defined]
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.ops"] = ops


def load(path: str) -> Any:
    import onnx

    return onnx.load(path)


def _arrays(model: Any) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


def class_map(new_chars: Sequence[str], old_chars: Sequence[str]) -> list[int | None]:
    """For each new class (blank, characters, space) the old class index holding the same symbol, or None."""
    old_index = {c: i + 1 for i, c in enumerate(old_chars)}
    space_old = len(old_chars) + 1
    return [0, *[old_index.get(c) for c in new_chars], space_old]


def resized_classifier(
    w: np.ndarray, b: np.ndarray, mapping: list[int | None], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Classifier (dim x classes) for the new classes: copied where the base had the symbol, else small."""
    rng = np.random.default_rng(seed)
    dim = w.shape[0]
    new_w = np.empty((dim, len(mapping)), dtype=np.float32)
    new_b = np.empty(len(mapping), dtype=np.float32)
    spread = float(w.std())
    for j, old in enumerate(mapping):
        if old is None:
            new_w[:, j] = rng.normal(0.0, 0.1 * spread, dim)
            new_b[j] = float(b.mean())
        else:
            new_w[:, j] = w[:, old]
            new_b[j] = b[old]
    return new_w, new_b


def _training_graph(base: Any, w: np.ndarray, b: np.ndarray) -> Any:
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.ModelProto()
    model.CopyFrom(base)
    g = model.graph
    for node in g.node:
        for attr in list(node.attribute):
            if attr.name == "auto_pad" and attr.s == b"SAME_UPPER":
                node.attribute.remove(attr)
                node.attribute.append(helper.make_attribute("pads", [0, 0, 1, 1]))
    alias: dict[str, str] = {}
    keep = []
    for node in g.node:
        if node.op_type == "Identity" or (node.op_type == "Softmax" and node.output[0] == g.output[0].name):
            alias[node.output[0]] = node.input[0]
        else:
            keep.append(node)

    def real(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    for node in keep:
        for i, name in enumerate(node.input):
            node.input[i] = real(name)
    for out in g.output:
        out.name = real(out.name)
        out.type.tensor_type.shape.dim[-1].dim_value = w.shape[1]
    del g.node[:]
    g.node.extend(keep)
    for init in g.initializer:
        if init.name == CLASSIFIER_W:
            init.CopyFrom(numpy_helper.from_array(w, CLASSIFIER_W))
        elif init.name == CLASSIFIER_B:
            init.CopyFrom(numpy_helper.from_array(b, CLASSIFIER_B))
    return model


def _key(a: np.ndarray) -> tuple[tuple[int, ...], str]:
    return tuple(int(s) for s in a.shape), hashlib.sha1(np.ascontiguousarray(a, dtype=np.float32).tobytes()).hexdigest()


@dataclass
class Trainable:
    module: Any  # torch.fx.GraphModule
    tensors: dict[str, str]  # torch parameter name -> ONNX initializer name
    order: dict[str, int]  # torch parameter name -> index of the first graph node using it (depth)
    nodes: int


def trainable(base: Any, mapping: list[int | None], seed: int = 0) -> Trainable:
    _stub_torchvision()
    import torch
    from onnx2torch import convert

    arrays = _arrays(base)
    w, b = resized_classifier(arrays[CLASSIFIER_W], arrays[CLASSIFIER_B], mapping, seed)
    graph = _training_graph(base, w, b)
    module = convert(graph)
    # buffers holding weights become parameters
    holder = module.initializers
    for name, buf in list(holder._buffers.items()):
        if buf is not None and buf.is_floating_point() and buf.numel() > 1:
            del holder._buffers[name]
            holder.register_parameter(name, torch.nn.Parameter(buf.detach().clone()))
    # torch tensor -> initializer, by value (every weight initializer has distinct contents)
    by_value: dict[tuple[tuple[int, ...], str], list[str]] = {}
    for name, arr in _arrays(graph).items():
        if TRAINABLE.match(name) and arr.dtype == np.float32:
            by_value.setdefault(_key(arr), []).append(name)
    tensors: dict[str, str] = {}
    frozen_constants = []
    for pname, p in module.named_parameters():
        names = by_value.get(_key(p.detach().cpu().numpy()))
        if not names:
            frozen_constants.append(pname)
            p.requires_grad_(False)
            continue
        if len(names) > 1:
            raise RuntimeError(f"{pname}: {len(names)} initializers share its value ({names}); cannot map it back")
        tensors[pname] = names[0]
    for mod in module.modules():  # BatchNorm running statistics: mapped too, never trained
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.eval()
    # depth of each parameter: the first fx node that reads it
    params = dict(module.named_parameters())
    order: dict[str, int] = {}
    nodes = list(module.graph.nodes)
    ids = {id(p): n for n, p in params.items()}
    for i, node in enumerate(nodes):
        if node.op == "call_module":
            for p in module.get_submodule(node.target).parameters():
                order.setdefault(ids[id(p)], i)
        elif node.op == "get_attr" and node.target in params:
            order.setdefault(node.target, i)
    missing = [n for n in TRAINABLE_NAMES(graph) if n not in set(tensors.values())]
    if missing:
        raise RuntimeError(f"weight initializers not found among the torch parameters: {missing[:5]}")
    return Trainable(module, tensors, order, len(nodes))


def TRAINABLE_NAMES(model: Any) -> list[str]:
    return [i.name for i in model.graph.initializer if TRAINABLE.match(i.name)]


def trained_arrays(t: Trainable) -> dict[str, np.ndarray]:
    """ONNX initializer name -> trained value (float32)."""
    params = dict(t.module.named_parameters())
    return {
        onnx_name: params[pname].detach().cpu().numpy().astype(np.float32) for pname, onnx_name in t.tensors.items()
    }


def write_back(base: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The base graph (Softmax, Identity nodes, pads and all) with ``arrays`` as its initializers."""
    import onnx
    from onnx import numpy_helper

    model = onnx.ModelProto()
    model.CopyFrom(base)
    for init in model.graph.initializer:
        if init.name in arrays:
            init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(arrays[init.name], dtype=np.float32), init.name))
    classes = arrays[CLASSIFIER_B].shape[0]
    model.graph.output[0].type.tensor_type.shape.dim[-1].dim_value = classes
    # shape annotations of the classifier's outputs still carry the base's class count
    stale = [v for v in model.graph.value_info if v.type.tensor_type.shape.dim
             and v.type.tensor_type.shape.dim[-1].dim_value not in (0, classes)
             and v.type.tensor_type.shape.dim[-1].dim_value == base.graph.output[0].type.tensor_type.shape.dim[-1].dim_value]  # fmt: skip
    for v in stale:
        model.graph.value_info.remove(v)
    return model


def patch_bytes(arrays: dict[str, np.ndarray], base: Any, base_sha256: str) -> bytes:
    """What the repository ships: for every trained initializer its change from the base as float16
    (changes are small, so float16 keeps them to ~1e-6 absolute), initializers the training left as they
    were are omitted, and the resized classifier is stored whole in float32."""
    base_arrays = _arrays(base)
    payload: dict[str, np.ndarray] = {}
    for name, a in sorted(arrays.items()):
        ref = base_arrays[name]
        if a.shape != ref.shape:
            payload[f"full/{name}"] = a.astype(np.float32)
        elif not np.array_equal(a, ref):
            payload[f"delta/{name}"] = (a - ref).astype(np.float16)
    buf = io.BytesIO()
    np.savez_compressed(buf, __base_sha256__=np.frombuffer(base_sha256.encode(), dtype=np.uint8), **payload)
    return buf.getvalue()


def read_patch(data: bytes, base: Any) -> tuple[str, dict[str, np.ndarray]]:
    """(base SHA-256, initializer name -> value) of a patch made by :func:`patch_bytes` for ``base``."""
    base_arrays = _arrays(base)
    out: dict[str, np.ndarray] = {}
    with np.load(io.BytesIO(data)) as z:
        sha = z["__base_sha256__"].tobytes().decode()
        for key in z.files:
            if key.startswith("full/"):
                out[key[5:]] = z[key].astype(np.float32)
            elif key.startswith("delta/"):
                name = key[6:]
                out[name] = (base_arrays[name].astype(np.float32) + z[key].astype(np.float32)).astype(np.float32)
    return sha, out


def apply_patch(base_bytes: bytes, patch: bytes) -> bytes:
    """The shipped model: ``base_bytes`` (the wheel's ONNX) with ``patch`` applied, serialized."""
    import onnx

    got = hashlib.sha256(base_bytes).hexdigest()
    with np.load(io.BytesIO(patch)) as z:
        sha = z["__base_sha256__"].tobytes().decode()
    if sha != got:
        raise ValueError(f"the patch was made for base model {sha[:12]}…, this base is {got[:12]}…")
    base = onnx.load_from_string(base_bytes)
    _, arrays = read_patch(patch, base)
    return bytes(write_back(base, arrays).SerializeToString())
