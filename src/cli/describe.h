/*
 * describe.h — one line of plain text that says what a normalized event was:
 * who did what to what, from where, and how it ended. Used for the Timesketch
 * `message` field, the OCSF `message` attribute and the timeline command.
 *
 *   alice@example.com (IAMUser) called CreateUser on iam.amazonaws.com target
 *   AWS::IAM::User bob from 203.0.113.5 (FR, Paris): failure (AccessDenied:
 *   User is not authorized)
 *
 *   who    actor.email, else actor.name, actor.arn, actor.id; "(actor.type)"
 *   what   by category: "signed in to SERVICE (ACTION)" [with/without MFA];
 *          "finding ACTION (severity N)" [about WHO]; otherwise
 *          "called ACTION on SERVICE" (no actor: "CATEGORY ACTION on SERVICE")
 *   target the first element of `resources` ("TYPE NAME", else its id) and
 *          "(+N more)" when there are several
 *   where  src.ip, else src.raw; "(COUNTRY, CITY)" when the provider gave them
 *   end    ": OUTCOME" and "(ERROR.CODE: ERROR.MESSAGE)" when present
 *
 * The text is one line (control characters become spaces), each part is cut
 * at 200 bytes on a UTF-8 boundary (marked "..."), so a message is at most a
 * few KB whatever the event holds. It is plain text: escape it for JSON/CSV.
 */
#ifndef KM_DESCRIBE_H
#define KM_DESCRIBE_H

#include "core/event.h"
#include "json/json.h"

/* Appends the description of ev to b (no newline). Returns KM_OK, or
 * KM_ENOMEM when b reached its ceiling (b->oom is then set). */
int km_describe_event(const struct km_event *ev, struct km_buf *b);

#endif
