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
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                precondition(bind(descriptor, raw, length) == 0, "bind failed")
                precondition(listen(descriptor, 16) == 0, "listen failed")
                precondition(getsockname(descriptor, raw, &length) == 0, "getsockname failed")
            }
        }
        socketDescriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// A connection string for this port with any key.
    var connectionString: String { "Endpoint=http://127.0.0.1:\(port);AccessKey=key;Version=1.0;" }

    deinit {
        close(socketDescriptor)
    }
}
