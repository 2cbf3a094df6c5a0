#include "CTWMonNetlink.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

int twmon_diag_open(void) {
    int descriptor = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (descriptor < 0) {
        return -1;
    }
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (connect(descriptor, (const struct sockaddr *)&kernel, sizeof kernel) < 0) {
        int error = errno;
        close(descriptor);
        errno = error;
        return -1;
    }
    return descriptor;
}

enum twmon_diag_event twmon_diag_next(struct twmon_diag_cursor *cursor, struct twmon_diag_socket *socket) {
    while (cursor->next < cursor->end) {
        const struct nlmsghdr *header = (const struct nlmsghdr *)cursor->next;
        size_t remaining = (size_t)(cursor->end - cursor->next);
        if (!NLMSG_OK(header, remaining)) {
            return TWMON_DIAG_TRUNCATED;
        }
        size_t advance = NLMSG_ALIGN(header->nlmsg_len);
        cursor->next = advance < remaining ? cursor->next + advance : cursor->end;
        if (header->nlmsg_seq != cursor->sequence) {
            continue;
        }
        size_t payload = header->nlmsg_len - NLMSG_HDRLEN;
        switch (header->nlmsg_type) {
        case TCPDIAG_GETSOCK: {
            const struct inet_diag_msg *message = NLMSG_DATA(header);
            if (payload < sizeof *message
                || (message->idiag_family != AF_INET && message->idiag_family != AF_INET6)) {
                return TWMON_DIAG_MALFORMED;
            }
            size_t address_length = message->idiag_family == AF_INET ? 4 : 16;
            memset(socket->local_address, 0, sizeof socket->local_address);
            memset(socket->remote_address, 0, sizeof socket->remote_address);
            memcpy(socket->local_address, message->id.idiag_src, address_length);
            memcpy(socket->remote_address, message->id.idiag_dst, address_length);
            socket->local_port = ntohs(message->id.idiag_sport);
            socket->remote_port = ntohs(message->id.idiag_dport);
            socket->family = message->idiag_family;
            socket->state = message->idiag_state;
            return TWMON_DIAG_SOCKET;
        }
        case NLMSG_DONE: {
            // A dump may end with a negative errno in place of 0.
            int status = 0;
            if (payload >= sizeof status) {
                memcpy(&status, NLMSG_DATA(header), sizeof status);
            }
            if (status < 0) {
                cursor->error = -status;
                return TWMON_DIAG_FAILED;
            }
            return TWMON_DIAG_DONE;
        }
        case NLMSG_ERROR: {
            const struct nlmsgerr *failure = NLMSG_DATA(header);
            if (payload < sizeof failure->error) {
                cursor->error = EBADMSG;
                return TWMON_DIAG_FAILED;
            }
            if (failure->error != 0) {
                cursor->error = -failure->error;
                return TWMON_DIAG_FAILED;
            }
            continue;  // An acknowledgement.
        }
        default:
            continue;
        }
    }
    return TWMON_DIAG_END_OF_BUFFER;
}
