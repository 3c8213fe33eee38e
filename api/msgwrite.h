/* msgwrite — a message rendered straight to JSON text (see msgwrite.c).
 * Pure, any thread. */
#ifndef SMSC_MSGWRITE_H
#define SMSC_MSGWRITE_H

#include "common/buf.h"

struct msg;

/* Appends exactly the bytes json_dumps(msg_to_json(m), JSON_COMPACT)
 * gives (jansson 2.14): same keys, order, number and string forms. */
void msg_write_json(struct buf *b, const struct msg *m);
/* Appends s as a JSON string the way jansson dumps it (no ENSURE_ASCII,
 * no ESCAPE_SLASH).  Returns false and appends nothing when s is not
 * valid UTF-8 (jansson's json_string() refuses such strings). */
bool json_write_str(struct buf *b, const char *s);
/* Appends v in jansson's integer form ("%lld"). */
void json_write_int(struct buf *b, int64_t v);

#endif
