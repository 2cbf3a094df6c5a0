#ifndef TWMON_CSYSTEMD_SHIM_H
#define TWMON_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
/* mallopt, for TWMonSystem.LargeAllocations. */
#include <malloc.h>
#endif
