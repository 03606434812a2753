#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// A minimal SignalR client for the upstream tests: the JSON hub protocol over a WebSocket
/// (RFC 6455) on POSIX sockets, connecting straight to the simulator's `/client/` without
/// negotiating. Foundation's WebSocket task on Linux depends on how libcurl was built, so the
/// few frames needed are written here. Calls block; every read gives up after 10 s.
final class TestSignalRClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var records: [String] = []
    private var nextInvocationId = 0
    /// The invocations the service sent this client, as `(target, arguments JSON)`.
    private(set) var received: [(target: String, argumentsJSON: String)] = []

    /// Connects to `url` (`http://127.0.0.1:port/client/?hub=...`, from `negotiate`) with the
    /// client `accessToken` and completes the SignalR handshake.
    init(url: String, accessToken: String) throws {
        guard let parts = URLComponents(string: url), let host = parts.host, let port = parts.port else {
            throw Failure(description: "not a loopback client URL: \(url)")
        }
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "cannot connect to \(host):\(port)") }
        let target = "\(parts.percentEncodedPath)?\(parts.percentEncodedQuery ?? "")&access_token=\(accessToken)"
        let request = "GET \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        sendAll(descriptor, Array(request.utf8))
        let head = try readHead()
        guard head.hasPrefix("HTTP/1.1 101") else { throw Failure(description: "the upgrade was refused: \(head)") }
        try sendText("{\"protocol\":\"json\",\"version\":1}\u{1e}")
        let handshake = try nextRecord()
        guard handshake == "{}" else { throw Failure(description: "the handshake failed: \(handshake)") }
    }

    deinit {
        close(descriptor)
    }

    /// Invokes hub method `target` with `argumentsJSON` (a JSON array text) and waits for its
    /// completion, returned as parsed JSON (`result` or `error`).
    func invoke(_ target: String, argumentsJSON: String) throws -> [String: Any] {
        nextInvocationId += 1
        let id = String(nextInvocationId)
        try sendText("{\"type\":1,\"invocationId\":\"\(id)\",\"target\":\"\(target)\",\"arguments\":\(argumentsJSON)}\u{1e}")
        while true {
            let record = try nextRecord()
            guard let message = try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any] else {
                throw Failure(description: "not a hub message: \(record)")
            }
            switch message["type"] as? Int {
            case 3 where message["invocationId"] as? String == id:
                return message
            case 1:
                let arguments = try JSONSerialization.data(withJSONObject: message["arguments"] ?? [])
                received.append((message["target"] as? String ?? "", String(decoding: arguments, as: UTF8.self)))
            case 7:
                throw Failure(description: "the service closed the connection: \(record)")
            default:
                continue // pings
            }
        }
    }

    /// Sends a WebSocket close and hangs up.
    func disconnect() {
        try? sendFrame(opcode: 0x8, payload: [0x03, 0xE8]) // 1000: normal closure
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    private func sendText(_ text: String) throws {
        try sendFrame(opcode: 0x1, payload: Array(text.utf8))
    }

    /// One final frame, masked as a client's must be.
    private func sendFrame(opcode: UInt8, payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let count = payload.count
        if count < 126 {
            frame.append(0x80 | UInt8(count))
        } else if count < 65536 {
            frame += [0xFE, UInt8(count >> 8), UInt8(count & 0xFF)] as [UInt8]
        } else {
            frame.append(0xFF)
            for shift in stride(from: 56, through: 0, by: -8) {
                frame.append(UInt8((count >> shift) & 0xFF))
            }
        }
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        for (index, byte) in payload.enumerated() {
            frame.append(byte ^ mask[index % 4])
        }
        guard sendAll(descriptor, frame) else { throw Failure(description: "the service hung up") }
    }

    /// The next hub-protocol record (text between record separators) the service sent.
    private func nextRecord() throws -> String {
        while records.isEmpty {
            let text = try nextMessage()
            records += text.split(separator: "\u{1e}", omittingEmptySubsequences: true).map(String.init)
        }
        return records.removeFirst()
    }

    /// The next text or binary message, answering pings on the way.
    private func nextMessage() throws -> String {
        var message: [UInt8] = []
        while true {
            let header = try take(2)
            var length = Int(header[1] & 0x7F)
            if length == 126 {
                length = try take(2).reduce(0) { $0 << 8 | Int($1) }
            } else if length == 127 {
                length = try take(8).reduce(0) { $0 << 8 | Int($1) }
            }
            let payload = try take(length)
            switch header[0] & 0x0F {
            case 0x8: throw Failure(description: "the service closed the WebSocket")
            case 0x9: try sendFrame(opcode: 0xA, payload: payload)
            case 0xA: continue
            default:
                message += payload
                if header[0] & 0x80 != 0 { return String(decoding: message, as: UTF8.self) }
            }
        }
    }

    /// The HTTP response head; bytes after it stay in the buffer.
    private func readHead() throws -> String {
        let blankLine = Array("\r\n\r\n".utf8)
        while true {
            if buffer.count >= 4, let start = (0...(buffer.count - 4)).first(where: { buffer[$0..<$0 + 4].elementsEqual(blankLine) }) {
                let head = String(decoding: buffer[..<start], as: UTF8.self)
                buffer.removeFirst(start + 4)
                return head
            }
            try fill()
        }
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        let bytes = Array(buffer[..<count])
        buffer.removeFirst(count)
        return bytes
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &chunk, chunk.count, 0)
        guard count > 0 else { throw Failure(description: "no data from the service within 10 s, or it hung up") }
        buffer += chunk[..<count]
    }
}
