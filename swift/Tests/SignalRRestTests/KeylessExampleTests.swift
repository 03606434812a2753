import Foundation
import SignalRRest
import XCTest

/// The README's key-less example is KeylessExample.swift, word for word, and works against the simulator.
final class KeylessExampleTests: XCTestCase {
    func testTheREADMEShowsKeylessExampleSwiftVerbatim() throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let source = try String(contentsOf: tests.appendingPathComponent("KeylessExample.swift"), encoding: .utf8)
        let begin = try XCTUnwrap(source.range(of: "// README begin"))
        let end = try XCTUnwrap(source.range(of: "// README end"))
        let marked = source[begin.lowerBound..<end.lowerBound]
        let example = String(marked[marked.index(after: try XCTUnwrap(marked.firstIndex(of: "\n")))...])
        XCTAssertTrue(example.contains("tokenProvider:"), example)
        let readme = try String(
            contentsOf: tests.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"),
            encoding: .utf8
        )
        XCTAssertTrue(readme.contains("```swift\n\(example)```"), "swift/README.md must show, verbatim:\n\(example)")
    }

    func testTheKeylessExampleSendsWithTokensTheSimulatorSigns() async throws {
        let simulator = try await Simulator.start()
        addTeardownBlock { await simulator.shutdown() }
        let reader = try simulator.connect(hub: "chat")
        // The simulator signs what Entra ID (or your backend) would issue for this audience.
        try await sendWithoutKey(endpoint: simulator.url) { audience in try simulator.accessToken(audience: audience) }
        XCTAssertEqual(reader.received().map(\.argumentsJSON), [#"["hello"]"#])
    }
}
