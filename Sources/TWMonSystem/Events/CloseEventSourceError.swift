import Glibc

/// Why the close-event source could not be opened: each case says, for an operator, what is
/// missing and what to do. twmond reports it once and keeps running on the table walk.
public enum CloseEventSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kernel has no BTF (`/sys/kernel/btf/vmlinux` is missing): it was built without
    /// CONFIG_DEBUG_INFO_BTF, and the program cannot be relocated for it.
    case noKernelBTF(path: String)
    /// bpf() returned EPERM and the process lacks CAP_BPF or CAP_PERFMON (both are needed).
    case missingCapabilities(missing: [String])
    /// bpf() returned EPERM (or ENOSYS) although both capabilities are held: a seccomp filter
    /// refuses the call, as the stock twmond.service does (`SystemCallFilter=~@privileged`).
    case systemCallFiltered(errno: Int32)
    /// bpf() returned ENOSYS and no seccomp filter is in place: a kernel without CONFIG_BPF_SYSCALL.
    case noBPFSystemCall
    /// libbpf failed for another reason; `stage` is what it was doing, `message` its last warning.
    case loadFailed(stage: Stage, errno: Int32, message: String)
    /// Reading the maps (or adding to `listeners`) failed after the source was opened.
    case readFailed(map: String, errno: Int32)

    /// What libbpf was doing when it failed.
    public enum Stage: String, Sendable {
        case open = "parsing the embedded BPF object"
        case load = "loading the BPF program"
        case attach = "attaching to tp_btf/inet_sock_set_state"
    }

    public var description: String {
        switch self {
        case .noKernelBTF(let path):
            return "close events are off: \(path) is missing, so this kernel has no BTF (CONFIG_DEBUG_INFO_BTF) to run the eBPF program on"
        case .missingCapabilities(let missing):
            return "close events are off: loading the eBPF program needs CAP_BPF and CAP_PERFMON, and \(missing.joined(separator: " and ")) "
                + "\(missing.count == 1 ? "is" : "are") missing (as a service: the drop-in twmond.service.d/ebpf.conf)"
        case .systemCallFiltered(let code):
            return "close events are off: a seccomp system call filter refuses bpf() (\(code == ENOSYS ? "ENOSYS" : "EPERM")) although CAP_BPF and CAP_PERFMON are held "
                + "(as a service: add SystemCallFilter=bpf, as the drop-in twmond.service.d/ebpf.conf does)"
        case .noBPFSystemCall:
            return "close events are off: this kernel has no bpf() system call (CONFIG_BPF_SYSCALL)"
        case .loadFailed(let stage, let code, let message):
            let detail = message.isEmpty ? "" : " (libbpf: \(message))"
            return "close events are off: \(stage.rawValue) failed: \(String(cString: strerror(code)))\(detail)"
        case .readFailed(let map, let code):
            return "close events: the \(map) map failed: \(String(cString: strerror(code)))"
        }
    }
}
