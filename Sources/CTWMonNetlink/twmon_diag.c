#include "CTWMonNetlink.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <netinet/in.h>

int twmon_diag_open(void) {
    // With CAP_NET_ADMIN in the effective set of the thread that makes the socket, the kernel
    // adds attributes nobody asked for to every message of a dump (INET_DIAG_MARK: 8 more bytes
    // on each time-wait socket, ≈ 10 % of the dump's kernel time at 120 000 sockets). The
    // socket's credentials are taken at socket(): the capability is left out for that call only
    // and restored at once (capabilities are per thread).
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct held[_LINUX_CAPABILITY_U32S_3];
    int lowered = 0;
    if (syscall(SYS_capget, &header, held) == 0
        && (held[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN))) {
        struct __user_cap_data_struct without[_LINUX_CAPABILITY_U32S_3];
        memcpy(without, held, sizeof without);
        without[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
        lowered = syscall(SYS_capset, &header, without) == 0;
    }
    int descriptor = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    int error = errno;
    if (lowered && syscall(SYS_capset, &header, held) != 0) {
        // The permitted set still holds it, so this does not happen; never leave it lowered.
        error = errno;
        if (descriptor >= 0) {
            close(descriptor);
            descriptor = -1;
        }
    }
    if (descriptor < 0) {
        errno = error;
        return -1;
    }
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (connect(descriptor, (const struct sockaddr *)&kernel, sizeof kernel) < 0) {
        error = errno;
        close(descriptor);
        errno = error;
        return -1;
    }
    return descriptor;
}

/// The kernel's number of the LISTEN state.
#define TWMON_TCP_LISTEN 10

/// The `INET_DIAG_CGROUP_ID` attribute of a socket message of `payload` bytes, or 0. Every
/// attribute length is checked against the message.
static uint64_t twmon_diag_cgroup_id(const struct inet_diag_msg *message, size_t payload) {
    size_t offset = NLMSG_ALIGN(sizeof *message);
    const uint8_t *base = (const uint8_t *)message;
    while (offset + sizeof(struct nlattr) <= payload) {
        const struct nlattr *attribute = (const struct nlattr *)(base + offset);
        size_t length = attribute->nla_len;
        if (length < sizeof(struct nlattr) || length > payload - offset) {
            return 0;
        }
        if ((attribute->nla_type & NLA_TYPE_MASK) == INET_DIAG_CGROUP_ID && length >= NLA_HDRLEN + sizeof(uint64_t)) {
            uint64_t id;
            memcpy(&id, base + offset + NLA_HDRLEN, sizeof id);
            return id;
        }
        offset += NLA_ALIGN(length);
    }
    return 0;
}

enum twmon_diag_event twmon_diag_walk(
    struct twmon_diag_cursor *cursor, struct twmon_diag_socket *sockets, size_t capacity, size_t *count) {
    size_t found = 0;
    enum twmon_diag_event event = TWMON_DIAG_END_OF_BUFFER;
    while (cursor->next < cursor->end) {
        if (found == capacity) {
            event = TWMON_DIAG_FULL;
            break;
        }
        const struct nlmsghdr *header = (const struct nlmsghdr *)cursor->next;
        size_t remaining = (size_t)(cursor->end - cursor->next);
        if (!NLMSG_OK(header, remaining)) {
            event = TWMON_DIAG_TRUNCATED;
            break;
        }
        size_t advance = NLMSG_ALIGN(header->nlmsg_len);
        cursor->next = advance < remaining ? cursor->next + advance : cursor->end;
        if (header->nlmsg_seq != cursor->sequence) {
            continue;
        }
        size_t payload = header->nlmsg_len - NLMSG_HDRLEN;
        if (header->nlmsg_type == TCPDIAG_GETSOCK) {
            const struct inet_diag_msg *message = NLMSG_DATA(header);
            if (payload < sizeof *message
                || (message->idiag_family != AF_INET && message->idiag_family != AF_INET6)) {
                cursor->malformed += 1;
                continue;
            }
            struct twmon_diag_socket *socket = &sockets[found++];
            socket->remote_address = (const uint8_t *)message->id.idiag_dst;
            socket->local_port = ntohs(message->id.idiag_sport);
            socket->family = message->idiag_family;
            socket->state = message->idiag_state;
            socket->local_address = (const uint8_t *)message->id.idiag_src;
            socket->inode = message->idiag_inode;
            socket->remote_port = ntohs(message->id.idiag_dport);
            socket->expires_ms = message->idiag_expires;
            socket->cgroup_id = message->idiag_state == TWMON_TCP_LISTEN
                ? twmon_diag_cgroup_id(message, payload) : 0;
        } else if (header->nlmsg_type == NLMSG_DONE) {
            // A dump may end with a negative errno in place of 0.
            int status = 0;
            if (payload >= sizeof status) {
                memcpy(&status, NLMSG_DATA(header), sizeof status);
            }
            if (status < 0) {
                cursor->error = -status;
                event = TWMON_DIAG_FAILED;
            } else {
                event = TWMON_DIAG_DONE;
            }
            break;
        } else if (header->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *failure = NLMSG_DATA(header);
            if (payload < sizeof failure->error) {
                cursor->error = EBADMSG;
                event = TWMON_DIAG_FAILED;
                break;
            }
            if (failure->error != 0) {
                cursor->error = -failure->error;
                event = TWMON_DIAG_FAILED;
                break;
            }
            // An acknowledgement.
        }
    }
    *count = found;
    return event;
}
