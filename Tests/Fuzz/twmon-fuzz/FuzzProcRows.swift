import TWMonCore

/// One builder per path for all inputs, as the daemon keeps one across scans.
nonisolated(unsafe) private var builder = PortTableBuilder()
nonisolated(unsafe) private var oneByOne = PortTableBuilder()

/// Fuzz target `proc-rows`: bytes as a /proc/net/tcp or tcp6 table (the first byte picks the
/// family, where the text is cut in two as the reader hands it over, and the number of top
/// peers). The streaming scan, every port's peers and client destinations tallied (and the
/// inodes of CLOSE_WAIT rows read), must agree with the plain record parser, and nothing may trap.
func fuzzProcRows(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let family: AddressFamily = data[0] & 1 == 0 ? .ipv4 : .ipv6
    let text = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let parsed = ProcNetTCPParser.records(in: text, family: family)

    // The same text in two pieces cut after a newline, every port's peers tallied.
    var cut = text.count * Int(data[0] >> 1) / 128
    while cut > 0 && text[cut - 1] != UInt8(ascii: "\n") { cut -= 1 }
    builder.reset(watchingPeersOf: Set(parsed.records.map(\.local.port)))
    builder.topPeerLimit = Int(data[0] >> 5)
    // Client sockets of every port counted per destination, as with the widest ephemeral range.
    let everyPort = EphemeralPortRange(low: 1, high: 65_535)
    builder.tallyClients(in: everyPort, floor: 1)
    builder.addProcTable(UnsafeRawBufferPointer(rebasing: text[..<cut]), family: family, startsFile: true)
    builder.addProcTable(UnsafeRawBufferPointer(rebasing: text[cut...]), family: family, startsFile: cut == 0)
    let table = builder.build()
    precondition(table.totals.total == parsed.records.count, "streamed and whole parses disagree")
    // The same peers counted one record at a time (the netlink path) as in batches.
    oneByOne.reset(watchingPeersOf: Set(parsed.records.map(\.local.port)))
    oneByOne.topPeerLimit = builder.topPeerLimit
    oneByOne.tallyClients(in: everyPort, floor: 1)
    for record in parsed.records { oneByOne.add(record) }
    let byproducts = builder.byproducts(), singleByproducts = oneByOne.byproducts()
    precondition(singleByproducts.topPeers == byproducts.topPeers, "batched and single peer counts disagree")
    precondition(singleByproducts.clientTuples == byproducts.clientTuples, "streamed and single client destinations disagree")
    precondition(singleByproducts.closeWaitSockets.count == byproducts.closeWaitSockets.count, "CLOSE_WAIT sockets disagree")
    precondition(table.malformedRows == parsed.malformedRows, "malformed counts disagree")
    for peers in byproducts.topPeers.values { precondition(peers.count <= builder.topPeerLimit) }
    return 0
}
