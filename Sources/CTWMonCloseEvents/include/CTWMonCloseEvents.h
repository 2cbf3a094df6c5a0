#ifndef TWMON_CTWMONCLOSEEVENTS_H
#define TWMON_CTWMONCLOSEEVENTS_H

// Loads twmon's close-event BPF program (bpf/close_events.bpf.c, embedded in the binary by the
// TWMonBPFObject build plugin) with libbpf, attaches it to the BTF tracepoint
// inet_sock_set_state, and copies its maps out. Swift sees plain structs and negative errno
// results; libbpf's own types stay in this file's implementation.

#include <stddef.h>
#include <stdint.h>
#include "twmon_close_events_layout.h"

/// A loaded and attached program with its maps. Opaque.
struct twmon_close_events;

/// Where opening failed.
enum twmon_close_events_stage {
    /// Parsing the embedded object (a broken build).
    TWMON_STAGE_OPEN = 1,
    /// Creating the maps and loading the program: needs CAP_BPF and CAP_PERFMON, BTF, and a
    /// bpf() that no seccomp filter refuses.
    TWMON_STAGE_LOAD = 2,
    /// Attaching it to the tracepoint.
    TWMON_STAGE_ATTACH = 3,
};

/// Opens, loads and attaches the program in `object` (`size` bytes, copied by libbpf).
/// Returns 0 and sets `*events`, or a negative errno with `*stage` set; libbpf's last warning
/// (a line naming what failed) is then in `message` (`message_size` bytes, NUL-terminated).
int twmon_close_events_open(const void *object, size_t size, struct twmon_close_events **events,
                            enum twmon_close_events_stage *stage, char *message, size_t message_size);

/// Detaches the program and frees the maps (the kernel drops them when the last descriptor
/// goes). `events` may be NULL.
void twmon_close_events_close(struct twmon_close_events *events);

/// The number of CPUs the per-CPU maps hold a value for (the kernel's possible CPUs).
int twmon_close_events_cpus(const struct twmon_close_events *events);

/// Copies the `counts` map, up to `capacity` entries, into `keys`/`values` (batched look-ups:
/// one system call per few hundred entries; a capacity of TWMON_MAX_COUNT_KEYS holds it all).
/// Returns how many, or a negative errno.
int twmon_close_events_read_counts(const struct twmon_close_events *events, struct twmon_count_key *keys,
                                   struct twmon_counts *values, uint32_t capacity);

/// Where a read of a map in pieces stands: zero it before the first piece.
struct twmon_batch {
    /// The kernel's position (a bucket index for hash maps).
    uint32_t cursor;
    /// 1 once a piece was read (the cursor is valid).
    uint8_t started;
    /// 1 once the whole map was read.
    uint8_t finished;
};

/// Copies the next piece of `closers`, up to `capacity` entries: `values` holds `capacity` ×
/// cpus samples, entry i's CPU c at index i × cpus + c. Call again with the same `batch` until
/// `batch->finished` (a per-CPU map of 1 024 entries would need a buffer of 160 KiB per CPU at
/// once). Returns how many, or a negative errno.
int twmon_close_events_read_closers(const struct twmon_close_events *events, struct twmon_closer_key *keys,
                                    struct twmon_closers *values, uint32_t capacity, struct twmon_batch *batch);

/// Copies up to `capacity` entries of `namespaces`. Returns how many, or a negative errno.
int twmon_close_events_read_namespaces(const struct twmon_close_events *events, uint32_t *inums,
                                       struct twmon_namespace *values, uint32_t capacity);

/// Copies up to `capacity` entries of `close_wait` (the sockets now in CLOSE_WAIT; a capacity
/// of TWMON_MAX_CLOSE_WAIT holds it all). Returns how many, or a negative errno.
int twmon_close_events_read_close_wait(const struct twmon_close_events *events, uint64_t *sockets,
                                       struct twmon_close_wait *values, uint32_t capacity);

/// Adds a LISTEN port the program has not seen appear (one made before it was loaded), so that
/// its connections are counted under it. Returns 0 (also when it was known) or a negative errno
/// (-E2BIG: the map is full).
int twmon_close_events_add_listener(const struct twmon_close_events *events, uint32_t netns_inum, uint16_t port);

/// Sums `stats` over the CPUs into `totals` (TWMON_STAT_COUNT values). Returns 0 or a negative errno.
int twmon_close_events_read_stats(const struct twmon_close_events *events, uint64_t *totals);

/// The program's own figures from the kernel (`bpf_prog_info`).
struct twmon_close_events_program_info {
    /// Nanoseconds spent in the program; counted only while kernel.bpf_stats_enabled = 1.
    uint64_t run_time_ns;
    /// Runs counted under kernel.bpf_stats_enabled = 1.
    uint64_t run_count;
    /// Events the kernel did not hand to the program because it was already running on that
    /// CPU (a softirq state change interrupting one in process context): lost events.
    uint64_t recursion_misses;
};

/// Fills `info`. Returns 0 or a negative errno.
int twmon_close_events_program_info(const struct twmon_close_events *events,
                                    struct twmon_close_events_program_info *info);

#endif
