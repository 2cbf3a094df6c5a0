// SPDX-License-Identifier: GPL-2.0-only
// twmon's close-event counter: a CO-RE program on the BTF tracepoint inet_sock_set_state,
// compiled at build time by the TWMonBPFObject plugin (clang -target bpf -O2 -g) and embedded
// in twmond. No vmlinux.h: the few kernel structures it reads are declared below with
// preserve_access_index, so libbpf relocates every field against the running kernel's BTF
// and the build does not depend on the build host's kernel. (A `___twmon` suffix keeps the
// names apart from any other declaration; libbpf ignores it when it matches types.)
//
// Work per event is O(1): a few hash look-ups and atomic adds; the proc tree walk below runs
// once per new namespace and is bounded.
//
// Which transition counts as what (old → new), from net/ipv4/tcp.c and tcp_input.c:
//   → FIN_WAIT1 (from ESTABLISHED, or SYN_RECV)   active close: close()/shutdown() sent a FIN
//                                                  first, in the closer's process context;
//   → CLOSE_WAIT                                   passive close: the peer's FIN (softirq);
//   CLOSE_WAIT → LAST_ACK                          the local application closed after its peer;
//   ESTABLISHED, SYN_RECV, FIN_WAIT1, CLOSE_WAIT → CLOSE
//                                                  reset or abort: a RST received (tcp_reset),
//                                                  a close with SO_LINGER 0 or with unread data
//                                                  (tcp_close sends a RST and goes to CLOSE at
//                                                  once), tcp_abort, retries exhausted. These
//                                                  sockets never reach TIME_WAIT;
//   FIN_WAIT2, CLOSING → CLOSE                     the normal end of an active close: the socket
//                                                  is replaced by its TIME_WAIT twin (not counted
//                                                  again: the close was counted at → FIN_WAIT1);
//   LAST_ACK → CLOSE                               the normal end of a passive close;
//   SYN_SENT → CLOSE                               a failed connect: ignored.
// → LISTEN, LISTEN → SYN_RECV and LISTEN → CLOSE keep `listeners`, the namespace's server ports,
// which decide the key of a connection's transitions: its local port when that port listens,
// else the remote port it connects to, also for a client that bind()s its port (a load
// generator binding thousands of source ports would otherwise fill the map). Accepted sockets
// carry no mark of their own (sk_userlocks' SOCK_BINDPORT_LOCK is not inherited). A listener
// made before the program was loaded is learnt from its next accepted connection; user space
// may add it sooner (the daemon adds the server ports its table walk found).

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "twmon_close_events_layout.h"

char LICENSE[] SEC("license") = "GPL";

// TCP states (include/net/tcp_states.h).
enum {
    ESTABLISHED = 1, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT,
    LAST_ACK, LISTEN, CLOSING,
};
#define PROTOCOL_TCP 6
// Longest path from the root of /proc/net's rbtree: an rbtree of n nodes is at most
// 2·log2(n+1) deep, so 32 levels hold far more entries than a namespace's /proc/net has.
#define PROC_TREE_DEPTH 32

struct ns_common___twmon { unsigned int inum; } __attribute__((preserve_access_index));
struct rb_node___twmon {
    struct rb_node___twmon *rb_right;
    struct rb_node___twmon *rb_left;
} __attribute__((preserve_access_index));
struct rb_root___twmon { struct rb_node___twmon *rb_node; } __attribute__((preserve_access_index));
struct proc_dir_entry___twmon {
    unsigned int low_ino;
    struct rb_root___twmon subdir;
    struct rb_node___twmon subdir_node;
    char *name;
    __u8 namelen;
} __attribute__((preserve_access_index));
struct net___twmon {
    struct ns_common___twmon ns;
    struct proc_dir_entry___twmon *proc_net;
    __u64 net_cookie;
} __attribute__((preserve_access_index));
struct kernfs_node___twmon { __u64 id; } __attribute__((preserve_access_index));
struct cgroup___twmon { struct kernfs_node___twmon *kn; } __attribute__((preserve_access_index));
struct sock_cgroup_data___twmon { struct cgroup___twmon *cgroup; } __attribute__((preserve_access_index));
struct possible_net_t___twmon { struct net___twmon *net; } __attribute__((preserve_access_index));
struct sock_common___twmon {
    struct possible_net_t___twmon skc_net;
    __be16 skc_dport;
} __attribute__((preserve_access_index));
struct sock___twmon {
    struct sock_common___twmon __sk_common;
    struct sock_cgroup_data___twmon sk_cgrp_data;
    __u16 sk_protocol;
} __attribute__((preserve_access_index));
struct inet_sock___twmon { __be16 inet_sport; } __attribute__((preserve_access_index));

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, TWMON_MAX_COUNT_KEYS);
    __type(key, struct twmon_count_key);
    __type(value, struct twmon_counts);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, TWMON_MAX_CLOSER_KEYS);
    __type(key, struct twmon_closer_key);
    __type(value, struct twmon_closers);
} closers SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, TWMON_MAX_NAMESPACES);
    __type(key, __u32);
    __type(value, struct twmon_namespace);
} namespaces SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, TWMON_MAX_LISTENERS);
    __type(key, struct twmon_closer_key);
    __type(value, __u8);  // 1: the port listens
} listeners SEC(".maps");

// The sockets now in CLOSE_WAIT, by address: what user space ages against min_age.
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, TWMON_MAX_CLOSE_WAIT);
    __type(key, __u64);
    __type(value, struct twmon_close_wait);
} close_wait SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, TWMON_STAT_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_add(__u32 index) {
    __u64 *value = bpf_map_lookup_elem(&stats, &index);
    if (value) *value += 1;  // per CPU, and the program does not nest on a CPU
}

// The inode of the namespace's /proc/net/tcp: the lookup pde_subdir_find() does in
// fs/proc/generic.c, whose order (proc_match) is the name's length first, then memcmp.
static __always_inline __u32 proc_tcp_inode(struct net___twmon *net) {
    static const char wanted[3] = {'t', 'c', 'p'};
    struct rb_node___twmon *node = BPF_CORE_READ(net, proc_net, subdir.rb_node);
    __u64 offset = bpf_core_field_offset(struct proc_dir_entry___twmon, subdir_node);
    for (int depth = 0; depth < PROC_TREE_DEPTH && node; depth++) {
        struct proc_dir_entry___twmon *entry = (void *)((char *)node - offset);
        __u8 length = BPF_CORE_READ(entry, namelen);
        int order = 3 - (int)length;
        if (order == 0) {
            char name[3] = {};
            bpf_probe_read_kernel(name, sizeof name, BPF_CORE_READ(entry, name));
            for (int i = 0; i < 3 && order == 0; i++)
                order = (int)(unsigned char)wanted[i] - (int)(unsigned char)name[i];
        }
        if (order == 0) return BPF_CORE_READ(entry, low_ino);
        node = order < 0 ? BPF_CORE_READ(node, rb_left) : BPF_CORE_READ(node, rb_right);
    }
    return 0;
}

// Records the namespace's join key the first time one of its sockets changes state (and again
// when its inode number was reused by a newer namespace).
static __always_inline void note_namespace(struct net___twmon *net, __u32 inum) {
    __u64 cookie = BPF_CORE_READ(net, net_cookie);
    struct twmon_namespace *known = bpf_map_lookup_elem(&namespaces, &inum);
    if (known && known->cookie == cookie) return;
    struct twmon_namespace entry = {.cookie = cookie, .proc_tcp_inode = proc_tcp_inode(net)};
    if (bpf_map_update_elem(&namespaces, &inum, &entry, BPF_ANY) != 0) stat_add(TWMON_STAT_NAMESPACES_FULL);
}

// Counts the close on `key`; a key that finds the map full is counted as lost.
static __always_inline void count(struct twmon_count_key *key, int field) {
    struct twmon_counts *value = bpf_map_lookup_elem(&counts, key);
    if (!value) {
        struct twmon_counts zero = {};
        // BPF_NOEXIST: another CPU may have inserted the key meanwhile; then look it up again.
        if (bpf_map_update_elem(&counts, key, &zero, BPF_NOEXIST) != 0 && !bpf_map_lookup_elem(&counts, key)) {
            stat_add(TWMON_STAT_COUNTS_FULL);
            return;
        }
        value = bpf_map_lookup_elem(&counts, key);
        if (!value) { stat_add(TWMON_STAT_COUNTS_FULL); return; }
    }
    switch (field) {
    case 0: __sync_fetch_and_add(&value->active_closes, 1); break;
    case 1: __sync_fetch_and_add(&value->resets, 1); break;
    case 2: __sync_fetch_and_add(&value->passive_closes, 1); break;
    default: __sync_fetch_and_add(&value->close_wait_ends, 1); break;
    }
}

// Space-saving (Metwally, Agrawal, El Abbadi 2005) over TWMON_CLOSER_SLOTS slots, per CPU:
// the closer's slot counts up; a new closer takes an empty slot, else replaces the slot with
// the fewest closes and inherits that count (+1), remembered as `error`. Any process with more
// than 1/TWMON_CLOSER_SLOTS of a CPU's closes on the port holds a slot; `closes - error` is a
// lower bound of its true count, `closes` an upper one. Constant work: one pass over 4 slots.
static __always_inline void sample_closer(struct twmon_closer_key *key) {
    struct twmon_closers *sample = bpf_map_lookup_elem(&closers, key);
    if (!sample) {
        struct twmon_closers empty = {};
        bpf_map_update_elem(&closers, key, &empty, BPF_NOEXIST);
        sample = bpf_map_lookup_elem(&closers, key);
        if (!sample) { stat_add(TWMON_STAT_CLOSERS_FULL); return; }
    }
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    int fewest = 0;
    for (int i = 0; i < TWMON_CLOSER_SLOTS; i++) {
        if (sample->slots[i].tgid == tgid && sample->slots[i].closes) {
            sample->slots[i].closes += 1;
            return;
        }
        if (sample->slots[i].closes < sample->slots[fewest].closes) fewest = i;
    }
    struct twmon_closer_slot *slot = &sample->slots[fewest & (TWMON_CLOSER_SLOTS - 1)];
    slot->tgid = tgid;
    slot->error = slot->closes;
    slot->closes += 1;
    bpf_get_current_comm(slot->comm, sizeof slot->comm);
}

// `listeners` is a set: a port is added when a socket starts listening on it, and again by
// every connection it accepts (LISTEN → SYN_RECV is the accepted socket's first event, with the
// listener's port: this also finds listeners made before the program was loaded, and those that
// listen() without bind(), whose port is still 0 at their → LISTEN event); it is removed when a
// LISTEN socket on it closes (with SO_REUSEPORT another one may still listen: its next accepted
// connection adds the port back).
static __always_inline void note_listener(struct twmon_closer_key *key, int listening) {
    if (!listening) {
        bpf_map_delete_elem(&listeners, key);
    } else if (key->port && !bpf_map_lookup_elem(&listeners, key)) {
        __u8 present = 1;
        if (bpf_map_update_elem(&listeners, key, &present, BPF_NOEXIST) != 0 && !bpf_map_lookup_elem(&listeners, key))
            stat_add(TWMON_STAT_LISTENERS_FULL);
    }
}

// Remembers a socket entering CLOSE_WAIT (when, where), forgets it when it leaves: one insert
// or delete. A socket whose address is reused is overwritten (it left CLOSE_WAIT first: every
// socket passes through → CLOSE before it is freed). A full map counts as lost.
static __always_inline void note_close_wait(struct sock___twmon *sk, struct twmon_closer_key *local, int entering) {
    __u64 socket = (__u64)(unsigned long)sk;
    if (!entering) {
        bpf_map_delete_elem(&close_wait, &socket);
        return;
    }
    struct twmon_close_wait entry = {.entered_ns = bpf_ktime_get_ns(), .netns_inum = local->netns_inum, .port = local->port};
    if (bpf_map_update_elem(&close_wait, &socket, &entry, BPF_ANY) != 0) stat_add(TWMON_STAT_COUNTS_FULL);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(twmon_inet_sock_set_state, struct sock___twmon *sk, int oldstate, int newstate) {
    stat_add(TWMON_STAT_EVENTS);
    if (BPF_CORE_READ(sk, sk_protocol) != PROTOCOL_TCP) return 0;
    int field;
    if (newstate == FIN_WAIT1) field = 0;
    else if (newstate == CLOSE && (oldstate == ESTABLISHED || oldstate == SYN_RECV
                                   || oldstate == FIN_WAIT1 || oldstate == CLOSE_WAIT)) field = 1;
    else if (newstate == CLOSE_WAIT) field = 2;
    else if (newstate == LAST_ACK && oldstate == CLOSE_WAIT) field = 3;
    else if (newstate == LISTEN || oldstate == LISTEN) field = 4;  // see note_listener
    else return 0;

    struct net___twmon *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
    __u32 inum = BPF_CORE_READ(net, ns.inum);
    struct inet_sock___twmon *inet = (void *)sk;
    struct twmon_closer_key local = {.netns_inum = inum, .port = bpf_ntohs(BPF_CORE_READ(inet, inet_sport))};
    note_namespace(net, inum);
    // CLOSE_WAIT is only left for LAST_ACK or CLOSE, both classified above.
    if (newstate == CLOSE_WAIT || oldstate == CLOSE_WAIT) note_close_wait(sk, &local, newstate == CLOSE_WAIT);
    if (field == 4) {
        note_listener(&local, newstate != CLOSE);
        return 0;
    }
    struct twmon_count_key key = {
        .netns_inum = inum,
        .port = local.port,
        .side = TWMON_SIDE_LOCAL,
        .cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id),
    };
    if (!bpf_map_lookup_elem(&listeners, &local)) {
        key.port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
        key.side = TWMON_SIDE_REMOTE;
    }
    count(&key, field);
    if (field == 0) {
        struct twmon_closer_key closer = {.netns_inum = inum, .port = key.port, .side = key.side};
        sample_closer(&closer);
    }
    return 0;
}
