import Foundation
import SignalRRest
import XCTest

/// swift/README.md, "Fault injection", word for word; `testTheReadmeExampleRuns` runs it.
func faultInjectionExample() async throws {
    let simulator = try await Simulator.start(faults: ["503;route=send;times=1"], faultSeed: 7)
    let client = try simulator.connect(hub: "chat")
    let service = try ServiceClient(connectionString: simulator.connectionString)
    try await service.hub("chat").sendToAll("hello")    // turned away once with a 503, retried, delivered once
    precondition(client.received().count == 1)
    precondition(simulator.injectedFaults().map(\.fault) == ["503;route=send;times=1"])
    let slow = try simulator.addFault("delay=250ms;hub=chat")
    simulator.removeFault(id: slow)
    try simulator.dropClients(hub: "chat", close: true)  // a Close that allows reconnecting
    precondition(client.isClosed)
}

/// Fault injection through the public API: rules from options and calls, seeds, delays, drops and pauses.
final class FaultTests: XCTestCase {
    private let noRetries = ClientOptions(maxRetries: 0)

    private func field(of error: Error) -> String? {
        if case let SignalRError.invalidArgument(field, _) = error { return field }
        return nil
    }

    private func message(of error: Error) -> String {
        (error as? SignalRError)?.message ?? "\(error)"
    }

    func testARuleGivenInTheOptionsAppliesFromTheStartAndEndsAfterItsTimes() async throws {
        let simulator = try await Simulator.start(faults: ["500;route=send;times=1"])
        let rule = try XCTUnwrap(simulator.faults().first)
        XCTAssertEqual(simulator.faults(), [FaultRule(id: rule.id, fault: "500;route=send;times=1", injected: 0)])
        let client = try simulator.connect(hub: "chat")
        let hub = try ServiceClient(connectionString: simulator.connectionString, options: noRetries).hub("chat")
        do {
            try await hub.sendToAll("t")
            XCTFail("the rule did not apply")
        } catch let SignalRError.serviceError(status, _, _) {
            XCTAssertEqual(status, 500)
        }
        let exists = try await hub.groupExists("g")
        XCTAssertFalse(exists, "a group call is not a send")
        try await hub.sendToAll("t")
        XCTAssertEqual(client.received().count, 1)
        XCTAssertEqual(simulator.faults(), [], "the rule ran out")
        let injected = try XCTUnwrap(simulator.injectedFaults().first)
        XCTAssertEqual(simulator.injectedFaults().count, 1)
        XCTAssertEqual(injected, InjectedFault(faultId: rule.id, fault: "500;route=send;times=1", target: injected.target, hub: "chat"))
        XCTAssertTrue(injected.target.hasPrefix("POST /api/"), injected.target)
        await simulator.shutdown()
    }

    func testABadRuleIsRefusedNamingTheBadPartInTheOptionsAndWhenAdded() async throws {
        do {
            _ = try await Simulator.start(faults: ["503;route=sends"])
            XCTFail("a bad rule in the options was accepted")
        } catch {
            XCTAssertNotNil(field(of: error), "\(error)")
            XCTAssertTrue(message(of: error).contains("sends"), message(of: error))
        }
        let simulator = try await Simulator.start()
        for (rule, part) in [("600", "600"), ("500;retry-after=1", "retry-after"), ("503;times=0", "times")] {
            XCTAssertThrowsError(try simulator.addFault(rule), rule) { error in
                XCTAssertNotNil(self.field(of: error), "\(rule): \(error)")
                XCTAssertTrue(self.message(of: error).contains(part), "\(rule): \(self.message(of: error))")
            }
        }
        XCTAssertEqual(simulator.faults(), [])
        await simulator.shutdown()
    }

    func testRulesAreListedRemovedByIdAndCleared() async throws {
        let simulator = try await Simulator.start()
        let first = try simulator.addFault("429;retry-after=2;hub=Chat")
        let second = try simulator.addFault("reset;route=negotiate")
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(simulator.faults(), [
            FaultRule(id: first, fault: "429;hub=chat;retry-after=2", injected: 0),
            FaultRule(id: second, fault: "reset;route=negotiate", injected: 0),
        ])
        XCTAssertTrue(simulator.removeFault(id: first))
        XCTAssertFalse(simulator.removeFault(id: first))
        XCTAssertEqual(simulator.faults().map(\.id), [second])
        simulator.clearFaults()
        XCTAssertEqual(simulator.faults(), [])
        await simulator.shutdown()
    }

    /// Which of 40 group checks a `fraction=0.5` rule turned away, with retries off.
    private func pattern(seed: UInt64) async throws -> [Bool] {
        let simulator = try await Simulator.start(faults: ["503;route=group;fraction=0.5"], faultSeed: seed)
        let hub = try ServiceClient(connectionString: simulator.connectionString, options: noRetries).hub("chat")
        var hits: [Bool] = []
        for _ in 0..<40 {
            do {
                _ = try await hub.groupExists("g")
                hits.append(false)
            } catch SignalRError.serviceError {
                hits.append(true)
            }
        }
        XCTAssertEqual(hits.filter { $0 }.count, simulator.injectedFaults().count)
        await simulator.shutdown()
        return hits
    }

    func testTheFaultSeedRepeatsTheFractionDraws() async throws {
        let first = try await pattern(seed: 42)
        let again = try await pattern(seed: 42)
        XCTAssertEqual(first, again, "the same seed hits the same calls")
        XCTAssertTrue(first.contains(true) && first.contains(false), "a half fraction hits some of 40 calls: \(first)")
        let other = try await pattern(seed: 43)
        XCTAssertNotEqual(first, other, "another seed, another pattern")
    }

    func testADelayRuleDelaysTheCallItHits() async throws {
        let simulator = try await Simulator.start()
        try simulator.addFault("delay=300ms;hub=chat;route=send")
        let hub = try ServiceClient(connectionString: simulator.connectionString, options: noRetries).hub("chat")
        let started = Date()
        try await hub.sendToAll("t")
        let took = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(took, 0.3, "took \(took) s")
        XCTAssertEqual(simulator.injectedFaults().map(\.fault), ["delay=300ms;hub=chat;route=send"])
        await simulator.shutdown()
    }

    func testPausingIsRefusedForANegativeOrTooLongDurationAndSkipsVirtualClients() async throws {
        let simulator = try await Simulator.start()
        let client = try simulator.connect(hub: "chat")
        XCTAssertThrowsError(try simulator.pauseClients(hub: "chat", duration: -1)) { error in
            XCTAssertEqual(self.field(of: error), "duration", "\(error)")
            XCTAssertTrue(self.message(of: error).contains("-1"), self.message(of: error))
        }
        XCTAssertThrowsError(try simulator.pauseClients(hub: "chat", duration: 7200)) { error in
            XCTAssertEqual(self.field(of: error), "duration", "\(error)")
        }
        XCTAssertEqual(try simulator.pauseClients(hub: "chat", duration: 0.1, connectionId: client.connectionId), [])
        XCTAssertFalse(client.isClosed)
        XCTAssertThrowsError(try simulator.pauseClients(hub: "bad hub!", duration: 1))
        await simulator.shutdown()
    }

    func testDroppingAVirtualClientClosesItWithTheFaultReasonOrWithoutOne() async throws {
        let simulator = try await Simulator.start()
        let a = try simulator.connect(hub: "chat")
        let b = try simulator.connect(hub: "chat")
        let other = try simulator.connect(hub: "other")
        XCTAssertEqual(try simulator.dropClients(hub: "chat", connectionId: a.connectionId), [a.connectionId])
        XCTAssertTrue(a.isClosed)
        XCTAssertEqual(a.closeReason, "the simulator dropped the connection (fault injection)")
        XCTAssertFalse(b.isClosed)
        XCTAssertEqual(try simulator.dropClients(hub: "chat", close: false), [b.connectionId])
        XCTAssertTrue(b.isClosed)
        XCTAssertNil(b.closeReason)
        XCTAssertFalse(other.isClosed)
        XCTAssertEqual(simulator.connections(hub: "chat"), [])
        XCTAssertEqual(simulator.injectedFaults().map(\.fault), ["drop;close", "drop"])
        XCTAssertEqual(simulator.injectedFaults().map(\.faultId), ["", ""])
        XCTAssertThrowsError(try simulator.dropClients(hub: "bad hub!"))
        await simulator.shutdown()
    }

    func testTheReadmeExampleRuns() async throws {
        try await faultInjectionExample()
    }
}
