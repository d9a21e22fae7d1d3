// nanodet-decode.js - the NanoDet box decode gatewatch uses, in JS, so the
// reference fixtures are decoded exactly as common/persondet.c decodes.
//
// heads: for strides 8, 16, 32, { stride, w, h, cls: Float32Array (80 x cells,
// class logits *before* sigmoid, channel-major), reg: Float32Array (44 x cells,
// channel-major: l,t,r,b x 11 bins) }.  A cell at (col,row) has centre
// ((col + 0.5) * stride, (row + 0.5) * stride) in input pixels (NanoDet's
// GFL head); each side = sum_k softmax(bins)_k * k * stride.
// Returns person boxes [{x,y,w,h,score}] in pixels of the original image
// (stretched input undone), sorted by score, after greedy NMS.
'use strict';

const NBINS = 11;

function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }

function iou(a, b) {
	const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
	const x1 = Math.min(a.x + a.w, b.x + b.w), y1 = Math.min(a.y + a.h, b.y + b.h);
	const iw = Math.max(0, x1 - x0), ih = Math.max(0, y1 - y0);
	const inter = iw * ih, u = a.w * a.h + b.w * b.h - inter;
	return u > 0 ? inter / u : 0;
}

function nms(boxes, thr) {
	const keep = [];
	for (const b of boxes) if (keep.every((k) => iou(k, b) <= thr)) keep.push(b);
	return keep;
}

function decode(heads, input, imw, imh, threshold, iouThr) {
	const out = [];
	const sx = imw / input, sy = imh / input;
	for (const hd of heads) {
		const cells = hd.w * hd.h;
		for (let i = 0; i < cells; i++) {
			const score = sigmoid(hd.cls[i]); // class 0 = person
			if (score < threshold) continue;
			const col = i % hd.w, row = Math.floor(i / hd.w);
			const cx = (col + 0.5) * hd.stride, cy = (row + 0.5) * hd.stride;
			const d = [];
			for (let s = 0; s < 4; s++) {
				let m = -Infinity;
				for (let k = 0; k < NBINS; k++) m = Math.max(m, hd.reg[(s * NBINS + k) * cells + i]);
				let sum = 0, ev = 0;
				for (let k = 0; k < NBINS; k++) {
					const e = Math.exp(hd.reg[(s * NBINS + k) * cells + i] - m);
					sum += e; ev += e * k;
				}
				d.push(ev / sum * hd.stride);
			}
			const x0 = Math.max(0, cx - d[0]), y0 = Math.max(0, cy - d[1]);
			const x1 = Math.min(input, cx + d[2]), y1 = Math.min(input, cy + d[3]);
			out.push({ x: x0 * sx, y: y0 * sy, w: (x1 - x0) * sx, h: (y1 - y0) * sy, score });
		}
	}
	out.sort((a, b) => b.score - a.score);
	return nms(out, iouThr);
}

module.exports = { decode, iou, nms, sigmoid, NBINS };
