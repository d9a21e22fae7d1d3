#!/usr/bin/python3
"""darknet2onnx.py - a darknet cfg + weights as an ONNX model, for the
onnxruntime column of the network benchmark (test/bench/models-kernels.sh).

Usage: darknet2onnx.py CFG WEIGHTS SIZE OUT.onnx

Covers the layer kinds of gatewatch's networks: convolutional (groups,
batch-norm folded as darknet normalises: (x - mean) / (sqrt(var) +
.000001)), connected, maxpool (darknet's asymmetric padding), route, shortcut
(same shape), upsample (nearest), avgpool (global), softmax. The input is
"input", 1 x C x SIZE x SIZE. The outputs are the layers no other layer
reads, named "out<i>" after the darknet layer index i; a region or yolo
layer is not converted: its input (the last convolution) is the output,
as the decoding is not network work. Anything else is refused (exit 1).
Needs python3-onnx and python3-numpy (Debian), bench-only."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HEAD_KINDS = ("region", "yolo", "detection")


def parse_cfg(path):
    """[(kind, {key: value})] in file order, [net] first."""
    sections = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("["):
                sections.append((line.strip("[]").strip(), {}))
            elif "=" in line and sections:
                k, v = line.split("=", 1)
                sections[-1][1][k.strip()] = v.strip()
    return sections


def read_weights(path):
    with open(path, "rb") as f:
        major, minor, _rev = np.frombuffer(f.read(12), dtype=np.int32)
        f.read(8 if major * 10 + minor >= 2 and major < 1000 and minor < 1000 else 4)
        return np.frombuffer(f.read(), dtype=np.float32)


class Converter:
    def __init__(self, cfg, weights, size):
        self.sections = parse_cfg(cfg)
        if not self.sections or self.sections[0][0] not in ("net", "network"):
            raise ValueError("cfg does not start with [net]")
        self.w = weights
        self.wpos = 0
        self.nodes, self.inits = [], []
        self.shapes = []   # (c, h, w) of each layer's output
        self.names = []    # ONNX value name of each layer's output
        self.size = size

    def take(self, n):
        if self.wpos + n > len(self.w):
            raise ValueError("weights file too short")
        a = self.w[self.wpos:self.wpos + n]
        self.wpos += n
        return a

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def activation(self, i, x, act):
        if act == "linear":
            return x
        out = f"l{i}_act"
        if act == "leaky":
            self.nodes.append(helper.make_node("LeakyRelu", [x], [out], alpha=0.1))
        elif act == "relu":
            self.nodes.append(helper.make_node("Relu", [x], [out]))
        elif act == "logistic":
            self.nodes.append(helper.make_node("Sigmoid", [x], [out]))
        else:
            raise ValueError(f"layer {i}: activation {act} not supported")
        return out

    def conv(self, i, o, x, shape):
        c, h, w = shape
        n, size = int(o.get("filters", 1)), int(o.get("size", 1))
        stride, groups = int(o.get("stride", 1)), int(o.get("groups", 1))
        pad = size // 2 if int(o.get("pad", 0)) else int(o.get("padding", 0))
        bn = int(o.get("batch_normalize", 0))
        biases = self.take(n).astype(np.float64)
        wshape = (n, c // groups, size, size)
        if bn:
            scales, mean, var = self.take(n), self.take(n), self.take(n)
        weights = self.take(int(np.prod(wshape))).reshape(wshape).astype(np.float64)
        if bn:
            s = scales / (np.sqrt(var.astype(np.float32)) + np.float32(.000001))
            weights = weights * s.astype(np.float64)[:, None, None, None]
            biases = biases - mean * s.astype(np.float64)
        wn = self.const(f"l{i}_w", weights.astype(np.float32))
        bname = self.const(f"l{i}_b", biases.astype(np.float32))
        out = f"l{i}_conv"
        self.nodes.append(helper.make_node("Conv", [x, wn, bname], [out], kernel_shape=[size, size],
                                           strides=[stride, stride], pads=[pad] * 4, group=groups))
        oh, ow = (h + 2 * pad - size) // stride + 1, (w + 2 * pad - size) // stride + 1
        return self.activation(i, out, o.get("activation", "logistic")), (n, oh, ow)

    def connected(self, i, o, x, shape):
        n, k = int(o.get("output", 1)), int(np.prod(shape))
        biases = self.take(n).astype(np.float64)
        weights = self.take(n * k).reshape(n, k).astype(np.float64)
        if int(o.get("batch_normalize", 0)):
            scales, mean, var = self.take(n), self.take(n), self.take(n)
            s = scales / (np.sqrt(var.astype(np.float32)) + np.float32(.000001))
            weights = weights * s.astype(np.float64)[:, None]
            biases = biases - mean * s.astype(np.float64)
        flat, out = f"l{i}_flat", f"l{i}_fc"
        self.nodes.append(helper.make_node("Flatten", [x], [flat], axis=1))
        self.nodes.append(helper.make_node("Gemm", [flat, self.const(f"l{i}_w", weights.astype(np.float32)),
                                                    self.const(f"l{i}_b", biases.astype(np.float32))],
                                           [out], transB=1))
        return self.activation(i, out, o.get("activation", "logistic")), (n,)

    def maxpool(self, i, o, x, shape):
        c, h, w = shape
        stride = int(o.get("stride", 1))
        size = int(o.get("size", stride))
        padding = int(o.get("padding", size - 1))
        out = f"l{i}_pool"
        # darknet's window starts at -padding/2: the rest of the padding
        # is on the right and bottom
        lo, hi = padding // 2, padding - padding // 2
        self.nodes.append(helper.make_node("MaxPool", [x], [out], kernel_shape=[size, size],
                                           strides=[stride, stride], pads=[lo, lo, hi, hi]))
        return out, (c, (h + padding - size) // stride + 1, (w + padding - size) // stride + 1)

    def layer_ref(self, i, v):
        v = int(v)
        return v if v >= 0 else i + v

    def route(self, i, o):
        refs = [self.layer_ref(i, v) for v in o["layers"].split(",")]
        out = f"l{i}_route"
        if len(refs) == 1:
            self.nodes.append(helper.make_node("Identity", [self.names[refs[0]]], [out]))
        else:
            self.nodes.append(helper.make_node("Concat", [self.names[r] for r in refs], [out], axis=1))
        shape0 = self.shapes[refs[0]]
        if any(self.shapes[r][1:] != shape0[1:] for r in refs):
            raise ValueError(f"layer {i}: route of different sizes")
        return out, (sum(self.shapes[r][0] for r in refs), shape0[1], shape0[2]), refs

    def shortcut(self, i, o, x, shape):
        src = self.layer_ref(i, o["from"])
        if self.shapes[src] != shape:
            raise ValueError(f"layer {i}: shortcut of different shapes")
        alpha, beta = float(o.get("alpha", 1)), float(o.get("beta", 1))
        a, b = x, self.names[src]
        if alpha != 1:
            a = f"l{i}_a"
            self.nodes.append(helper.make_node("Mul", [x, self.const(f"l{i}_alpha", np.float32(alpha))], [a]))
        if beta != 1:
            b = f"l{i}_b2"
            self.nodes.append(helper.make_node("Mul", [self.names[src],
                              self.const(f"l{i}_beta", np.float32(beta))], [b]))
        out = f"l{i}_add"
        self.nodes.append(helper.make_node("Add", [a, b], [out]))
        return self.activation(i, out, o.get("activation", "linear")), shape, [src]

    def upsample(self, i, o, x, shape):
        c, h, w = shape
        s, scale = int(o.get("stride", 2)), float(o.get("scale", 1))
        if s < 1:
            raise ValueError(f"layer {i}: reverse upsample not supported")
        out = f"l{i}_up"
        self.nodes.append(helper.make_node(
            "Resize", [x, "", self.const(f"l{i}_scales", np.array([1, 1, s, s], np.float32))], [out],
            mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
        if scale != 1:
            self.nodes.append(helper.make_node("Mul", [out, self.const(f"l{i}_scale", np.float32(scale))],
                                               [out + "s"]))
            out += "s"
        return out, (c, h * s, w * s)

    def convert(self):
        net = self.sections[0][1]
        c = int(net.get("channels", 3))
        x, shape = "input", (c, self.size, self.size)
        read = set()
        heads = []
        for i, (kind, o) in enumerate(self.sections[1:]):
            refs = [i - 1] if i > 0 else []
            if kind in ("convolutional", "conv"):
                x, shape = self.conv(i, o, x, shape)
            elif kind in ("connected", "conn"):
                x, shape = self.connected(i, o, x, shape)
            elif kind in ("maxpool", "max"):
                x, shape = self.maxpool(i, o, x, shape)
            elif kind == "route":
                x, shape, refs = self.route(i, o)
            elif kind == "shortcut":
                x, shape, more = self.shortcut(i, o, x, shape)
                refs += more
            elif kind == "upsample":
                x, shape = self.upsample(i, o, x, shape)
            elif kind in ("avgpool", "avg"):
                self.nodes.append(helper.make_node("GlobalAveragePool", [x], [f"l{i}_avg"]))
                x, shape = f"l{i}_avg", (shape[0], 1, 1)
            elif kind in ("softmax", "soft"):
                if int(o.get("groups", 1)) != 1 or float(o.get("temperature", 1)) != 1:
                    raise ValueError(f"layer {i}: softmax groups/temperature not supported")
                self.nodes.append(helper.make_node("Flatten", [x], [f"l{i}_flat"], axis=1))
                self.nodes.append(helper.make_node("Softmax", [f"l{i}_flat"], [f"l{i}_soft"], axis=1))
                x, shape = f"l{i}_soft", (int(np.prod(shape)),)   # 1 x N, as Flatten gives
            elif kind in HEAD_KINDS:
                heads.append(i - 1)
                refs = [i - 1]
            else:
                raise ValueError(f"layer {i}: [{kind}] not supported")
            read.update(r for r in refs if r >= 0)
            self.names.append(x)
            self.shapes.append(shape)
        n = len(self.names)
        kinds = [k for k, _ in self.sections[1:]]
        outs = sorted(set(heads) | {i for i in range(n) if i not in read and kinds[i] not in HEAD_KINDS})
        if self.wpos != len(self.w):
            print(f"darknet2onnx: {len(self.w) - self.wpos} weights left over", file=sys.stderr)
        outputs = []
        for i in outs:
            name = f"out{i}"
            self.nodes.append(helper.make_node("Identity", [self.names[i]], [name]))
            outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, *self.shapes[i]]))
        graph = helper.make_graph(
            self.nodes, "darknet",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c, self.size, self.size])],
            outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                                  producer_name="gatewatch darknet2onnx")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: darknet2onnx.py CFG WEIGHTS SIZE OUT.onnx")
    try:
        model = Converter(sys.argv[1], read_weights(sys.argv[2]), int(sys.argv[3])).convert()
    except (ValueError, KeyError, OSError) as e:
        sys.exit(f"darknet2onnx: {e}")
    onnx.save(model, sys.argv[4])


if __name__ == "__main__":
    main()
