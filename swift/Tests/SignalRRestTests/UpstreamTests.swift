import Foundation
import SignalRRest
import XCTest

/// The upstream receiver against the shared vectors (tests/vectors/upstream.json), its
/// completions, and a simulator calling an app served here for a WebSocket client.
final class UpstreamTests: XCTestCase {
    static let key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
    static let signed = "sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881"

    struct Vectors: Decodable {
        struct Signature: Decodable {
            let access_key: String
            let connection_id: String
            let signature: String
        }

        struct SignatureHeader: Decodable {
            let header: String
            let connection_id: String
            let keys: [String]
            let valid: Bool
        }

        struct Parsed: Decodable {
            let header: String
            let parsed: [[String]]
        }

        let signatures: [Signature]
        let signature_headers: [SignatureHeader]
        let claims: [Parsed]
        let queries: [Parsed]
    }

    func vectors() throws -> Vectors {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tests/vectors/upstream.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: file))
    }

    func headers(_ more: [String: String] = [:], connectionId: String = "conn-1", signature: String = signed) -> [String: String] {
        [
            "X-ASRS-Connection-Id": connectionId,
            "X-ASRS-Hub": "chat",
            "X-ASRS-Category": "connections",
            "X-ASRS-Event": "connected",
            "X-ASRS-Signature": signature,
        ].merging(more) { _, new in new }
    }

    func testEachVectorSignatureVerifiesAConnectedRequest() throws {
        for v in try vectors().signatures {
            let event = try Upstream.parseRequest(
                headers: headers(connectionId: v.connection_id, signature: v.signature), body: Data(), accessKeys: [v.access_key]
            )
            guard case let .connected(context) = event else { return XCTFail("not connected: \(event)") }
            XCTAssertEqual(context.connectionId, v.connection_id)
            XCTAssertEqual(context.hub, "chat")
            XCTAssertNil(context.userId)
            XCTAssertEqual(context.claims, [:])
        }
    }

    func testSignatureHeaderVectors() throws {
        for v in try vectors().signature_headers {
            let request = headers(connectionId: v.connection_id, signature: v.header)
            do {
                let event = try Upstream.parseRequest(headers: request, body: Data(), accessKeys: v.keys)
                XCTAssertTrue(v.valid, "accepted \(v.header)")
                XCTAssertEqual(event.context.connectionId, v.connection_id)
            } catch SignalRError.unauthorized {
                XCTAssertFalse(v.valid)
                XCTAssertFalse(v.header.isEmpty, "an empty header is a missing one, not a bad signature")
            } catch SignalRError.invalidArgument {
                XCTAssertTrue(v.header.isEmpty, "refused as malformed: \(v.header)")
            }
        }
    }

    func testClaimsAndQueryVectors() throws {
        let v = try vectors()
        for claims in v.claims {
            let event = try Upstream.parseRequest(headers: headers(["X-ASRS-User-Claims": claims.header]), body: Data(), accessKeys: [Self.key])
            XCTAssertEqual(event.context.claims, Dictionary(uniqueKeysWithValues: claims.parsed.map { ($0[0], $0[1]) }))
        }
        for query in v.queries {
            let event = try Upstream.parseRequest(headers: headers(["x-asrs-client-query": query.header]), body: Data(), accessKeys: [Self.key])
            XCTAssertEqual(event.context.query, Dictionary(uniqueKeysWithValues: query.parsed.map { ($0[0], $0[1]) }))
        }
    }

    func testHeadersInAnyCaseABadSignatureAndAMalformedRequest() throws {
        let lower = Dictionary(uniqueKeysWithValues: headers(["X-ASRS-User-Id": "alice"]).map { ($0.key.lowercased(), $0.value) })
        XCTAssertEqual(try Upstream.parseRequest(headers: lower, body: Data(), accessKeys: ["another-key", Self.key]).context.userId, "alice")
        XCTAssertThrowsError(try Upstream.parseRequest(headers: headers(), body: Data(), accessKeys: ["another-key"])) { error in
            guard case .unauthorized(nil, _) = error as? SignalRError else { return XCTFail("expected unauthorized, got \(error)") }
        }
        var noHub = headers()
        noHub["X-ASRS-Hub"] = nil
        XCTAssertThrowsError(try Upstream.parseRequest(headers: noHub, body: Data(), accessKeys: [Self.key])) { error in
            XCTAssertEqual((error as? SignalRError)?.kind, "invalid_argument")
        }
        let call = headers(["X-ASRS-Category": "messages", "X-ASRS-Event": "echo"])
        XCTAssertThrowsError(try Upstream.parseRequest(headers: call, body: Data("{".utf8), accessKeys: [Self.key]))
    }

    func testDisconnectedCarriesItsError() throws {
        let request = headers(["X-ASRS-Event": "disconnected"])
        let clean = try Upstream.parseRequest(headers: request, body: Data(#"{"type":11}"#.utf8), accessKeys: [Self.key])
        XCTAssertEqual(clean, .disconnected(clean.context, error: nil))
        let failed = try Upstream.parseRequest(headers: request, body: Data(#"{"type":11,"error":"gone"}"#.utf8), accessKeys: [Self.key])
        XCTAssertEqual(failed, .disconnected(failed.context, error: "gone"))
    }

    func testAnInvocationIsReadAndAnsweredWithAFramedCompletion() throws {
        let body = #"{"type":1,"invocationId":"7","target":"echo","arguments":[1,{"z":1,"a":2}]}"#
        let request = headers(["X-ASRS-Category": "messages", "X-ASRS-Event": "echo"])
        guard case let .invocation(call) = try Upstream.parseRequest(headers: request, body: Data(body.utf8), accessKeys: [Self.key]) else {
            return XCTFail("not an invocation")
        }
        XCTAssertEqual(call.invocationId, "7")
        XCTAssertEqual(call.target, "echo")
        XCTAssertEqual(call.protocol, .json)
        XCTAssertEqual(call.argumentsJSON, #"[1,{"z":1,"a":2}]"#)

        func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
        let echoed = try Upstream.completionBody(protocol: call.protocol, invocationId: "7", result: RawJSON(call.argumentsJSON))
        XCTAssertEqual(text(echoed), #"{"type":3,"invocationId":"7","result":[1,{"z":1,"a":2}]}"# + "\u{1e}")
        XCTAssertEqual(text(try Upstream.completionBody(protocol: .json, invocationId: "7", result: 5)), #"{"type":3,"invocationId":"7","result":5}"# + "\u{1e}")
        XCTAssertEqual(text(try Upstream.completionBody(protocol: .json, invocationId: "7", error: "no")), #"{"type":3,"invocationId":"7","error":"no"}"# + "\u{1e}")
        XCTAssertEqual(text(try Upstream.completionBody(protocol: .json, invocationId: "7")), #"{"type":3,"invocationId":"7"}"# + "\u{1e}")
        // MessagePack: a varint length, then [3, {}, "7", 3 (result), [1]]
        let packed = try Upstream.completionBody(protocol: .messagePack, invocationId: "7", result: [1] as [Int])
        XCTAssertEqual(Array(packed), [8, 0x95, 3, 0x80, 0xA1, 0x37, 3, 0x91, 1])
        XCTAssertThrowsError(try Upstream.completionBody(protocol: .json, invocationId: "7", result: 1, error: "both"))
        XCTAssertThrowsError(try Upstream.completionBody(protocol: .json, invocationId: "7", result: RawJSON("{")))

        let send = #"{"type":1,"target":"note","arguments":["hi"]}"#
        let note = headers(["X-ASRS-Category": "messages", "X-ASRS-Event": "note"])
        guard case let .invocation(noted) = try Upstream.parseRequest(headers: note, body: Data(send.utf8), accessKeys: [Self.key]) else {
            return XCTFail("not an invocation")
        }
        XCTAssertNil(noted.invocationId)
        XCTAssertEqual(try noted.arguments(as: [String].self), ["hi"])
    }

    func testBadUpstreamTemplatesAndTimeoutsAreRefused() async throws {
        do {
            _ = try await Simulator.start(upstreams: ["not a url"])
            XCTFail("started with a bad template")
        } catch SignalRError.invalidArgument {}
        do {
            _ = try await Simulator.start(upstreams: ["http://127.0.0.1:1/{event}"], upstreamTimeout: -1)
            XCTFail("started with a negative timeout")
        } catch SignalRError.invalidArgument {}
    }

    /// The app side of the end-to-end test: what it received, and `add(a, b)` answered with the sum.
    final class App: @unchecked Sendable {
        let accessKeys: [String]
        private let lock = NSLock()
        private var received: [UpstreamEvent] = []

        init(accessKeys: [String]) {
            self.accessKeys = accessKeys
        }

        var events: [UpstreamEvent] {
            lock.lock()
            defer { lock.unlock() }
            return received
        }

        func handle(_ request: LoopbackRequest) -> (status: Int, contentType: String, body: Data) {
            guard let event = try? Upstream.parseRequest(headers: request.headers, body: request.body, accessKeys: accessKeys) else {
                return (401, "text/plain", Data())
            }
            lock.lock()
            received.append(event)
            lock.unlock()
            guard case let .invocation(call) = event, let id = call.invocationId else { return (200, "text/plain", Data()) }
            let answer: Data?
            if call.target == "add", let numbers = try? call.arguments(as: [Int].self) {
                answer = try? Upstream.completionBody(protocol: call.protocol, invocationId: id, result: numbers.reduce(0, +))
            } else {
                answer = try? Upstream.completionBody(protocol: call.protocol, invocationId: id, error: "no hub method \(call.target)")
            }
            return (200, call.protocol.contentType, answer ?? Data())
        }
    }

    func testTheSimulatorCallsAnUpstreamAppForAClient() async throws {
        let secondary = "second-key-for-rotation"
        let app = App(accessKeys: [secondary])
        let server = LoopbackHTTPServer(.handle { app.handle($0) })
        defer { server.stop() }
        let appURL = "http://127.0.0.1:\(server.port)"
        let simulator = try await Simulator.start(
            upstreams: ["\(appURL)/{hub}/{category}/{event};hub=chat"], upstreamTimeout: 10, secondaryAccessKey: secondary
        )
        let negotiated = try ServiceClient(connectionString: simulator.connectionString).negotiate(hub: "chat", userId: "alice")

        let client = try TestSignalRClient(url: negotiated.url, accessToken: negotiated.accessToken)
        let sum = try client.invoke("add", argumentsJSON: "[2,3]")
        XCTAssertEqual(sum["result"] as? Int, 5, "\(sum)")
        let unknown = try client.invoke("shout", argumentsJSON: "[]")
        XCTAssertEqual(unknown["error"] as? String, "no hub method shout")
        client.disconnect()
        let disconnected = try await eventually(within: 10) {
            app.events.contains { if case .disconnected = $0 { return true } else { return false } }
        }
        XCTAssertTrue(disconnected, "no disconnected event: \(app.events)")

        let events = app.events
        XCTAssertEqual(events.count, 4, "\(events)")
        guard case let .connected(context) = events.first else { return XCTFail("first came \(String(describing: events.first))") }
        XCTAssertEqual(context.hub, "chat")
        XCTAssertEqual(context.userId, "alice")
        XCTAssertEqual(context.claims["nameid"], "alice")
        XCTAssertEqual(context.query["hub"], "chat")
        guard case let .invocation(add) = events[1] else { return XCTFail("second came \(events[1])") }
        XCTAssertEqual(add.context, context)
        XCTAssertEqual(add.argumentsJSON, "[2,3]")
        XCTAssertEqual(events.last?.context.connectionId, context.connectionId)

        // The simulator records a call once the app's answer is back, which can come after the
        // app has seen the event.
        let recorded = try await eventually(within: 10) { simulator.upstreamCalls().count >= 4 }
        XCTAssertTrue(recorded, "calls: \(simulator.upstreamCalls())")
        let calls = simulator.upstreamCalls()
        XCTAssertEqual(calls.map(\.event), ["connected", "add", "shout", "disconnected"])
        XCTAssertEqual(calls[1].connectionId, context.connectionId)
        XCTAssertEqual(calls[1].hub, "chat")
        XCTAssertEqual(calls[1].category, "messages")
        XCTAssertEqual(calls[1].url, "\(appURL)/chat/messages/add")
        XCTAssertEqual(calls[1].status, 200)
        XCTAssertNil(calls[1].error)
        await simulator.shutdown()
    }
}
