#ifndef TWMON_CLOSE_EVENTS_LAYOUT_H
#define TWMON_CLOSE_EVENTS_LAYOUT_H

// The layout of the close-event maps, shared by the BPF program (bpf/close_events.bpf.c) and
// the loader (twmon_close_events.c). Plain fixed-width types only: both sides see the same bytes.
// Every key and value is padded explicitly, so no compiler may insert bytes of its own (a BPF
// hash compares whole keys, padding included).

#include <linux/types.h>

/// Slots in the closer sample of one (namespace, port); see `struct twmon_closers`.
#define TWMON_CLOSER_SLOTS 4
/// Length of a task's comm, as the kernel's TASK_COMM_LEN.
#define TWMON_COMM_LEN 16

/// Entries in each map. A key that does not fit is counted in `stats` (never silently dropped).
#define TWMON_MAX_COUNT_KEYS 16384
#define TWMON_MAX_CLOSER_KEYS 1024
#define TWMON_MAX_NAMESPACES 1024
#define TWMON_MAX_LISTENERS 16384
/// Sockets in CLOSE_WAIT tracked at once (`close_wait`); one that does not fit counts as
/// TWMON_STAT_COUNTS_FULL (lost) and is seen by the table walk only.
#define TWMON_MAX_CLOSE_WAIT 65536

/// Which port of a connection a key names (`side` in the keys below).
enum twmon_side {
    /// The socket's local port (the tracepoint's `sport`): a port with a LISTEN socket in the
    /// namespace (in `listeners`): a server port.
    TWMON_SIDE_LOCAL = 0,
    /// Any other socket, an outgoing connection: counted under the remote port it connects to
    /// (`dport`), so that clients make one entry per service they use, not one per connection.
    TWMON_SIDE_REMOTE = 1,
};

/// Key of `counts`: one port of one socket cgroup in one network namespace.
struct twmon_count_key {
    /// The namespace's inode number (`readlink /proc/PID/ns/net` shows `net:[INUM]`).
    __u32 netns_inum;
    /// The port, host order: local (`sport`) or remote (`dport`) as `side` says.
    __u16 port;
    /// enum twmon_side.
    __u8 side;
    __u8 padding;
    /// The socket's cgroup v2 id (the inode of its cgroup directory; 0 without one).
    __u64 cgroup_id;
};

/// Value of `counts`: transitions since the program was loaded, added atomically.
struct twmon_counts {
    /// ESTABLISHED or SYN_RECV → FIN_WAIT1: the local side closed first (its socket will pass
    /// through TIME_WAIT, unless the peer resets it).
    __u64 active_closes;
    /// ESTABLISHED, SYN_RECV, FIN_WAIT1 or CLOSE_WAIT → CLOSE: a reset sent or received, or
    /// an abort (SO_LINGER 0, unread data at close, retries exhausted). No TIME_WAIT follows.
    __u64 resets;
    /// → CLOSE_WAIT: the peer closed first.
    __u64 passive_closes;
    /// CLOSE_WAIT → LAST_ACK: the local application closed a socket its peer had closed.
    __u64 close_wait_ends;
};

/// Key of `closers` and `listeners`: one port in one network namespace (as in
/// `struct twmon_count_key`; `listeners` uses TWMON_SIDE_LOCAL only).
struct twmon_closer_key {
    __u32 netns_inum;
    __u16 port;
    __u8 side;
    __u8 padding;
};

/// One sampled closer: a process that closed connections on the port first.
struct twmon_closer_slot {
    /// The closing process (thread group) id, in the initial PID namespace; 0: an empty slot.
    __u32 tgid;
    __u32 padding;
    /// Active closes counted for this process in this slot (an upper bound, see `error`).
    __u64 closes;
    /// How many of `closes` were inherited from the process this slot replaced.
    __u64 error;
    /// The closing thread's comm at its first counted close.
    char comm[TWMON_COMM_LEN];
};

/// Value of `closers` (per CPU): the space-saving sample of the port's active closers.
struct twmon_closers {
    struct twmon_closer_slot slots[TWMON_CLOSER_SLOTS];
};

/// Value of `namespaces`: what joins a namespace to the daemon's view of it.
struct twmon_namespace {
    /// The namespace's `net_cookie`, unique for the boot: tells a reused inode number apart.
    __u64 cookie;
    /// The inode number of the namespace's /proc/PID/net/tcp entry (0: not found).
    __u32 proc_tcp_inode;
    __u32 padding;
};

/// Value of `close_wait`, keyed by the socket's address (`struct sock *` as a __u64): one
/// socket in CLOSE_WAIT, inserted at → CLOSE_WAIT and deleted when it leaves CLOSE_WAIT
/// (→ LAST_ACK or → CLOSE).
struct twmon_close_wait {
    /// When it entered CLOSE_WAIT: bpf_ktime_get_ns(), CLOCK_MONOTONIC.
    __u64 entered_ns;
    /// Its namespace's inode number.
    __u32 netns_inum;
    /// Its local port (the tracepoint's `sport`), host order.
    __u16 port;
    __u16 padding;
};

/// Indexes of `stats` (per CPU).
enum twmon_stat {
    /// TCP state changes the program saw.
    TWMON_STAT_EVENTS = 0,
    /// Counted transitions whose (namespace, port, cgroup) found `counts` full, and sockets
    /// entering CLOSE_WAIT that found `close_wait` full: lost.
    TWMON_STAT_COUNTS_FULL = 1,
    /// Active closes whose (namespace, port) found `closers` full: not sampled.
    TWMON_STAT_CLOSERS_FULL = 2,
    /// Namespaces that found `namespaces` full: no proc join key.
    TWMON_STAT_NAMESPACES_FULL = 3,
    /// Listening sockets not remembered because `listeners` was full: their connections are
    /// counted under the remote port.
    TWMON_STAT_LISTENERS_FULL = 4,
    TWMON_STAT_COUNT = 5,
};

#endif
