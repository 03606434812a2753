import Foundation

/// The headers of the requests a `LoopbackHTTPServer` in `.handle` mode answered 200, kept for
/// a test to read (names lower case).
final class HeaderRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: [String: String] = [:]

    /// A server answering every request 200 with an empty body, recording its headers here.
    func server() -> LoopbackHTTPServer {
        LoopbackHTTPServer(.handle { [self] request in
            lock.lock()
            latest = Dictionary(request.headers.map { ($0.key.lowercased(), $0.value) }) { $1 }
            lock.unlock()
            return (status: 200, contentType: "application/json", body: Data())
        })
    }

    /// The latest request's header `name` (any case).
    func header(_ name: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return latest[name.lowercased()]
    }
}
