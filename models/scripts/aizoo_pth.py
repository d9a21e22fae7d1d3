"""aizoo_pth - read AIZOOTech's model360.pth without torch.

The file is a legacy (pre-zip) torch.save of whole modules: five pickles
in a row (magic number, protocol version, system info, the module tree,
the list of storage keys), then each storage's raw bytes (an int64
element count, then the elements, little-endian). Tensors in the tree
refer to storages by key through pickle's persistent ids; module classes
are persistent ids too (with their source). A small Unpickler that maps
torch's rebuild functions to numpy reads it all.

Layers (names as in the module tree, see models/vendor/aizoo-facemask):
conv2d_0..7 (no bias, each followed by conv2d_i_bn), and per head level
L = 0..4 cls_L_insert_conv2d / loc_L_insert_conv2d (no bias, + _bn), then
cls_L_conv (8 outputs) / loc_L_conv (16), which have a bias.
"""
import collections
import pickle
import struct

import numpy as np

MAGIC = 0x1950a86a20f9469cfc6c
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32, "ByteStorage": np.uint8}


class _Module:
    """Any pickled class: keeps its state (a module's __dict__)."""

    def __init__(self, *args, **kwargs):
        self.state = None

    def __setstate__(self, state):
        self.state = state


class _Tensor:
    """A tensor whose storage bytes come later in the file."""

    def __init__(self, key, offset, size, stride):
        self.key, self.offset, self.size, self.stride = key, offset, tuple(size), tuple(stride)


def _rebuild_tensor_v2(storage, offset, size, stride, *rest):
    return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(data, *rest):
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, kinds):
        super().__init__(f, encoding="latin1")
        self.kinds = kinds

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _DTYPES:
            return name
        return type(name, (_Module,), {})

    def persistent_load(self, pid):
        if pid[0] == "module":          # ('module', class, source file, source)
            return pid[1]
        if pid[0] != "storage":
            raise ValueError("unknown persistent id %r" % (pid[0],))
        _, kind, key, _location, _size = pid[:5]
        if kind not in _DTYPES:
            raise ValueError("storage type %r not supported" % (kind,))
        self.kinds[key] = _DTYPES[kind]
        return key


def read(path):
    """Return {layer name: {"weight", "bias", "running_mean", ...: numpy array}}."""
    kinds = {}
    with open(path, "rb") as f:
        if _Unpickler(f, kinds).load() != MAGIC:
            raise ValueError("%s: not a legacy torch.save file" % path)
        _Unpickler(f, kinds).load()     # protocol version
        _Unpickler(f, kinds).load()     # system info
        root = _Unpickler(f, kinds).load()
        keys = _Unpickler(f, kinds).load()
        data = {}
        for key in keys:
            (count,) = struct.unpack("<q", f.read(8))
            dt = np.dtype(kinds[key]).newbyteorder("<")
            raw = f.read(count * dt.itemsize)
            if len(raw) != count * dt.itemsize:
                raise ValueError("%s: storage %s truncated" % (path, key))
            data[key] = np.frombuffer(raw, dtype=dt)
        if f.read(1):
            raise ValueError("%s: bytes after the last storage" % path)
    layers = {}
    if not isinstance(root.state, dict) or "_modules" not in root.state:
        raise ValueError("%s: no module tree" % path)
    for name, mod in root.state["_modules"].items():
        arrays = {}
        for group in ("_parameters", "_buffers"):
            for pname, t in (mod.state.get(group) or {}).items():
                if t is None:
                    continue
                flat = data[t.key]
                n = int(np.prod(t.size)) if t.size else 1
                arr = np.lib.stride_tricks.as_strided(
                    flat[t.offset:], shape=t.size, strides=[s * flat.itemsize for s in t.stride]) if t.size \
                    else flat[t.offset:t.offset + 1].reshape(())
                arrays[pname] = np.array(arr, dtype=flat.dtype)
                assert arrays[pname].size == n
        arrays["eps"] = mod.state.get("eps")
        layers[name] = arrays
    return layers


def folded(layers, name):
    """(weight OIHW float32, bias float32) of conv `name` with its BatchNorm folded in."""
    conv = layers[name]
    w = conv["weight"].astype(np.float64)
    b = conv.get("bias")
    b = np.zeros(w.shape[0]) if b is None else b.astype(np.float64)
    bn = layers.get(name + "_bn")
    if bn is not None:
        scale = bn["weight"].astype(np.float64) / np.sqrt(bn["running_var"].astype(np.float64) + bn["eps"])
        w = w * scale[:, None, None, None]
        b = bn["bias"].astype(np.float64) + (b - bn["running_mean"].astype(np.float64)) * scale
    return w.astype(np.float32), b.astype(np.float32)
