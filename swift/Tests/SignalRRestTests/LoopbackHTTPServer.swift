#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// A request the loopback server read: its path, headers (names as sent) and body.
struct LoopbackRequest {
    let path: String
    let headers: [String: String]
    let body: Data
}

/// A loopback HTTP/1.1 server on POSIX sockets (Foundation has no HTTP server on Linux). Each
/// connection carries one request, read to its end and counted; then the server either answers
/// with `Connection: close`, or stays silent and counts the connection once the client closes it
/// (its `read` returns 0).
final class LoopbackHTTPServer: @unchecked Sendable {
    enum Behaviour {
        /// Answer every request with `status` and `body`.
        case answer(status: Int, body: String)
        /// Never answer; notice when the client hangs up.
        case silent
        /// Answer each request with what `handler` returns: a status, a content type and a body.
        case handle(@Sendable (LoopbackRequest) -> (status: Int, contentType: String, body: Data))
    }

    let port: Int
    private let listener: Int32
    private let behaviour: Behaviour
    private let lock = NSLock()
    private var requestCount = 0
    private var hangUpCount = 0

    init(_ behaviour: Behaviour) {
        signal(SIGPIPE, SIG_IGN) // a client that hung up must not kill the test process
        self.behaviour = behaviour
        let (listener, port) = listenOnLoopback(backlog: 128)
        self.listener = listener
        self.port = port
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return } // stop() shut the listener down
                Thread.detachNewThread { self.serve(connection) }
            }
        }
    }

    /// A connection string for this server with any key.
    var connectionString: String { "Endpoint=http://127.0.0.1:\(port);AccessKey=key;Version=1.0;" }

    /// Requests read so far.
    var requests: Int { locked { requestCount } }

    /// Connections the client closed while the silent server held their request.
    var hangUps: Int { locked { hangUpCount } }

    /// Stops accepting; connections being served finish on their own.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR)) // wakes the blocked accept()
        close(listener)
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        guard let request = readRequest(connection) else { return }
        locked { requestCount += 1 }
        switch behaviour {
        case let .answer(status, body):
            respond(connection, status: status, contentType: "application/json", body: Array(body.utf8))
        case let .handle(handler):
            let (status, contentType, body) = handler(request)
            respond(connection, status: status, contentType: contentType, body: Array(body))
        case .silent:
            var byte: UInt8 = 0
            while recv(connection, &byte, 1, 0) > 0 {}
            locked { hangUpCount += 1 }
        }
    }

    private func respond(_ connection: Int32, status: Int, contentType: String, body: [UInt8]) {
        let head = "HTTP/1.1 \(status) Canned\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        sendAll(connection, Array(head.utf8) + body)
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The index just past the blank line that ends the request head, if it has arrived.
    private func endOfHead(_ data: [UInt8]) -> Int? {
        let blankLine = Array("\r\n\r\n".utf8)
        guard data.count >= blankLine.count else { return nil }
        for start in 0...(data.count - blankLine.count) where data[start..<start + blankLine.count].elementsEqual(blankLine) {
            return start + blankLine.count
        }
        return nil
    }

    /// Reads the request head and its `Content-Length` body; nil if the client left first.
    private func readRequest(_ connection: Int32) -> LoopbackRequest? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let headEnd: Int
        while true {
            if let end = endOfHead(data) {
                headEnd = end
                break
            }
            let count = recv(connection, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            data += chunk[..<count]
        }
        let lines = String(decoding: data[..<headEnd], as: UTF8.self).split(separator: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyLength = headers.first { $0.key.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        while data.count - headEnd < bodyLength {
            let count = recv(connection, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            data += chunk[..<count]
        }
        let path = lines.first.map { $0.split(separator: " ").dropFirst().first.map(String.init) ?? "" } ?? ""
        return LoopbackRequest(path: path, headers: headers, body: Data(data[headEnd..<(headEnd + bodyLength)]))
    }
}

/// Writes all of `bytes` to `descriptor`; false if the peer is gone.
@discardableResult
func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
        let wrote = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        if wrote <= 0 { return false }
        sent += wrote
    }
    return true
}

/// A TCP socket listening on 127.0.0.1 at a port the system picked, and that port.
func listenOnLoopback(backlog: Int32) -> (descriptor: Int32, port: Int) {
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
            precondition(listen(descriptor, backlog) == 0, "listen failed")
            precondition(getsockname(descriptor, raw, &length) == 0, "getsockname failed")
        }
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// Waits until `condition` holds, checking every 20 ms for at most `seconds`; whether it held.
func eventually(within seconds: TimeInterval, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    return true
}
