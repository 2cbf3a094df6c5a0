#include "CTWMonCloseEvents.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct twmon_close_events {
    struct bpf_object *object;
    struct bpf_link *link;
    int program_fd, counts_fd, closers_fd, namespaces_fd, listeners_fd, stats_fd, close_wait_fd;
    int cpus;
};

// libbpf reports through one process-wide print callback. Opening is rare and the message is
// only kept for the error text, so the last warning of this thread is all that is remembered.
static __thread char last_warning[256];

static int remember_warning(enum libbpf_print_level level, const char *format, va_list arguments) {
    if (level != LIBBPF_WARN) return 0;
    vsnprintf(last_warning, sizeof last_warning, format, arguments);
    size_t length = strlen(last_warning);
    while (length > 0 && last_warning[length - 1] == '\n') last_warning[--length] = 0;
    return 0;
}

static int map_fd(struct bpf_object *object, const char *name) {
    struct bpf_map *map = bpf_object__find_map_by_name(object, name);
    return map ? bpf_map__fd(map) : -ENOENT;
}

int twmon_close_events_open(const void *object, size_t size, struct twmon_close_events **events,
                            enum twmon_close_events_stage *stage, char *message, size_t message_size) {
    *events = NULL;
    if (message_size) message[0] = 0;
    last_warning[0] = 0;
    libbpf_set_print(remember_warning);
    struct twmon_close_events *opened = calloc(1, sizeof *opened);
    if (!opened) return -ENOMEM;
    int result;
    *stage = TWMON_STAGE_OPEN;
    opened->object = bpf_object__open_mem(object, size, NULL);
    if (!opened->object) { result = -errno; goto failed; }
    *stage = TWMON_STAGE_LOAD;
    result = bpf_object__load(opened->object);
    if (result) goto failed;
    *stage = TWMON_STAGE_ATTACH;
    struct bpf_program *program = bpf_object__find_program_by_name(opened->object, "twmon_inet_sock_set_state");
    if (!program) { result = -ENOENT; goto failed; }
    opened->link = bpf_program__attach(program);
    if (!opened->link) { result = -errno; goto failed; }
    opened->program_fd = bpf_program__fd(program);
    opened->counts_fd = map_fd(opened->object, "counts");
    opened->closers_fd = map_fd(opened->object, "closers");
    opened->namespaces_fd = map_fd(opened->object, "namespaces");
    opened->listeners_fd = map_fd(opened->object, "listeners");
    opened->stats_fd = map_fd(opened->object, "stats");
    opened->close_wait_fd = map_fd(opened->object, "close_wait");
    opened->cpus = libbpf_num_possible_cpus();
    if (opened->counts_fd < 0 || opened->closers_fd < 0 || opened->namespaces_fd < 0 || opened->listeners_fd < 0 || opened->stats_fd < 0
        || opened->close_wait_fd < 0) {
        result = -ENOENT;
        goto failed;
    }
    if (opened->cpus <= 0) { result = opened->cpus ? opened->cpus : -EINVAL; goto failed; }
    libbpf_set_print(NULL);
    *events = opened;
    return 0;
failed:
    if (result >= 0) result = -EINVAL;
    if (message_size) snprintf(message, message_size, "%s", last_warning);
    libbpf_set_print(NULL);
    twmon_close_events_close(opened);
    return result;
}

void twmon_close_events_close(struct twmon_close_events *events) {
    if (!events) return;
    bpf_link__destroy(events->link);
    bpf_object__close(events->object);
    free(events);
}

int twmon_close_events_cpus(const struct twmon_close_events *events) { return events->cpus; }

// A map through BPF_MAP_LOOKUP_BATCH, as much as fits: a hash map is read bucket by bucket and
// `batch->cursor` is the kernel's bucket index. The kernel returns whole buckets only: a bucket
// that does not fit the room left ends this call (ENOSPC when nothing fit), and the next call
// goes on from it. ENOENT marks the end of the map.
static int read_batched(int fd, void *keys, size_t key_size, void *values, size_t value_size, uint32_t capacity,
                        struct twmon_batch *batch) {
    uint32_t read = 0;
    while (read < capacity && !batch->finished) {
        uint32_t count = capacity - read;
        uint32_t next = 0;
        int result = bpf_map_lookup_batch(fd, batch->started ? &batch->cursor : NULL, &next, (char *)keys + read * key_size,
                                          (char *)values + read * value_size, &count, NULL);
        int error = result ? errno : 0;
        read += count;
        if (error == ENOENT) { batch->finished = 1; break; }
        if (error == ENOSPC && read > 0) break;
        if (error) return -error;
        if (count == 0) break;  // the next bucket does not fit the room left
        batch->cursor = next;
        batch->started = 1;
    }
    return (int)read;
}

int twmon_close_events_read_counts(const struct twmon_close_events *events, struct twmon_count_key *keys,
                                   struct twmon_counts *values, uint32_t capacity) {
    struct twmon_batch batch = {0};
    return read_batched(events->counts_fd, keys, sizeof *keys, values, sizeof *values, capacity, &batch);
}

int twmon_close_events_read_closers(const struct twmon_close_events *events, struct twmon_closer_key *keys,
                                    struct twmon_closers *values, uint32_t capacity, struct twmon_batch *batch) {
    // A per-CPU value is copied as one value per possible CPU, each rounded up to 8 bytes
    // (struct twmon_closers is a multiple of 8).
    return read_batched(events->closers_fd, keys, sizeof *keys, values, sizeof *values * (size_t)events->cpus, capacity, batch);
}

int twmon_close_events_read_namespaces(const struct twmon_close_events *events, uint32_t *inums,
                                       struct twmon_namespace *values, uint32_t capacity) {
    struct twmon_batch batch = {0};
    return read_batched(events->namespaces_fd, inums, sizeof *inums, values, sizeof *values, capacity, &batch);
}

int twmon_close_events_read_close_wait(const struct twmon_close_events *events, uint64_t *sockets,
                                       struct twmon_close_wait *values, uint32_t capacity) {
    struct twmon_batch batch = {0};
    return read_batched(events->close_wait_fd, sockets, sizeof *sockets, values, sizeof *values, capacity, &batch);
}

int twmon_close_events_add_listener(const struct twmon_close_events *events, uint32_t netns_inum, uint16_t port) {
    struct twmon_closer_key key = {.netns_inum = netns_inum, .port = port, .side = TWMON_SIDE_LOCAL};
    uint8_t present = 1;
    if (bpf_map_update_elem(events->listeners_fd, &key, &present, BPF_NOEXIST) == 0 || errno == EEXIST) return 0;
    return -errno;
}

int twmon_close_events_read_stats(const struct twmon_close_events *events, uint64_t *totals) {
    uint64_t *per_cpu = calloc((size_t)events->cpus, sizeof *per_cpu);
    if (!per_cpu) return -ENOMEM;
    for (uint32_t index = 0; index < TWMON_STAT_COUNT; index++) {
        if (bpf_map_lookup_elem(events->stats_fd, &index, per_cpu)) {
            int error = errno;
            free(per_cpu);
            return -error;
        }
        totals[index] = 0;
        for (int cpu = 0; cpu < events->cpus; cpu++) totals[index] += per_cpu[cpu];
    }
    free(per_cpu);
    return 0;
}

int twmon_close_events_program_info(const struct twmon_close_events *events,
                                    struct twmon_close_events_program_info *info) {
    struct bpf_prog_info kernel_info;
    memset(&kernel_info, 0, sizeof kernel_info);
    uint32_t length = sizeof kernel_info;
    if (bpf_obj_get_info_by_fd(events->program_fd, &kernel_info, &length)) return -errno;
    info->run_time_ns = kernel_info.run_time_ns;
    info->run_count = kernel_info.run_cnt;
    info->recursion_misses = kernel_info.recursion_misses;
    return 0;
}
