import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A scenario that breaks the format; the message names the file, the step and the field.
struct ScenarioFormatError: Error, CustomStringConvertible {
    let description: String
}

/// The shared scenario format (tests/scenarios/README.md), checked strictly.
enum ScenarioFormat {
    static let stepKinds = [
        "connect", "disconnect", "call", "received", "closed", "open", "advance_clock", "groups", "hubs",
        "client_url", "shutdown", "fault", "clear_faults", "injected", "drop_clients",
    ]
    /// The REST API versions in the files' spelling, in the order the runners replay them.
    static let apiVersions = ["v1", "2022-06-01"]
    static let errorKinds: Set<String> = [
        "invalid_argument", "unauthorized", "not_found", "bad_request", "service_error", "timeout", "transport",
    ]
    static let endpoints = ["simulator", "closed_port", "stalls", "fails"]
    static let auths = ["access_key", "token_provider", "failing_token_provider"]

    /// What a field must hold: its name in messages, and the check.
    struct FieldType {
        let description: String
        let accepts: (ScenarioJSON) -> Bool
    }

    typealias Fields = [(String, FieldType)]

    static func isStrings(_ value: ScenarioJSON) -> Bool {
        value.array?.allSatisfy { $0.string != nil } ?? false
    }

    static func integer(_ value: ScenarioJSON, in range: ClosedRange<Int64>) -> Bool {
        guard let text = value.integerText else { return false }
        // Beyond Int64: only "an integer" with no bound accepts it.
        guard let number = Int64(text) else { return range == Int64.min...Int64.max }
        return range.contains(number)
    }

    static let str = FieldType(description: "a string") { $0.string != nil }
    static let int = FieldType(description: "an integer") { ScenarioFormat.integer($0, in: Int64.min...Int64.max) }
    static let positiveInt = FieldType(description: "a positive integer") {
        ScenarioFormat.integer($0, in: 1...Int64.max)
    }
    static let nonNegativeInt = FieldType(description: "a non-negative integer") {
        ScenarioFormat.integer($0, in: 0...Int64.max)
    }
    static let array = FieldType(description: "an array") { $0.array != nil }
    static let object = FieldType(description: "an object") { $0.members != nil }
    static let strOrNull = FieldType(description: "a string or null") { $0 == .null || $0.string != nil }
    static let strings = FieldType(description: "an array of strings", accepts: ScenarioFormat.isStrings)
    static let expect = FieldType(description: "\"ok\", true, false or {\"error\": kind}") { value in
        switch value {
        case .bool: return true
        case let .string(text): return text == "ok"
        case let .object(members):
            return members.count == 1 && members[0].key == "error"
                && ScenarioFormat.errorKinds.contains(members[0].value.string ?? "")
        default: return false
        }
    }
    static let errorExpect = FieldType(description: "{\"error\": kind}") {
        $0.members != nil && ScenarioFormat.expect.accepts($0)
    }
    static let isTrue = FieldType(description: "true") { $0 == .bool(true) }
    static let bool = FieldType(description: "a boolean") { $0 == .bool(true) || $0 == .bool(false) }
    static let auth = FieldType(description: "one of access_key, token_provider, failing_token_provider") { value in
        ScenarioFormat.auths.contains(value.string ?? "")
    }
    static let groupMembers = FieldType(description: "an object of arrays of strings") { value in
        value.members?.allSatisfy { ScenarioFormat.isStrings($0.value) } ?? false
    }
    static let endpoint = FieldType(description: "one of simulator, closed_port, stalls, fails") { value in
        ScenarioFormat.endpoints.contains(value.string ?? "")
    }
    static let status = FieldType(description: "an integer from 400 to 599") {
        ScenarioFormat.integer($0, in: 400...599)
    }

    static let apiVersionList = FieldType(description: "a non-empty array of distinct \"v1\", \"2022-06-01\"") {
        guard let names = $0.array?.compactMap(\.string), names.count == $0.array?.count else { return false }
        return !names.isEmpty && Set(names).count == names.count
            && names.allSatisfy(ScenarioFormat.apiVersions.contains)
    }

    static let send: Fields = [("arguments", array)]
    static let sendExcluding: Fields = [("arguments", array), ("excluded", strings)]
    static let closeMany: Fields = [("excluded", strings), ("reason", str)]
    /// The required and optional fields of each operation, besides call, hub and expect.
    static let operations: [String: (Fields, Fields)] = [
        "send_to_all": ([("target", str)], sendExcluding),
        "send_to_user": ([("user", str), ("target", str)], send),
        "send_to_connection": ([("connection", str), ("target", str)], send),
        "send_to_group": ([("group", str), ("target", str)], sendExcluding),
        "connection_exists": ([("connection", str)], []),
        "close_connection": ([("connection", str)], [("reason", str)]),
        "group_exists": ([("group", str)], []),
        "user_exists": ([("user", str)], []),
        "add_connection_to_group": ([("group", str), ("connection", str)], []),
        "remove_connection_from_group": ([("group", str), ("connection", str)], []),
        "user_in_group": ([("group", str), ("user", str)], []),
        "add_user_to_group": ([("group", str), ("user", str)], [("ttl", int)]),
        "remove_user_from_group": ([("group", str), ("user", str)], []),
        "remove_user_from_all_groups": ([("user", str)], []),
        "close_all_connections": ([], closeMany),
        "close_group_connections": ([("group", str)], closeMany),
        "close_user_connections": ([("user", str)], closeMany),
        "remove_connection_from_all_groups": ([("connection", str)], []),
        "negotiate": ([], [("user", str)]),
        "negotiate_with_service": ([], [("user", str)]),
    ]

    /// Unknown fields first (in the object's order), then missing ones, then types.
    static func checkFields(_ at: String, _ value: ScenarioJSON, _ required: Fields, _ optional: Fields) throws {
        guard value.members != nil else { throw ScenarioFormatError(description: "\(at): must be an object") }
        let known = required + optional
        if let unknown = value.keys.first(where: { key in !known.contains { $0.0 == key } }) {
            throw ScenarioFormatError(description: "\(at): unknown field \"\(unknown)\"")
        }
        if let missing = required.first(where: { value[$0.0] == nil })?.0 {
            throw ScenarioFormatError(description: "\(at): missing field \"\(missing)\"")
        }
        for (name, type) in known {
            if let field = value[name], !type.accepts(field) {
                throw ScenarioFormatError(description: "\(at): field \"\(name)\" must be \(type.description)")
            }
        }
    }

    /// The key naming what the step does.
    static func kind(_ step: ScenarioJSON) -> String {
        stepKinds.first { step[$0] != nil }!
    }

    static func checkStep(_ at: String, _ step: ScenarioJSON) throws {
        guard step.members != nil else { throw ScenarioFormatError(description: "\(at): must be an object") }
        let kinds = stepKinds.filter { step[$0] != nil }
        guard kinds.count == 1 else {
            throw ScenarioFormatError(
                description: "\(at): a step needs exactly one of \(stepKinds.joined(separator: ", "))"
            )
        }
        switch kinds[0] {
        case "connect":
            try checkFields(at, step, [("connect", str), ("hub", str)], [("user", str), ("expect", errorExpect)])
        case "disconnect": try checkFields(at, step, [("disconnect", str)], [])
        case "call":
            guard let op = step["call"]?.string else {
                throw ScenarioFormatError(description: "\(at): field \"call\" must be a string")
            }
            guard let fields = operations[op] else {
                throw ScenarioFormatError(description: "\(at): unknown operation \"\(op)\"")
            }
            let (required, optional) = fields
            try checkFields(at, step, [("call", str), ("hub", str)] + required + [("expect", expect)], optional)
        case "received":
            try checkFields(at, step, [("received", str), ("messages", array)], [])
            for (j, message) in step["messages"]!.array!.enumerated() {
                try checkFields("\(at).messages[\(j)]", message, [("target", str), ("arguments", array)], [])
            }
        case "closed": try checkFields(at, step, [("closed", str), ("reason", strOrNull)], [])
        case "open": try checkFields(at, step, [("open", str)], [])
        case "advance_clock": try checkFields(at, step, [("advance_clock", nonNegativeInt)], [])
        case "groups": try checkFields(at, step, [("groups", str), ("expect", groupMembers)], [])
        case "hubs": try checkFields(at, step, [("hubs", strings)], [])
        case "client_url": try checkFields(at, step, [("client_url", str), ("expect", str)], [])
        case "shutdown": try checkFields(at, step, [("shutdown", isTrue)], [])
        case "fault": try checkFields(at, step, [("fault", str)], [("expect", errorExpect)])
        case "clear_faults": try checkFields(at, step, [("clear_faults", isTrue)], [])
        case "injected": try checkFields(at, step, [("injected", strings)], [])
        default: try checkFields(at, step, [("drop_clients", str), ("close", bool)], [("connection", str)])
        }
    }

    /// The scenario in `text`; an error saying `file: where: what` if it is malformed.
    static func parse(file: String, text: String) throws -> ScenarioJSON {
        let scenario = try ScenarioJSON(parsing: text)
        do {
            try checkFields(
                "scenario", scenario, [("name", str), ("steps", array)],
                [("client", object), ("api_versions", apiVersionList)]
            )
            let client = scenario["client"] ?? .object([])
            try checkFields("client", client, [], [
                ("access_key", str), ("endpoint", endpoint), ("status", status), ("timeout_ms", positiveInt),
                ("application", str), ("auth", auth), ("retries", nonNegativeInt),
            ])
            let fails = client["endpoint"]?.string == "fails"
            if fails, client["status"] == nil {
                throw ScenarioFormatError(description: "client: missing field \"status\"")
            }
            if !fails, client["status"] != nil {
                throw ScenarioFormatError(description: "client: field \"status\" is only for \"endpoint\": \"fails\"")
            }
            for (i, step) in scenario["steps"]!.array!.enumerated() {
                try checkStep("steps[\(i)]", step)
            }
        } catch let error as ScenarioFormatError {
            throw ScenarioFormatError(description: "\(file): \(error.description)")
        }
        return scenario
    }

    /// The versions a checked scenario runs under: its `api_versions` in the runners' order, else both.
    static func versions(of scenario: ScenarioJSON) -> [String] {
        guard let listed = scenario["api_versions"]?.array?.compactMap(\.string) else { return apiVersions }
        return apiVersions.filter(listed.contains)
    }
}

/// `"ok"` when the simulator's `/client/negotiate` for the negotiate answer's `url` accepts
/// `token` (200, asked with URLSession) and the token carries `user` (as the simulator reads it:
/// `asrs.s.uid`, else `nameid`, else `sub`); otherwise what went wrong.
func tokenAccepted(url: String, token: String, user: String?) async -> ScenarioJSON {
    func failure(_ what: String, _ detail: String) -> ScenarioJSON {
        .object([.init(key: what, value: .string(detail))])
    }
    guard url.contains("/client/?") else { return failure("url without /client/?", url) }
    let negotiate = url.replacingOccurrences(of: "/client/?", with: "/client/negotiate?")
    guard let address = URL(string: negotiate) else { return failure("not a URL", negotiate) }
    var request = URLRequest(url: address, timeoutInterval: 10)
    request.httpMethod = "POST"
    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    let answer: (status: Int, body: String)
    do {
        answer = try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    let status = (response as? HTTPURLResponse)?.statusCode ?? -1
                    continuation.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
                }
            }.resume()
        }
    } catch {
        return failure("token not checked", "\(negotiate): \(error)")
    }
    guard answer.status == 200 else {
        return failure("token refused", "\(negotiate): \(answer.status) \(answer.body)")
    }
    let parts = token.split(separator: ".")
    var payload = parts.count == 3 ? String(parts[1]) : ""
    payload = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while payload.count % 4 != 0 { payload += "=" }
    guard let data = Data(base64Encoded: payload),
          let claims = try? ScenarioJSON(parsing: String(decoding: data, as: UTF8.self)),
          claims.members != nil
    else {
        return failure("token is no JWT", token)
    }
    let carried = ["asrs.s.uid", "nameid", "sub"].lazy.compactMap { claims[$0]?.string }.first
    guard carried == user else {
        return .object([
            .init(key: "token's user", value: carried.map(ScenarioJSON.string) ?? .null),
            .init(key: "expected", value: user.map(ScenarioJSON.string) ?? .null),
        ])
    }
    return .string("ok")
}

/// A TCP socket listening on 127.0.0.1 at a port the kernel picks (POSIX sockets: Foundation on
/// Linux has no HTTP server).
final class LoopbackListener {
    let descriptor: Int32
    let port: Int

    init(backlog: Int32) throws {
        #if os(Linux)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let fd = socket(AF_INET, stream, 0)
        guard fd >= 0 else { throw ScenarioFormatError(description: "socket() failed: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            close(fd)
            throw ScenarioFormatError(description: "bind/listen on 127.0.0.1 failed: \(errno)")
        }
        var actual = sockaddr_in()
        var length = size
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        shutdown(descriptor, Int32(SHUT_RDWR)) // wakes a blocked accept()
        close(descriptor)
    }
}

/// Answers every HTTP request with `status` and a JSON error body, one connection at a time.
final class FailingServer {
    private let listener: LoopbackListener
    private let thread: Thread

    init(status: Int) throws {
        let listener = try LoopbackListener(backlog: 16)
        let body = "{\"code\":\"Error.Scenario.Status\(status)\","
            + "\"message\":\"the scenario's server answers every request with \(status)\"}"
        let response = Array(("HTTP/1.1 \(status) Scenario\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body).utf8)
        self.listener = listener
        thread = Thread {
            while true {
                let connection = accept(listener.descriptor, nil, nil)
                if connection < 0 { return }
                FailingServer.readRequest(connection)
                FailingServer.writeAll(connection, response)
                close(connection)
            }
        }
        thread.start()
    }

    var url: String { listener.url }

    func stop() { listener.stop() }

    /// Reads the head and the Content-Length body: closing with unread input would reset the socket.
    private static func readRequest(_ connection: Int32) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let terminator = Array("\r\n\r\n".utf8)
        while true {
            if let end = received.indices.first(where: { received[$0...].starts(with: terminator) }) {
                let head = String(decoding: received[..<end], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n")
                    .first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count - (end + terminator.count) >= length { return }
            }
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { return }
            received.append(contentsOf: chunk[0..<count])
        }
    }

    private static func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        #if os(Linux)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, flags) }
            if count <= 0 { return }
            sent += count
        }
    }
}
