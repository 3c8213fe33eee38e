/* cdr_row — constructors and destructors of the plain CDR row and event
 * records (cdr_row.h).  No SQL: the state machine builds rows too. */
#include "sql/cdr_row.h"

#include <stdlib.h>
#include <string.h>

void cdr_row_init(struct cdr_row *r)
{
    memset(r, 0, sizeof(*r));
    r->submission_time = r->delivery_time = r->expiry_time = CDR_TIME_NULL;
    r->inserted_at = r->updated_at = CDR_TIME_NULL;
    r->message_parts = -1;
}

void cdr_row_free(struct cdr_row *r)
{
    free(r->calling_number);
    free(r->called_number);
    free(r->source_smsc);
    free(r->dest_smsc);
    free(r->origin_node);
    free(r->destination_node);
    free(r->status);
    free(r->message_body);
    cdr_row_init(r);
}

void cdr_rows_free(struct cdr_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cdr_row_free(&rows[i]);
    free(rows);
}

void cdr_event_init(struct cdr_event *e)
{
    memset(e, 0, sizeof(*e));
    e->inserted_at = CDR_TIME_NULL;
}

void cdr_event_free(struct cdr_event *e)
{
    free(e->name);
    free(e->description);
    free(e->event_source);
    cdr_event_init(e);
}

void cdr_events_free(struct cdr_event *events, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cdr_event_free(&events[i]);
    free(events);
}
