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

/// Opens a NETLINK_SOCK_DIAG datagram socket (close-on-exec) connected to the kernel, so that
/// only the kernel can send to it. Returns the descriptor, or -1 with `errno` set.
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

/// A request for every TCP socket of the namespace, IPv4 and IPv6, in all states, without
/// extensions; `sequence` identifies the dump's replies.
static inline struct twmon_diag_request twmon_diag_request_make(uint32_t sequence) {
    struct twmon_diag_request request = {
        .header = {
            .nlmsg_len = sizeof(struct twmon_diag_request),
            .nlmsg_type = TCPDIAG_GETSOCK,
            .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
            .nlmsg_seq = sequence,
        },
        .body = {
            .idiag_states = ~0U,
        },
    };
    return request;
}

/// One socket of a dump, reduced to what a scan counts.
struct twmon_diag_socket {
    /// Local address in network order; IPv4 in the first 4 bytes, the rest zero.
    uint8_t local_address[16];
    /// Remote address, laid out like `local_address`.
    uint8_t remote_address[16];
    /// Local port, host order.
    uint16_t local_port;
    /// Remote port, host order.
    uint16_t remote_port;
    /// AF_INET or AF_INET6.
    uint8_t family;
    /// The kernel's TCP state number (`idiag_state`), not validated.
    uint8_t state;
};

/// Where a walk over a received buffer stands.
struct twmon_diag_cursor {
    const uint8_t *next;
    const uint8_t *end;
    /// The sequence number of the dump being read; other messages are skipped.
    uint32_t sequence;
    /// The positive errno of a `TWMON_DIAG_FAILED` event.
    int error;
};

/// What `twmon_diag_next` found.
enum twmon_diag_event {
    /// A socket was written to `*socket`.
    TWMON_DIAG_SOCKET = 0,
    /// The buffer is used up: receive the next one.
    TWMON_DIAG_END_OF_BUFFER = 1,
    /// NLMSG_DONE: the dump is complete.
    TWMON_DIAG_DONE = 2,
    /// NLMSG_ERROR, or NLMSG_DONE carrying an error: see `cursor->error`.
    TWMON_DIAG_FAILED = 3,
    /// A socket message too short to hold an inet_diag_msg, or of an unknown family; skipped.
    TWMON_DIAG_MALFORMED = 4,
    /// A message runs past the end of the buffer (the datagram was truncated).
    TWMON_DIAG_TRUNCATED = 5,
};

/// Starts a walk over `length` received bytes at `buffer`, belonging to dump `sequence`.
static inline struct twmon_diag_cursor twmon_diag_cursor_make(const void *buffer, size_t length, uint32_t sequence) {
    struct twmon_diag_cursor cursor = {
        .next = (const uint8_t *)buffer,
        .end = (const uint8_t *)buffer + length,
        .sequence = sequence,
        .error = 0,
    };
    return cursor;
}

/// Advances to the next event of the buffer: messages of other dumps (stale sequence
/// numbers), acknowledgements and unknown message types are skipped.
enum twmon_diag_event twmon_diag_next(struct twmon_diag_cursor *cursor, struct twmon_diag_socket *socket);

#endif
