/* netaddr — IP address text: canonical form and CIDR membership.
 *
 * Used where a node decides which address a request came from: an address
 * given by a client is stored in its canonical text form (inet_ntop), and a
 * peer's X-Forwarded-For is believed only when the peer is in the config's
 * trusted_proxies (IP addresses or CIDRs, both families; an IPv4-mapped
 * IPv6 address "::ffff:a.b.c.d" matches IPv4 entries).  Pure functions,
 * any thread.
 */
#ifndef SMSC_NETADDR_H
#define SMSC_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#define NETADDR_LEN 46 /* INET6_ADDRSTRLEN */

/* Writes the canonical text of the IPv4 or IPv6 address s (surrounding
 * blanks ignored) into out[NETADDR_LEN].  Returns 0, or -1 when s is not
 * an address (out is then ""). */
int netaddr_canonical(const char *s, char out[NETADDR_LEN]);
/* True when address ip lies in cidr ("10.0.0.0/8", "::1", "2001:db8::/32").
 * A malformed ip or cidr matches nothing. */
bool netaddr_in_cidr(const char *ip, const char *cidr);
/* True when ip lies in any of the n entries of list. */
bool netaddr_in_list(const char *ip, char *const *list, size_t n);

#endif
