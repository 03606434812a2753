import SignalRRest

/// What to send, from the command line.
public struct SendOptions: Equatable, Sendable {
    public var connectionString: String
    public var hub: String
    public var target: String
    public var message: String
    /// Only this user's connections; every connection of the hub when nil.
    public var user: String?
}

/// A command line that cannot be run; the text says why and how to call.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
}

public let usage = """
    usage: signalr-rest-send [--connection-string TEXT] --hub HUB --target TARGET --message TEXT [--user USER]
    sends TARGET(TEXT) to every connection of HUB, or to USER's; the connection string defaults
    to $AZURE_SIGNALR_CONNECTION_STRING
    """

/// Reads `--name value` pairs; the connection string falls back to the environment.
public func parseArguments(_ arguments: [String], environment: [String: String]) throws -> SendOptions {
    var values: [String: String] = [:]
    var rest = arguments[...]
    while let name = rest.popFirst() {
        guard ["--connection-string", "--hub", "--target", "--message", "--user"].contains(name) else {
            throw UsageError(description: "unknown argument \(name)\n\(usage)")
        }
        guard let value = rest.popFirst() else { throw UsageError(description: "\(name) needs a value\n\(usage)") }
        values[name] = value
    }
    func required(_ name: String) throws -> String {
        guard let value = values[name] else { throw UsageError(description: "\(name) is required\n\(usage)") }
        return value
    }
    guard let connectionString = values["--connection-string"] ?? environment["AZURE_SIGNALR_CONNECTION_STRING"] else {
        throw UsageError(description: "--connection-string or AZURE_SIGNALR_CONNECTION_STRING is required\n\(usage)")
    }
    return SendOptions(
        connectionString: connectionString, hub: try required("--hub"), target: try required("--target"),
        message: try required("--message"), user: values["--user"])
}

/// Sends `target(message)` as the options say; throws the package's `SignalRError` on failure.
public func send(_ options: SendOptions) async throws {
    let hub = try ServiceClient(connectionString: options.connectionString).hub(options.hub)
    if let user = options.user {
        try await hub.sendToUser(user, options.target, [options.message])
    } else {
        try await hub.sendToAll(options.target, [options.message])
    }
}
