#ifndef TWMON_CTWMONNETLINK_H
#define TWMON_CTWMONNETLINK_H

// The kernel's sock_diag netlink interface, the request for an inet_diag dump of all TCP
// sockets, and a walker over one received buffer of its replies. The netlink macros
// (NLMSG_OK, NLMSG_NEXT, NLMSG_DATA, …) do not import into Swift, so the message layout is
// handled here and Swift sees one compact record per socket.

// glibc's <sys/socket.h> is not included here: a module that includes it textually takes
// over its declarations (SOCK_STREAM, …) from Glibc in the Swift files that import it.
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include "twmon_cgroup.h"

/// Opens a NETLINK_SOCK_DIAG datagram socket (close-on-exec) connected to the kernel, so that
/// only the kernel can send to it, and made without CAP_NET_ADMIN, so that the kernel's dumps
/// carry no attributes reserved for privileged readers (twmon reads none). Returns the
/// descriptor, or -1 with `errno` set.
int twmon_diag_open(void);

/// A dump request as sent: the netlink header and an inet_diag request.
///
/// It is the original `TCPDIAG_GETSOCK` request, which the kernel answers with the TCP sockets
/// of both families from one walk of its socket hash table. `SOCK_DIAG_BY_FAMILY` with an
/// `inet_diag_req_v2` takes one dump per family, and each dump walks the whole table: twice
/// the kernel's work for the same sockets.
struct twmon_diag_request {
    struct nlmsghdr header;
    struct inet_diag_req body;
};

/// Every TCP state a socket table holds, ESTABLISHED (1) to NEW_SYN_RECV (12), as an
/// `idiag_states` mask. Not ~0: since Linux 6.8 the bit of TCP_BOUND_INACTIVE (13) makes the
/// kernel walk its whole bind hash table as well, for sockets that are bound but neither listen
/// nor connect (which /proc/net/tcp does not show either): ≈ 20 % more kernel time per dump.
#define TWMON_DIAG_TCP_STATES 0x1FFEU

/// Only LISTEN sockets (1 << TCP_LISTEN), as an `idiag_states` mask: the kernel then walks only
/// its listening hash table, not the established one where the connections are.
#define TWMON_DIAG_LISTEN_STATES (1U << 10)

/// A request for the TCP sockets of the namespace in the states of `states` (an `idiag_states`
/// mask), IPv4 and IPv6, without extensions (`idiag_ext` 0); `sequence` identifies the dump's
/// replies. Extensions are not needed for owners: the kernel puts `INET_DIAG_CGROUP_ID` (an
/// attribute numbered past the 8 bits of `idiag_ext`, so it cannot be asked for there) on every
/// full socket's message, LISTEN sockets included, of its own accord; time-wait and request
/// sockets have no cgroup and never carry it.
static inline struct twmon_diag_request twmon_diag_request_make_states(uint32_t sequence, uint32_t states) {
    struct twmon_diag_request request = {
        .header = {
            .nlmsg_len = sizeof(struct twmon_diag_request),
            .nlmsg_type = TCPDIAG_GETSOCK,
            .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
            .nlmsg_seq = sequence,
        },
        .body = {
            .idiag_states = states,
            .idiag_ext = 0,
        },
    };
    return request;
}

/// A request for every TCP socket of the namespace, IPv4 and IPv6, in every TCP state, without
/// extensions (`idiag_ext` 0: no attributes beyond the fixed `inet_diag_msg` and those the kernel
/// always adds); `sequence` identifies the dump's replies.
static inline struct twmon_diag_request twmon_diag_request_make(uint32_t sequence) {
    return twmon_diag_request_make_states(sequence, TWMON_DIAG_TCP_STATES);
}

/// One socket of a dump, reduced to what a scan counts, read in place from the received
/// buffer: nothing is copied but the port, family and state.
struct twmon_diag_socket {
    /// The remote address in the received buffer, in network order: 4 bytes for AF_INET, 16 for
    /// AF_INET6. Valid until the buffer is received into again.
    const uint8_t *remote_address;
    /// Local port, host order.
    uint16_t local_port;
    /// AF_INET or AF_INET6.
    uint8_t family;
    /// The kernel's TCP state number (`idiag_state`), not validated.
    uint8_t state;
    /// The local address in the received buffer, like `remote_address`.
    const uint8_t *local_address;
    /// The socket's inode (`idiag_inode`; 0 for time-wait and request sockets).
    uint32_t inode;
    /// Remote port, host order.
    uint16_t remote_port;
    /// Milliseconds until the socket's timer fires (`idiag_expires`): for a TIME_WAIT socket, the
    /// time it has left of its 60 s. Not validated.
    uint32_t expires_ms;
    /// For a LISTEN socket, the cgroup v2 id it was created in (`INET_DIAG_CGROUP_ID`); 0 for
    /// every other socket, and when the message carries none.
    uint64_t cgroup_id;
};

/// Where a walk over a received buffer stands.
struct twmon_diag_cursor {
    const uint8_t *next;
    const uint8_t *end;
    /// The sequence number of the dump being read; other messages are skipped.
    uint32_t sequence;
    /// The positive errno of a `TWMON_DIAG_FAILED` event.
    int error;
    /// Socket messages skipped because they were too short to hold an inet_diag_msg or of an
    /// unknown family.
    size_t malformed;
};

/// Why `twmon_diag_walk` stopped.
enum twmon_diag_event {
    /// The array of sockets is full: count them, then walk on.
    TWMON_DIAG_FULL = 0,
    /// The buffer is used up: receive the next one.
    TWMON_DIAG_END_OF_BUFFER = 1,
    /// NLMSG_DONE: the dump is complete.
    TWMON_DIAG_DONE = 2,
    /// NLMSG_ERROR, or NLMSG_DONE carrying an error: see `cursor->error`.
    TWMON_DIAG_FAILED = 3,
    /// A message runs past the end of the buffer (the datagram was truncated).
    TWMON_DIAG_TRUNCATED = 4,
};

/// Starts a walk over `length` received bytes at `buffer`, belonging to dump `sequence`.
static inline struct twmon_diag_cursor twmon_diag_cursor_make(const void *buffer, size_t length, uint32_t sequence) {
    struct twmon_diag_cursor cursor = {
        .next = (const uint8_t *)buffer,
        .end = (const uint8_t *)buffer + length,
        .sequence = sequence,
        .error = 0,
        .malformed = 0,
    };
    return cursor;
}

/// Walks on from the cursor, writing the sockets it finds to `sockets` (at most `capacity`)
/// and their number to `*count`, until the array is full or another event stops it. Messages
/// of other dumps (stale sequence numbers), acknowledgements and unknown message types are
/// skipped; every length is checked against the buffer. One call handles a whole datagram (at
/// most 32 KiB, ≈ 370 sockets) when `capacity` is large enough, so no call is made per socket.
enum twmon_diag_event twmon_diag_walk(
    struct twmon_diag_cursor *cursor, struct twmon_diag_socket *sockets, size_t capacity, size_t *count);

#endif
