/* pairmatch - one-to-one matching of two lists, best pairs first (greedy):
 * faces to person boxes in the worker's analysis, found faces to
 * annotated ones in `gatewatch eval`. */
#ifndef GW_PAIRMATCH_H
#define GW_PAIRMATCH_H

struct pairmatch {
	int a, b;           /* indices into the two lists */
	float value;        /* higher is better */
};

/* pairmatch_greedy - sort pairs (best value first; ties by a, then b) and
 * take each pair whose a and b are both still free: amatch[a] = b and
 * bmatch[b] = a; everything else -1 (amatch has na entries, bmatch nb).
 * Returns the number of pairs taken. */
int pairmatch_greedy(struct pairmatch *pairs, int n, int *amatch, int na, int *bmatch, int nb);

#endif
