/* netaddr — canonical IP address text and CIDR matching (see netaddr.h).
 *
 * An address is parsed into 16 bytes: IPv6 as is, IPv4 as its IPv4-mapped
 * IPv6 form (::ffff:a.b.c.d), so one prefix comparison serves both
 * families and a mapped peer address matches an IPv4 entry.
 */
#include "common/netaddr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parses s (no blanks) into a[16]; *v4 tells whether it was IPv4 text. */
static bool parse(const char *s, uint8_t a[16], bool *v4)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memcpy(a, v4_mapped, sizeof v4_mapped);
        memcpy(a + 12, &a4, 4);
        *v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        memcpy(a, &a6, 16);
        *v4 = false;
        return true;
    }
    return false;
}

int netaddr_canonical(const char *s, char out[NETADDR_LEN])
{
    out[0] = '\0';
    if (s == NULL)
        return -1;
    s += strspn(s, " \t");
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char tmp[NETADDR_LEN + 1];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    uint8_t a[16];
    bool v4;
    if (!parse(tmp, a, &v4))
        return -1;
    const char *ok = v4 ? inet_ntop(AF_INET, a + 12, out, NETADDR_LEN)
                        : inet_ntop(AF_INET6, a, out, NETADDR_LEN);
    if (ok == NULL) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* The first bits of a and b agree. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool netaddr_in_cidr(const char *ip, const char *cidr)
{
    char net[NETADDR_LEN + 1];
    const char *slash = strchr(cidr, '/');
    size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
    if (n >= sizeof net)
        return false;
    memcpy(net, cidr, n);
    net[n] = '\0';
    uint8_t a[16], b[16];
    bool a4, b4;
    if (!parse(ip, a, &a4) || !parse(net, b, &b4))
        return false;
    unsigned max = b4 ? 32 : 128, bits = max;
    if (slash != NULL) {
        const char *d = slash + 1;
        size_t len = strlen(d);
        if (len < 1 || len > 3 || strspn(d, "0123456789") != len)
            return false;
        long v = strtol(d, NULL, 10);
        if (v > (long)max)
            return false;
        bits = (unsigned)v;
    }
    /* an IPv4 entry covers the mapped prefix too */
    return prefix_equal(a, b, b4 ? 96 + bits : bits);
}

bool netaddr_in_list(const char *ip, char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] != NULL && netaddr_in_cidr(ip, list[i]))
            return true;
    return false;
}
