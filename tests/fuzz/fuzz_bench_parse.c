/* libFuzzer target: the HTTP/1.1 answer parser of `smscctl bench`, which
 * reads whatever the node it is pointed at sends.  The first input byte
 * sets the size of the pieces the rest arrives in (answers split anywhere,
 * as TCP delivers them); every complete answer is taken and the parser
 * reset, as the load generator does, until the bytes run out or the parser
 * calls them malformed.  No crash, no leak, no read past the buffer. */
#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "cluster/bench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    struct bench_parser p = {0};
    p.body = evbuffer_new();
    p.keep_body = true;
    bench_parser_reset(&p);
    struct evbuffer *in = evbuffer_new();
    int rc = 0;
    for (size_t off = 0; off < size && rc >= 0; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        evbuffer_add(in, data + off, n);
        while ((rc = bench_parse(&p, in)) == 1) {
            (void)bench_count_items(&p);
            bench_parser_reset(&p);
        }
    }
    evbuffer_free(in);
    evbuffer_free(p.body);
    return 0;
}
