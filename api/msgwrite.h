/* msgwrite — a message rendered straight to JSON text (see msgwrite.c).
 * Pure, any thread (a small per-thread cache of dates). */
#ifndef SMSC_MSGWRITE_H
#define SMSC_MSGWRITE_H

#include "common/buf.h"

struct msg;

/* Appends exactly the bytes json_dumps(msg_to_json(m), JSON_COMPACT)
 * gives (jansson 2.14): same keys, order, number and string forms. */
void msg_write_json(struct buf *b, const struct msg *m);

#endif
