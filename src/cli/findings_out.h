/*
 * findings_out.h — how findings and incidents are printed: a table, JSON,
 * OCSF Detection Finding (class 2004), ASFF for Security Hub, a finding's
 * explanation and an incident's storyline (docs/hunting.md).
 */
#ifndef KM_FINDINGS_OUT_H
#define KM_FINDINGS_OUT_H

#include "detect/finding.h"

#include <stdio.h>

void km_fout_table(FILE *o, const struct km_finding *f, size_t n);
/* A JSON array (lines = 0) or one object per line (lines = 1). */
void km_fout_json(FILE *o, const struct km_finding *f, size_t n, int lines);
/* One OCSF 1.3 Detection Finding per line. */
void km_fout_ocsf(FILE *o, const struct km_finding *f, size_t n);
/* A JSON array of ASFF findings for BatchImportFindings (at most 100 per call:
 * split larger arrays). account/region name the product ARN; NULL: the
 * finding's own AWS account, else 000000000000, and us-east-1. */
void km_fout_asff(FILE *o, const struct km_finding *f, size_t n, const char *account,
                  const char *region);
/* `kumo finding ID`: what, why, entities and the evidence timeline. */
void km_fout_explain(FILE *o, const struct km_finding *f);
void km_fout_incidents_table(FILE *o, const struct km_incident *in, size_t n,
                             const struct km_finding *f);
/* A JSON array of incidents; with_findings embeds each finding in full. */
void km_fout_incidents_json(FILE *o, const struct km_incident *in, size_t n,
                            const struct km_finding *f, int with_findings);
/* `kumo incident ID`: every finding and its key events from all providers in
 * time order, with the entities that tie them. */
void km_fout_storyline(FILE *o, const struct km_incident *in, const struct km_finding *f);

#endif
