/* evalreport - `gatewatch eval`'s report of the counts (evalscore.h): as
 * text tables for people, and as one JSON object for scripts and the
 * model tests (counts, and ratios from them). */
#ifndef GW_CLI_EVALREPORT_H
#define GW_CLI_EVALREPORT_H

#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "evalscore.h"

/* evalreport_text - the tables: recall by class and size, precision, the
 * mask class of matched faces, verdicts, the gate verdict, first pass. */
void evalreport_text(FILE *out, const struct evalscore *st);

/* evalreport_json - the same as JSON; run is an object describing the
 * run (sets, split, every, limit), taken over and extended. */
json_t *evalreport_json(const struct evalscore *st, const struct config *c, json_t *run);

#endif
