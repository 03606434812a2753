#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A loopback TCP port that accepts connections (in the kernel's backlog) and never answers.
final class SilentListener {
    private let socketDescriptor: Int32
    let port: Int

    init() {
        (socketDescriptor, port) = listenOnLoopback(backlog: 16)
    }

    /// A connection string for this port with any key.
    var connectionString: String { "Endpoint=http://127.0.0.1:\(port);AccessKey=key;Version=1.0;" }

    deinit {
        close(socketDescriptor)
    }
}
