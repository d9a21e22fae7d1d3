#!/usr/bin/python3
"""prune-net.py - a darknet network without the layers nothing reads.

  prune-net.py --in DIR --out DIR --name NAME [--check IMAGE...]

Reads DIR/NAME.cfg and DIR/NAME.weights, writes OUT/NAME.cfg and
OUT/NAME.weights with every layer removed whose output no later layer
reads and that is not the last layer (the network's output), and every
[route] of one input that is the layer just before it (a copy); the
remaining routes renumbered. The weights are the same floats, those of the
removed layers left out. If DIR/NAME.manifest exists, OUT/NAME.manifest is
it plus a line saying what was removed.

Why: mask.cfg is the AIZOO backbone (5 convolutions, 4 pools) and a head
that reads conv2d_3 (layer 6) through a route: the pool and convolution
after layer 6 were computed on every face and never read. `make models`
runs this between models/trained/ and models/out/.

--check IMAGE...: load both networks with libdarknet's stock forward
(ctypes) and require the outputs bit for bit equal on each image (resized
to the input) and on 8 seeded random inputs; exit 1 if not.

Covers [net], [convolutional], [maxpool], [route], [connected],
[softmax], [dropout], [avgpool]; any other kind: exit 2, nothing written
(a kind whose weights or inputs this script does not know).
"""
import argparse
import os
import re
import struct
import sys

KNOWN = {"convolutional", "maxpool", "route", "connected", "softmax", "dropout", "avgpool"}


def read_cfg(path):
    """[(kind, [(key, value)], [raw lines])] with [net] first."""
    secs = []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            m = re.match(r"^\[(\w+)\]$", s)
            if m:
                secs.append([m.group(1), []])
            elif secs and "=" in s:
                k, v = s.split("=", 1)
                secs[-1][1].append((k.strip(), v.strip()))
            else:
                sys.exit("prune-net: %s: cannot read line %r" % (path, s))
    return secs


def opt(sec, key, default):
    for k, v in sec[1]:
        if k == key:
            return v
    return default


def shapes(secs):
    """Each layer's (floats of weights, inputs it reads, output (c, h, w))."""
    net = secs[0]
    h, w, c = int(opt(net, "height", 0)), int(opt(net, "width", 0)), int(opt(net, "channels", 0))
    out, info = (c, h, w), []
    for i, sec in enumerate(secs[1:]):
        kind = sec[0]
        reads = [i - 1] if i > 0 else []
        nw = 0
        c, h, w = out
        if kind == "convolutional":
            n, size = int(opt(sec, "filters", 1)), int(opt(sec, "size", 1))
            stride, groups = int(opt(sec, "stride", 1)), int(opt(sec, "groups", 1))
            pad = size // 2 if int(opt(sec, "pad", 0)) else int(opt(sec, "padding", 0))
            nw = n + (3 * n if int(opt(sec, "batch_normalize", 0)) else 0) + n * (c // groups) * size * size
            out = (n, (h + 2 * pad - size) // stride + 1, (w + 2 * pad - size) // stride + 1)
        elif kind == "maxpool":
            size = int(opt(sec, "size", 1))
            stride = int(opt(sec, "stride", 1))
            pad = int(opt(sec, "padding", size - 1))
            out = (c, (h + pad - size) // stride + 1, (w + pad - size) // stride + 1)
        elif kind == "avgpool":
            out = (c, 1, 1)
        elif kind == "route":
            reads = [int(x) for x in opt(sec, "layers", "").split(",")]
            reads = [x + i if x < 0 else x for x in reads]
            oc = sum(info[x][2][0] for x in reads)
            out = (oc, info[reads[0]][2][1], info[reads[0]][2][2])
        elif kind == "connected":
            n = int(opt(sec, "output", 1))
            nw = n + n * c * h * w + (3 * n if int(opt(sec, "batch_normalize", 0)) else 0)
            out = (n, 1, 1)
        info.append((nw, reads, out))
    return info


def prune(secs):
    """The kept layer indices, in order, and the new index of each."""
    info = shapes(secs)
    n = len(info)
    read = [False] * n
    read[n - 1] = True
    for i in range(n - 1, -1, -1):
        if read[i]:
            for r in info[i][1]:
                read[r] = True
    keep = []
    for i in range(n):
        if not read[i]:
            continue
        sec = secs[i + 1]
        if sec[0] == "route" and info[i][1] == [keep[-1] if keep else -1]:
            continue  # a copy of the layer just before it (as kept)
        keep.append(i)
    return keep, info


def write_cfg(src, secs, keep, path):
    """The cfg's own text (comments, order of keys) for kept sections, routes renumbered."""
    newidx = {old: new for new, old in enumerate(keep)}
    for i in range(len(secs) - 1):   # a dropped copy-route: its input's
        if i not in newidx and secs[i + 1][0] == "route" and i - 1 in newidx:
            newidx[i] = newidx[i - 1]
    text = open(src).read()
    parts = re.split(r"(?m)^(?=\[)", text)
    head, body = parts[0], parts[1:]
    if len(body) != len(secs):
        sys.exit("prune-net: %s: sections do not match" % src)
    out = [head, body[0]]
    for old in keep:
        p = body[old + 1]
        if secs[old + 1][0] == "route":
            layers = [int(x) for x in opt(secs[old + 1], "layers", "").split(",")]
            layers = [newidx[x + old if x < 0 else x] for x in layers]
            p = re.sub(r"(?m)^(\s*layers\s*=).*$", lambda m: m.group(1) + ",".join(map(str, layers)), p)
        out.append(p)
    with open(path, "w") as f:
        f.write("".join(out))


def check(din, dout, name, images):
    import ctypes
    import numpy as np

    class Image(ctypes.Structure):
        _fields_ = [("w", ctypes.c_int), ("h", ctypes.c_int), ("c", ctypes.c_int),
                    ("data", ctypes.POINTER(ctypes.c_float))]

    dn = ctypes.CDLL("/usr/lib/darknet/libdarknet.so")
    dn.load_network.restype = ctypes.c_void_p
    dn.load_network.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    dn.network_predict.restype = ctypes.POINTER(ctypes.c_float)
    dn.network_predict.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float)]
    dn.load_image_color.restype = Image
    dn.load_image_color.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    secs = read_cfg(os.path.join(din, name + ".cfg"))
    c, h, w = (int(opt(secs[0], k, 0)) for k in ("channels", "height", "width"))
    nout = shapes(secs)[-1][2]
    nout = nout[0] * nout[1] * nout[2]
    nets = [dn.load_network(os.path.join(d, name + ".cfg").encode(),
                            os.path.join(d, name + ".weights").encode(), 0) for d in (din, dout)]
    inputs = []
    for p in images:
        im = dn.load_image_color(p.encode(), w, h)
        inputs.append(("image " + p, np.ctypeslib.as_array(im.data, (c * h * w,)).copy()))
    rng = np.random.default_rng(1)
    inputs += [("random %d" % k, rng.random(c * h * w, dtype=np.float32)) for k in range(8)]
    bad = 0
    for what, x in inputs:
        x = np.ascontiguousarray(x, np.float32)
        ptr = x.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        ys = [np.ctypeslib.as_array(dn.network_predict(n, ptr), (nout,)).copy() for n in nets]
        same = ys[0].tobytes() == ys[1].tobytes()
        bad += not same
        print("%s - %s: %s" % ("ok" if same else "not ok", what,
                                "outputs bit for bit equal" if same else
                                "outputs differ (%s vs %s)" % (ys[0], ys[1])))
    return bad == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--in", dest="din", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--check", nargs="*")
    a = ap.parse_args()
    cfg = os.path.join(a.din, a.name + ".cfg")
    secs = read_cfg(cfg)
    if not secs or secs[0][0] not in ("net", "network"):
        sys.exit("prune-net: %s: no [net] first" % cfg)
    for s in secs[1:]:
        if s[0] not in KNOWN:
            print("prune-net: %s: [%s] not covered, nothing written" % (cfg, s[0]), file=sys.stderr)
            sys.exit(2)
    keep, info = prune(secs)
    wpath = os.path.join(a.din, a.name + ".weights")
    data = open(wpath, "rb").read()
    major, minor = struct.unpack("<ii", data[:8])
    hdr = 20 if major * 10 + minor >= 2 else 16
    if major > 1000 or minor > 1000:
        sys.exit("prune-net: %s: version %d.%d not covered" % (wpath, major, minor))
    need = sum(x[0] for x in info) * 4
    if len(data) - hdr != need:
        sys.exit("prune-net: %s: %d bytes of floats, the cfg wants %d" % (wpath, len(data) - hdr, need))
    chunks, off = [], hdr
    for nw, _, _ in info:
        chunks.append(data[off:off + nw * 4])
        off += nw * 4
    removed = [i for i in range(len(info)) if i not in keep]
    os.makedirs(a.out, exist_ok=True)
    write_cfg(cfg, secs, keep, os.path.join(a.out, a.name + ".cfg.tmp"))
    with open(os.path.join(a.out, a.name + ".weights.tmp"), "wb") as f:
        f.write(data[:hdr])
        for i in keep:
            f.write(chunks[i])
    what = ["%d %s (%s)" % (i, secs[i + 1][0], "a copy of the layer before it"
                              if secs[i + 1][0] == "route" else "computed, never read") for i in removed]
    note = ("pruned by models/scripts/prune-net.py from %s/%s.cfg: layers %s removed; outputs bit for "
            "bit those of the unpruned network\n" % (a.din, a.name, ", ".join(what) or "none"))
    man = os.path.join(a.din, a.name + ".manifest")
    if os.path.exists(man):
        with open(man) as f, open(os.path.join(a.out, a.name + ".manifest.tmp"), "w") as o:
            o.write(f.read().rstrip("\n") + "\n\n" + note)
    for ext in ("cfg", "weights", "manifest"):
        t = os.path.join(a.out, "%s.%s.tmp" % (a.name, ext))
        if os.path.exists(t):
            os.replace(t, t[:-4])
    print("prune-net: %s" % note.strip(), file=sys.stderr)
    if a.check is not None and not check(a.din, a.out, a.name, a.check):
        sys.exit(1)


if __name__ == "__main__":
    main()
