#!/usr/bin/python3
"""Folds PP-OCRv4's recogniser into fewer operators; the arithmetic it computes stays the same.

    /usr/bin/python3 models/derive/fold-recogniser.py SOURCE.onnx DERIVED.onnx

Needs Debian's python3-onnx (and python3-numpy). models/restore.sh runs it on the checksum-verified
ch_PP-OCRv4_rec_infer.onnx and checks the result against the sha256 in models/manifest.json, so the
output must be byte-for-byte reproducible: no randomness, no data, sums taken with math.fsum.

Why: the exported PPLCNetV3 backbone spends a third of its time outside its convolutions. Each of
its 28 convolutions is followed by eight element-wise passes over the feature map:

    Conv -> Mul(a) -> Add(b) -> Add(3) -> Clip(0, 6) -> Mul(x, .) -> Div(6) -> Mul(c) -> Add(d) -> Conv

(a learnable affine, hard-swish spelt out, a second learnable affine). Rewritten:

  1. a and b go into the convolution before them:   W' = a W,  B' = a B + b;
  2. hard-swish becomes x * HardSigmoid(x), which ONNX Runtime fuses into the convolution;
  3. c goes into the next convolution's weights; d into its bias when that convolution has no
     padding (B' = B + d * sum of its weights). A padded convolution sees zeros at the border,
     not d, so there d/c stays as its own per-channel shift (a 1x1 depthwise convolution, which
     ONNX Runtime keeps in its blocked layout, unlike an Add).

Nothing else changes: the same 6,625 classes, the same softmax output, the same input.
"""
import math
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main(source, derived):
    model = onnx.load(source)
    graph = model.graph
    nodes = list(graph.node)
    constants = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in nodes if n.op_type == "Constant"}
    replaced = {}  # constant name -> new float32 value
    dropped = set()  # id() of nodes to remove

    def consumers(name):
        return [n for n in nodes if name in n.input and id(n) not in dropped]

    def scalar(name):
        value = replaced.get(name, constants.get(name))
        return None if value is None or value.size != 1 else float(value.ravel()[0])

    def other_input(node, name):
        return node.input[1] if node.input[0] == name else node.input[0]

    def only_consumer(name, op_type):
        found = consumers(name)
        return found[0] if len(found) == 1 and found[0].op_type == op_type else None

    def weights_and_bias(conv):
        w = replaced.get(conv.input[1], constants[conv.input[1]]).astype(np.float64)
        if len(conv.input) > 2:
            b = replaced.get(conv.input[2], constants[conv.input[2]]).astype(np.float64)
        else:
            b = np.zeros(w.shape[0])
        return w, b

    def set_weights_and_bias(conv, w, b):
        replaced[conv.input[1]] = w.astype(np.float32)
        if len(conv.input) < 3:
            conv.input.append(conv.output[0] + "_bias")
        replaced[conv.input[2]] = b.astype(np.float32)

    def rename_input(old, new):
        for n in nodes:
            for i, name in enumerate(n.input):
                if name == old:
                    n.input[i] = new

    # 1. Conv -> Mul(a) -> Add(b): into the convolution.
    affines_in = 0
    for conv in [n for n in nodes if n.op_type == "Conv"]:
        mul = only_consumer(conv.output[0], "Mul")
        add = mul and only_consumer(mul.output[0], "Add")
        a = mul and scalar(other_input(mul, conv.output[0]))
        b = add and scalar(other_input(add, mul.output[0]))
        if a is None or b is None:
            continue
        w, bias = weights_and_bias(conv)
        set_weights_and_bias(conv, w * a, bias * a + b)
        rename_input(add.output[0], conv.output[0])
        dropped.update({id(mul), id(add)})
        affines_in += 1

    # 2. Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div(6)  =>  Mul(x, HardSigmoid(x; 1/6, 1/2)).
    hardswishes = 0
    for add3 in [n for n in nodes if n.op_type == "Add" and id(n) not in dropped]:
        if scalar(add3.input[1]) != 3.0:
            continue
        x = add3.input[0]
        clip = only_consumer(add3.output[0], "Clip")
        mul = clip and only_consumer(clip.output[0], "Mul")
        div = mul and only_consumer(mul.output[0], "Div")
        if div is None or scalar(div.input[1]) != 6.0 or set(mul.input) != {x, clip.output[0]}:
            continue
        gate = helper.make_node("HardSigmoid", [x], [div.output[0] + "_gate"], alpha=1 / 6, beta=0.5)
        product = helper.make_node("Mul", [x, gate.output[0]], [div.output[0]])
        at = nodes.index(add3)
        nodes[at:at] = [gate, product]
        dropped.update({id(add3), id(clip), id(mul), id(div)})
        hardswishes += 1

    # 3. Mul(c) -> Add(d) -> Conv: into the next convolution.
    affines_out = shifts = 0
    for mul in [n for n in nodes if n.op_type == "Mul" and id(n) not in dropped]:
        c_name = next((i for i in mul.input if scalar(i) is not None), None)
        if c_name is None:
            continue
        x = other_input(mul, c_name)
        add = only_consumer(mul.output[0], "Add")
        d = add and scalar(other_input(add, mul.output[0]))
        conv = add and only_consumer(add.output[0], "Conv")
        if d is None or conv is None:
            continue
        c = scalar(c_name)
        w, bias = weights_and_bias(conv)
        padded = any(next((list(a.ints) for a in conv.attribute if a.name == "pads"), []))
        if padded:
            # The shift acts on the convolution's input: its channels, whatever the grouping.
            group = next((a.i for a in conv.attribute if a.name == "group"), 1)
            channels = w.shape[1] * group
            shift = helper.make_node(
                "Conv", [x, add.output[0] + "_one", add.output[0] + "_shift"], [add.output[0]],
                group=channels, kernel_shape=[1, 1], pads=[0, 0, 0, 0], strides=[1, 1], dilations=[1, 1])
            replaced[add.output[0] + "_one"] = np.ones((channels, 1, 1, 1), np.float32)
            replaced[add.output[0] + "_shift"] = np.full(channels, d / c, np.float32)
            set_weights_and_bias(conv, w * c, bias)
            nodes.insert(nodes.index(mul), shift)
            shifts += 1
        else:
            # The sum per output channel is exactly rounded, so the bias does not depend on numpy's summation order.
            sums = np.array([math.fsum(row) for row in w.reshape(w.shape[0], -1)])
            set_weights_and_bias(conv, w * c, bias + d * sums)
            rename_input(add.output[0], x)
            affines_out += 1
        dropped.update({id(mul), id(add)})

    kept = [n for n in nodes if id(n) not in dropped and not (n.op_type == "Constant" and n.output[0] in replaced)]
    fresh = [helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))
             for name, value in sorted(replaced.items())]
    used = {i for n in kept for i in n.input} | {o.name for o in graph.output}
    final = [n for n in fresh + kept if n.op_type != "Constant" or n.output[0] in used]
    del graph.node[:]
    graph.node.extend(final)
    onnx.checker.check_model(model)
    onnx.save(model, derived)
    print(f"fold-recogniser: {affines_in} affines into their convolution, {hardswishes} hard-swishes, "
          f"{affines_out} affines into the next convolution, {shifts} shifts kept; {len(final)} nodes", file=sys.stderr)
    if affines_in != 28 or hardswishes != 28 or affines_out + shifts != 25:
        sys.exit("fold-recogniser: the graph is not the PP-OCRv4 recogniser this script was written for")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
