#!/bin/sh
# test_prune.sh - the mask network as shipped (models/out, made by `make
# models` through models/scripts/prune-net.py) is the trained one
# (models/trained) without the layers nothing reads: the same files come
# out of prune-net.py again, the layers it removes are the ones expected
# (the pool and convolution after conv2d_3, the route's copy), and
# darknet's stock forward gives bit for bit the same outputs before and
# after, on real photos and seeded random inputs. The photos: darknet's and
# dlib's (install-deps.sh), and one of ../shared/datasets/mask-scenes when
# it is there (a fresh machine has none: 2 photos + 8 random inputs, still
# over the 9 compared that the test asks for).
set -u
cd "$(dirname "$0")/../.."
MODELS=${MODELS:-models/out}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
photos=""
for p in /usr/share/darknet/data/person.jpg /usr/share/doc/libdlib19.1/examples/faces/2008_001009.jpg \
    ../shared/datasets/mask-scenes/images/maksssksksss5.jpg; do
	[ -f "$p" ] && photos="$photos $p"
done
# shellcheck disable=SC2086
if /usr/bin/python3 models/scripts/prune-net.py --in models/trained --out "$tmp" --name mask \
    --check $photos >"$tmp/check.out" 2>"$tmp/check.err"; then
	grep '^ok' "$tmp/check.out"
	n=$(grep -c '^ok' "$tmp/check.out")
	[ "$n" -ge 9 ] || { echo "not ok - mask: only $n inputs compared"; fail=1; }
else
	grep -v '^ok' "$tmp/check.out"; tail -n 3 "$tmp/check.err"
	echo "not ok - mask: prune-net.py --check failed"; fail=1
fi
if grep -q 'layers 7 maxpool (computed, never read), 8 convolutional (computed, never read), 9 route' \
    "$tmp/check.err"; then
	echo "ok - mask: layers 7-9 removed (pool and convolution after conv2d_3, the route's copy)"
else
	echo "not ok - mask: removed other layers than 7-9: $(grep '^prune-net' "$tmp/check.err")"; fail=1
fi
for f in mask.cfg mask.weights mask.manifest; do
	if cmp -s "$tmp/$f" "$MODELS/$f"; then
		echo "ok - $MODELS/$f is what prune-net.py makes of models/trained/$f"
	else
		echo "not ok - $MODELS/$f differs from prune-net.py's (make models)"; fail=1
	fi
done
exit $fail
