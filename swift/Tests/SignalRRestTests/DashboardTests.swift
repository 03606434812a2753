import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SignalRRest
import XCTest

/// The simulator's live dashboard: served on loopback by default, not with `dashboard: false`.
final class DashboardTests: XCTestCase {
    /// GET `url` (10 s timeout): the status, the Content-Type and the body.
    private func get(_ url: String) async throws -> (status: Int, contentType: String, body: String) {
        let request = URLRequest(url: try XCTUnwrap(URL(string: url)), timeoutInterval: 10)
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    let http = response as? HTTPURLResponse
                    continuation.resume(returning: (
                        http?.statusCode ?? -1,
                        http?.value(forHTTPHeaderField: "Content-Type") ?? "",
                        String(decoding: data ?? Data(), as: UTF8.self)
                    ))
                }
            }.resume()
        }
    }

    func testTheDashboardIsServedOnLoopbackByDefault() async throws {
        let simulator = try await Simulator.start()
        let dashboardUrl = try XCTUnwrap(simulator.dashboardUrl)
        XCTAssertEqual(dashboardUrl, "\(simulator.url)/dashboard/")
        let page = try await get(dashboardUrl)
        await simulator.shutdown()
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.contentType.hasPrefix("text/html"), page.contentType)
        XCTAssertTrue(page.body.lowercased().contains("<html"))
    }

    func testDashboardFalseServesNoDashboard() async throws {
        let simulator = try await Simulator.start(dashboard: false)
        XCTAssertNil(simulator.dashboardUrl)
        let page = try await get("\(simulator.url)/dashboard/")
        await simulator.shutdown()
        XCTAssertEqual(page.status, 404)
    }

    func testDashboardTrueServesIt() async throws {
        let simulator = try await Simulator.start(dashboard: true)
        XCTAssertEqual(simulator.dashboardUrl, "\(simulator.url)/dashboard/")
        await simulator.shutdown()
    }
}
