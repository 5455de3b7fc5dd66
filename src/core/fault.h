/*
 * fault.h — fault injection for testers: named points in the code where,
 * when the environment asks for it, kumo fails or dies on purpose, so tests
 * can prove that every step of a multi-step operation (publishing a
 * segment, reading the catalog) is crash- and error-safe.
 *
 *   KUMO_FAULT=POINT:N:MODE     e.g. KUMO_FAULT=publish:3:abort
 *
 * POINT names a family of points (see docs/architecture.md, "Fault
 * injection"); N counts, from 1, the times any point of that family is
 * reached in this process; MODE is `fail` (the step returns an error, as an
 * I/O or SQLite error would) or `abort` (the process kills itself with
 * SIGKILL, as `kill -9` or a power cut would). When the fault fires, one
 * line naming it goes to stderr ("kumo: KUMO_FAULT: ..."), so a test can
 * loop N = 1, 2, ... until a run no longer reports it. Unset, every point
 * costs one branch and does nothing.
 */
#ifndef KM_FAULT_H
#define KM_FAULT_H

/* Counts a pass through a point of `family`; `step` names it for the
 * message. Returns 1 when the caller must fail here (MODE fail); does not
 * return when MODE is abort; 0 otherwise. Thread-safe. */
int km_fault(const char *family, const char *step);

#endif
